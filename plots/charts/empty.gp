# empty.gp — a placeholder chart for a figure with nothing to plot: it says why.
# Extra variable: message.
load 'common.gp'
if (!exists("message")) message = 'No data'
unset border
unset tics
unset grid
unset key
set label 1 message at graph 0.5, 0.5 center textcolor rgb '#555555' font ',14'
set xrange [0:1]
set yrange [0:1]
plot NaN notitle
