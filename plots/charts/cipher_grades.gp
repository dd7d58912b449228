# cipher_grades.gp — Cipher-suite grades.
# Data: see hbar.gp (category, count, colour, text).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Connections'
load 'hbar.gp'
