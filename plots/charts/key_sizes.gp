# key_sizes.gp — Certificate key types and sizes.
# Data: see hbar.gp (category, count, colour, text).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Connections'
load 'hbar.gp'
