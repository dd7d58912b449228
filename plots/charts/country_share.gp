# country_share.gp — Encryption share by country of the remote peer (top groups by connections).
# Data: see share.gp.
load 'common.gp'
load 'share.gp'
