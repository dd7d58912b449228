# anomaly_types.gp — Anomalies by type, coloured by severity.
# Data: see hbar.gp (category, count, colour, text).
load 'common.gp'
if (!exists("xtitle")) xtitle = 'Connections'
load 'hbar.gp'
