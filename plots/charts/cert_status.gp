# cert_status.gp — Certificate status; a connection can count in several rows.
# Data: see hbar.gp (category, count, colour, text).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Connections'
load 'hbar.gp'
