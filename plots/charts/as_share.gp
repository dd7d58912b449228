# as_share.gp — Encryption share by autonomous system of the remote peer (top groups by connections).
# Data: see share.gp.
load 'common.gp'
load 'share.gp'
