#!/bin/sh
# make-fixtures.sh — writes the DNS data fixtures of tests/unit/test_dnsdata.c
# with real DNS software: two zones signed with ldns-signzone (example.net,
# and example.com whose TLSA record is altered after signing: bogus), one
# left unsigned (example.org), served by NSD on 127.0.0.1:$PORT; then
#   dig.txt            what `dig +dnssec +noall +answer` prints for them
#   dig-multiline.txt  the same with +multiline (parenthesised records)
#   unbound-host.txt   what `unbound-host -v` prints, validating with the
#                      zones' trust anchors
#   unbound-host.jsonl unbound-host.txt turned into JSON Lines by the recipe
#                      of docs/dns.md ("Giving DNS data to a run")
#   mx.pem             the certificate whose key the TLSA records pin (made
#                      once, kept, so that the TLSA data stays the same)
# Needs: nsd, ldnsutils, dnsutils, unbound-host, openssl (as root:
# apt-get install nsd ldnsutils dnsutils unbound-host openssl).
# Usage: tests/unit/dnsdata/make-fixtures.sh [PORT]   (default 15353)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
port=${1:-15353}
work=$(mktemp -d)
nsd_pid=
cleanup() {
	if [ -n "$nsd_pid" ]; then
		kill "$nsd_pid" 2>/dev/null || true
		wait "$nsd_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

for tool in nsd ldns-keygen ldns-signzone dig unbound-host openssl; do
	command -v "$tool" >/dev/null || { echo "make-fixtures.sh: $tool is missing" >&2; exit 1; }
done

# The MX certificate: kept in the repository once made.
if [ ! -f "$here/mx.pem" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$work/mx.key" -out "$here/mx.pem" -days 36500 \
		-subj "/CN=mx1.example.net" 2>/dev/null
fi
spki_sha256=$(openssl x509 -in "$here/mx.pem" -noout -pubkey |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
cert_sha512=$(openssl x509 -in "$here/mx.pem" -outform DER |
	openssl dgst -sha512 -r | cut -d' ' -f1)
cert_hex=$(openssl x509 -in "$here/mx.pem" -outform DER | od -An -v -tx1 | tr -d ' \n')

soa() {
	printf '$ORIGIN %s.\n$TTL 3600\n' "$1"
	printf '@ IN SOA ns.%s. hostmaster.%s. 2026120301 3600 900 604800 300\n' "$1" "$1"
	printf '@ IN NS ns.example.net.\n'
}

{
	soa example.net
	cat <<ZONE
ns IN A 127.0.0.1
@ 300 IN MX 10 mx1.example.net.
@ 300 IN MX 20 MX2.Example.NET.
mx1 IN A 192.0.2.25
mx1 IN AAAA 2001:db8::25
mx2 IN A 192.0.2.26
smtp IN CNAME mx1.example.net.
_25._tcp.mx1 300 IN TLSA 3 1 1 $spki_sha256
_25._tcp.mx1 300 IN TLSA 2 1 2 $cert_sha512
_25._tcp.mx2 300 IN TLSA 3 0 0 $cert_hex
_mta-sts IN TXT "v=STSv1; id=20261203T000000;"
_smtp._tls IN TXT "v=TLSRPTv1; " "rua=mailto:tlsrpt@example.net"
note IN TXT "say \"hi\"; tab\009end" "\200"
ZONE
} >"$work/example.net"

{
	soa example.org
	cat <<ZONE
ns IN A 127.0.0.1
@ IN MX 10 mail.example.org.
mail IN A 198.51.100.7
_25._tcp.mail IN TLSA 3 1 1 $spki_sha256
_mta-sts IN TXT "v=STSv1; id=orgpolicy1;"
ZONE
} >"$work/example.org"

{
	soa example.com
	cat <<ZONE
ns IN A 127.0.0.1
@ IN MX 10 mx.example.com.
mx IN A 203.0.113.9
_25._tcp.mx IN TLSA 3 1 1 $spki_sha256
ZONE
} >"$work/example.com"

cd "$work"
for z in example.net example.com; do
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$z")
	zsk=$(ldns-keygen -a ECDSAP256SHA256 "$z")
	ldns-signzone -n "$z" "$zsk" "$ksk" >/dev/null
	# The trust anchor of the zone: its key-signing key.
	cat "$ksk.key" >>anchors
done
# example.com: the TLSA record altered after signing, its RRSIG kept.
sed -i "s/\(TLSA[[:space:]]*3 1 1 \)[0-9a-f]\{8\}/\1deadbeef/" example.com.signed
grep -q deadbeef example.com.signed || { echo "make-fixtures.sh: TLSA not altered" >&2; exit 1; }

cat >nsd.conf <<CONF
server:
	ip-address: 127.0.0.1@$port
	port: $port
	zonesdir: "$work"
	database: ""
	zonelistfile: "$work/zone.list"
	xfrdfile: "$work/xfrd.state"
	pidfile: "$work/nsd.pid"
	logfile: "$work/nsd.log"
	username: ""
	chroot: ""
	server-count: 1
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: example.net
	zonefile: example.net.signed
zone:
	name: example.com
	zonefile: example.com.signed
zone:
	name: example.org
	zonefile: example.org
CONF
nsd -c nsd.conf -d &
nsd_pid=$!
i=0
until dig @127.0.0.1 -p "$port" +short +time=1 +tries=1 example.net SOA >/dev/null 2>&1 &&
	[ -n "$(dig @127.0.0.1 -p "$port" +short +time=1 +tries=1 example.net SOA)" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat nsd.log >&2; echo "make-fixtures.sh: nsd did not answer" >&2; exit 1; }
	sleep 0.2
done

queries="example.net/MX mx1.example.net/A mx1.example.net/AAAA mx2.example.net/A
smtp.example.net/CNAME _25._tcp.mx1.example.net/TLSA _25._tcp.mx2.example.net/TLSA
_mta-sts.example.net/TXT _smtp._tls.example.net/TXT note.example.net/TXT
example.org/MX mail.example.org/A _25._tcp.mail.example.org/TLSA _mta-sts.example.org/TXT"
ask() {
	for q in $queries; do
		dig @127.0.0.1 -p "$port" +dnssec +noall +answer "$@" "${q%/*}" "${q#*/}"
	done
}
{
	echo "; dig +dnssec +noall +answer, from NSD serving example.net (signed) and"
	echo "; example.org (unsigned); written by make-fixtures.sh"
	ask
} >"$here/dig.txt"
{
	echo "; dig +dnssec +noall +answer +multiline; written by make-fixtures.sh"
	ask +multiline
} >"$here/dig-multiline.txt"

cat >unbound.conf <<CONF
server:
	do-not-query-localhost: no
	module-config: "validator iterator"
	username: ""
	chroot: ""
	use-syslog: no
	harden-dnssec-stripped: yes
	trust-anchor-file: "$work/anchors"
	domain-insecure: "example.org"
stub-zone:
	name: "example.net"
	stub-addr: 127.0.0.1@$port
stub-zone:
	name: "example.com"
	stub-addr: 127.0.0.1@$port
stub-zone:
	name: "example.org"
	stub-addr: 127.0.0.1@$port
CONF
uqueries="$queries _25._tcp.mx.example.com/TLSA _25._tcp.nomx.example.net/TLSA
_25._tcp.nomx.example.org/TLSA"
: >"$here/unbound-host.txt"
: >"$here/unbound-host.jsonl"
for q in $uqueries; do
	unbound-host -C unbound.conf -v -t "${q#*/}" "${q%/*}" >out.txt 2>&1 || true
	cat out.txt >>"$here/unbound-host.txt"
	sh "$here/unbound-host-to-jsonl.sh" "${q#*/}" <out.txt >>"$here/unbound-host.jsonl"
done
echo "make-fixtures.sh: wrote $(wc -l <"$here/dig.txt") + $(wc -l <"$here/unbound-host.jsonl") lines"
