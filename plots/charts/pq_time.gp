# pq_time.gp — TLS 1.3 connections per period, stacked by post-quantum key
# exchange: negotiated, offered by the client but not chosen, neither.
# Data: a header row, then columns:
#   1 period label, 2 PQ negotiated, 3 PQ offered, not chosen, 4 neither.
# Extra variable: xtitle, the x axis title (it names the period).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Period (UTC)'
stats datafile using 2 nooutput
n = STATS_records
step = (n <= 16) ? 1 : ceil(n / 16.0)
colors = oi_green.' '.oi_orange.' '.oi_grey
set style data histograms
set style histogram rowstacked
set boxwidth 0.8 relative
set key outside right top vertical Left reverse
set xtics rotate by 45 right
set xlabel xtitle textcolor rgb ink
set ylabel 'TLS 1.3 connections' textcolor rgb ink
set yrange [0:*]
set bmargin 7
plot for [i=2:4] datafile using i:xtic((int($0) % step == 0) ? strcol(1) : '') \
	title columnheader(i) lc rgb word(colors, i - 1)
