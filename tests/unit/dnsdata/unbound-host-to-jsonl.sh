#!/bin/sh
# unbound-host-to-jsonl.sh TYPE — turns what `unbound-host -v -t TYPE NAME`
# prints for one query into the JSON Lines form of --dns-data (docs/dns.md):
#   NAME has TLSA record 3 1 1 ABCD... (secure)  -> a record, "secure": true
#   ... (insecure)                               -> a record, "secure": false
#   ... (BOGUS (security failure))               -> "rcode": "SERVFAIL" (once)
#   Host NAME not found: 3(NXDOMAIN). (secure)   -> "rcode": "NXDOMAIN"
#   NAME has no TLSA record (secure)             -> "rcode": "NODATA"
#   Host NAME not found: 2(SERVFAIL).            -> "rcode": "SERVFAIL"
# Other lines (validation failure details) are dropped.
# Example: unbound-host -v -t TLSA _25._tcp.mx1.example.net | sh unbound-host-to-jsonl.sh TLSA
set -eu
[ $# -eq 1 ] || { echo "usage: unbound-host -v -t TYPE NAME | $0 TYPE" >&2; exit 2; }
awk -v type="$1" '
function esc(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\") c = "\\\\"
		else if (c == "\"") c = "\\\""
		else if (c == "\t") c = "\\t"
		out = out c
	}
	return out
}
function head(name) { return "{\"name\":\"" esc(name) "\",\"type\":\"" type "\"" }
function state(name, rcode, sec) {
	if (done[name rcode]++) return
	print head(name) ",\"rcode\":\"" rcode "\"" (rcode == "SERVFAIL" ? "" : ",\"secure\":" sec) "}"
}
{
	line = $0; sec = "false"
	if (line ~ /\(secure\)$/) sec = "true"
	if (line ~ /\(BOGUS/) { state($1, "SERVFAIL", sec); next }
	sub(/ \((secure|insecure)\)$/, "", line)
	if (line ~ /^Host [^ ]+ not found: /) {
		rcode = line; sub(/^.*not found: [0-9]+\(/, "", rcode); sub(/\).*$/, "", rcode)
		state($2, rcode, sec); next
	}
	if (line ~ /^[^ ]+ has no [^ ]+ record/) { state($1, "NODATA", sec); next }
	n = split("mail is handled by |has address |has IPv6 address |has " type " record ", pre, "|")
	for (i = 1; i <= n; i++) {
		k = index(line, " " pre[i])
		if (k > 0 && substr(line, 1, k - 1) !~ / /) {
			data = substr(line, k + 1 + length(pre[i]))
			print head(substr(line, 1, k - 1)) ",\"data\":\"" esc(data) "\",\"secure\":" sec "}"
			next
		}
	}
}'
