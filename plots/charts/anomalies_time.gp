# anomalies_time.gp — anomalies found per period (all types together; the
# history-based ones are not split by time in the snapshot).
# Data: a header row, then columns: 1 period label, 2 anomalies.
# Extra variable: xtitle, the x axis title (it names the period).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Period (UTC)'
stats datafile using 2 nooutput
n = STATS_records
step = (n <= 16) ? 1 : ceil(n / 16.0)
set style data histograms
set style histogram rowstacked
set boxwidth 0.8 relative
set xtics rotate by 45 right
set xlabel xtitle textcolor rgb ink
set ylabel 'Anomalies' textcolor rgb ink
set yrange [0:*]
set bmargin 7
# columnheader: the first row names the columns (and is no period).
unset key
plot datafile using 2:xtic((int($0) % step == 0) ? strcol(1) : '') title columnheader(2) lc rgb oi_purple
