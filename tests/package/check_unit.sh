#!/bin/sh
# The sensor's unit (dist/systemd/smtptls-live@.service), instantiated for
# an interface with the built binary in place of /usr/bin/smtptls:
# systemd-analyze verify passes (its Documentation= pages resolved in the
# built manual), and the offline security exposure is at most 2.0.
#   check_unit.sh SMTPTLS SRCDIR MANDIR
set -u
bin=$(readlink -f "$1")
src=$2
mandir=$(readlink -f "$3")
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
unit="$dir/smtptls-live@lo.service"
sed "s|/usr/bin/smtptls|$bin|g" "$src/dist/systemd/smtptls-live@.service" >"$unit"
mkdir -p "$dir/man/man1" "$dir/man/man5" "$dir/man/man8"
for p in "$mandir"/*.[158]; do
	ln -s "$p" "$dir/man/man${p##*.}/"
done
fail=0
MANPATH="$dir/man" systemd-analyze verify "$unit" || {
	echo "FAIL systemd-analyze verify"
	fail=1
}
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "exposure: ${score:-none}"
printf '%s\n' "$out" | grep '✗' || true
if [ -z "$score" ] || ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
	echo "FAIL exposure ${score:-unknown} above 2.0"
	fail=1
fi
# only the two capabilities, as ambient and bounding sets; reload is SIGHUP
for want in '^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$' \
	'^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$' \
	'^ExecReload=/bin/kill -HUP \$MAINPID$' '^User=_smtptls$' '^NoNewPrivileges=yes$' \
	'^RestrictAddressFamilies=AF_PACKET AF_UNIX AF_NETLINK$' '^SystemCallFilter=@system-service$'; do
	grep -q "$want" "$unit" || {
		echo "FAIL the unit lacks $want"
		fail=1
	}
done
[ "$(grep -c 'Capabilit' "$unit")" = 2 ] || { echo "FAIL other capability lines"; fail=1; }
[ $fail = 0 ] && echo "unit: ok"
exit $fail
