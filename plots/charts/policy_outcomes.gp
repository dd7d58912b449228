# policy_outcomes.gp — the policy dry-run: one stacked bar per policy, the
# connections by the outcome they would have had had the policy been
# enforced (docs/policy.md). Every bar adds up to all connections judged.
# Data: no header; columns:
#   1 policy, 2 pass, 3 fail, 4 unknown, 5 not applicable, 6 text drawn after
#   the bar (e.g. "27 of 38 would fail").
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Connections'
stats datafile using ($2 + $3 + $4 + $5) nooutput
rows = STATS_records
vmax = STATS_max
set yrange [rows - 0.5 : -0.5]
set xrange [0 : (vmax > 0 ? vmax * 1.45 : 1)]
set ytics scale 0
set xtics out
set grid xtics noytics
set border 1 lc rgb ink
set xlabel xtitle textcolor rgb ink
set key outside top center horizontal Left reverse width 1 textcolor rgb ink
# Not applicable is the quiet part of a bar: a light grey.
na_grey = '#d4d4d4'
h = 0.38
plot datafile using (0):0:(0):2:($0 - h):($0 + h):ytic(1) with boxxyerror lc rgb oi_green title 'Pass', \
	'' using 2:0:2:($2 + $3):($0 - h):($0 + h) with boxxyerror lc rgb oi_vermilion title 'Fail', \
	'' using ($2 + $3):0:($2 + $3):($2 + $3 + $4):($0 - h):($0 + h) with boxxyerror lc rgb oi_grey title 'Unknown', \
	'' using ($2 + $3 + $4):0:($2 + $3 + $4):($2 + $3 + $4 + $5):($0 - h):($0 + h) with boxxyerror lc rgb na_grey title 'Not applicable', \
	'' using ($2 + $3 + $4 + $5):0:6 with labels left offset char 0.6, 0 textcolor rgb ink notitle
