# encryption_time.gp — connections per period, stacked by encryption outcome.
# Data: one row per period, a header row, then columns:
#   1 period label, 2 STARTTLS, 3 implicit TLS, 4 TLS (start unseen),
#   5 STARTTLS failed, 6 STARTTLS refused, 7 plain text, 8 unknown.
# Extra variable: xtitle, the x axis title (it names the period).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Period (UTC)'
stats datafile using 2 nooutput
n = STATS_records
step = (n <= 16) ? 1 : ceil(n / 16.0)
colors = oi_green.' '.oi_blue.' '.oi_skyblue.' '.oi_purple.' '.oi_orange.' '.oi_vermilion.' '.oi_grey
set style data histograms
set style histogram rowstacked
set boxwidth 0.8 relative
set key outside right top vertical Left reverse
set xtics rotate by 45 right
set xlabel xtitle textcolor rgb ink
set ylabel 'Connections' textcolor rgb ink
set yrange [0:*]
set bmargin 7
plot for [i=2:8] datafile using i:xtic((int($0) % step == 0) ? strcol(1) : '') \
	title columnheader(i) lc rgb word(colors, i - 1)
