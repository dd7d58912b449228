# hbar.gp — horizontal bars, one row per category, shared by the charts of
# counts per category. Data: no header; columns:
#   1 category, 2 count, 3 bar colour (0xRRGGBB as a number), 4 text drawn
#   after the bar (count and share).
# Extra variable: xtitle, the count axis title with its unit.
if (!exists("xtitle")) xtitle = 'Connections'
stats datafile using 2 nooutput
rows = STATS_records
vmax = STATS_max
set yrange [rows - 0.5 : -0.5]
set xrange [0 : (vmax > 0 ? vmax * 1.3 : 1)]
set ytics scale 0
set xtics out
set grid xtics noytics
set border 1 lc rgb ink
set xlabel xtitle textcolor rgb ink
set offsets 0, 0, 0, 0
plot datafile using (0):0:(0):2:($0 - 0.38):($0 + 0.38):3:ytic(1) with boxxyerror lc rgb variable, \
	'' using 2:0:4 with labels left offset char 0.6, 0 textcolor rgb ink
