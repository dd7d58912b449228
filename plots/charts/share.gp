# share.gp — horizontal 100% bars: the encryption outcome of each group's
# connections (unknown outcomes left out). Shared by country_share and as_share.
# Data: no header; columns:
#   1 group label, 2 encrypted %, 3 TLS refused or failed %, 4 plain text %,
#   5 TLS with unseen start %, 6 text drawn after the bar (e.g. "62% of 13").
stats datafile using 2 nooutput
rows = STATS_records
set yrange [rows - 0.5 : -0.5]
set xrange [0 : 130]
set xtics 0, 20, 100 out
set ytics scale 0
set grid xtics noytics
set border 1 lc rgb ink
set xlabel 'Share of the connections with a known outcome (%)' textcolor rgb ink
set key outside top center horizontal Left reverse width 1 maxcols 2 textcolor rgb ink
h = 0.38
plot datafile using (0):0:(0):2:($0 - h):($0 + h):ytic(1) with boxxyerror lc rgb oi_green title 'Encrypted', \
	'' using 2:0:2:($2 + $3):($0 - h):($0 + h) with boxxyerror lc rgb oi_orange title 'TLS refused or failed', \
	'' using ($2 + $3):0:($2 + $3):($2 + $3 + $4):($0 - h):($0 + h) with boxxyerror lc rgb oi_vermilion title 'Plain text', \
	'' using ($2 + $3 + $4):0:($2 + $3 + $4):($2 + $3 + $4 + $5):($0 - h):($0 + h) with boxxyerror lc rgb oi_skyblue title 'TLS, start unseen', \
	'' using (100):0:6 with labels left offset char 0.6, 0 textcolor rgb ink notitle
