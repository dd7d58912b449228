# common.gp — shared by every chart: the output terminal, the Okabe–Ito
# colour-blind-safe palette and the axis style.
#
# The caller sets, with gnuplot -e:
#   datafile   the tab-separated data file the chart reads
#   outfile    the file to write
#   term       svg, png or pdf
#   charttitle title drawn above the chart ('' when the page around it has one)
#   note       one line drawn under the chart, the denominator ('' for none)
# Each chart script starts with `load 'common.gp'` (found through GNUPLOT_LIB).
if (!exists("term")) term = 'svg'
if (!exists("charttitle")) charttitle = ''
if (!exists("note")) note = ''
if (!exists("width")) width = 760
if (!exists("height")) height = 360

if (term eq 'svg') {
	set terminal svg size width,height dynamic noenhanced font 'Helvetica,13' background rgb 'white'
}
if (term eq 'png') {
	set terminal pngcairo size 2*width,2*height noenhanced font 'Sans,11' fontscale 2 linewidth 2 background rgb 'white'
}
if (term eq 'pdf') {
	set terminal pdfcairo size (width/96.0),(height/96.0) noenhanced font 'Sans,7' background rgb 'white'
}
if (term ne 'svg' && term ne 'png' && term ne 'pdf') {
	print 'unknown term: ', term
	exit status 2
}
set output outfile
set datafile separator "\t"
set encoding utf8

# Okabe & Ito (2008), "Color Universal Design".
oi_orange    = '#E69F00'
oi_skyblue   = '#56B4E9'
oi_green     = '#009E73'
oi_yellow    = '#F0E442'
oi_blue      = '#0072B2'
oi_vermilion = '#D55E00'
oi_purple    = '#CC79A7'
oi_grey      = '#999999'
ink          = '#333333'

set border 3 lc rgb ink
set tics nomirror out textcolor rgb ink
set grid noxtics ytics lc rgb '#dddddd' lw 1 dt 1
set key noautotitle textcolor rgb ink
set style fill solid 1.0 noborder
# The note (the denominator) goes under the title, so the chart file alone
# says what it counts.
heading = charttitle
if (note ne '') { heading = (heading ne '') ? heading . "\n" . note : note }
if (heading ne '') { set title heading font ',13' textcolor rgb ink }
