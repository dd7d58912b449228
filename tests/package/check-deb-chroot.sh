#!/bin/sh
# The Debian package on a clean Debian 12: in a copy of a minbase bookworm
# chroot, build it (dpkg-buildpackage -us -uc -b), install it with apt
# (dependencies resolved by apt), then check that
#   - man -w smtptls finds the page;
#   - the service user _smtptls exists and smtptls analyze runs as that user
#     on the capture the package bundles, finding its stripping anomaly;
#   - the unit's ExecStart line, run by hand (systemd cannot run in a
#     chroot) as the unit would run it — user _smtptls, only CAP_NET_RAW and
#     CAP_NET_ADMIN as ambient and bounding capabilities, no new privileges —
#     on the loopback of a network namespace of its own, keeps running as
#     that user with exactly those capabilities (/proc/PID/status), and ends
#     with status 0 on SIGTERM.
# It takes a few minutes (packages are downloaded), so it is not part of
# ctest. Run as root from the repository:
#   sh tests/package/check-deb-chroot.sh [BASE_CHROOT]
# BASE_CHROOT (default /work/chroot/bookworm, made with
# `debootstrap --variant=minbase bookworm DIR`) is copied, never changed.
set -eu
base=${1:-/work/chroot/bookworm}
repo=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "check-deb-chroot.sh: run as root" >&2; exit 2; }
[ -x "$base/bin/sh" ] || { echo "check-deb-chroot.sh: $base is not a chroot" >&2; exit 2; }

C=$(mktemp -d "${TMPDIR:-/var/tmp}/smtptls-chroot.XXXXXX")
mounted=""
cleanup() {
	set +e
	for m in $mounted; do
		umount -R "$C/$m" 2>/dev/null || umount -R -l "$C/$m"
	done
	# delete the copy only when nothing is mounted in it any more
	if findmnt -rn -o TARGET | grep -q "^$C/"; then
		echo "check-deb-chroot.sh: $C still has mounts; left in place" >&2
	else
		rm -rf "$C"
	fi
}
trap cleanup EXIT INT TERM

echo "copying $base to $C"
cp -a "$base/." "$C/"
mount -t proc proc "$C/proc" && mounted="proc $mounted"
mount --rbind /sys "$C/sys" && mount --make-rslave "$C/sys" && mounted="sys $mounted"
mount --rbind /dev "$C/dev" && mount --make-rslave "$C/dev" && mounted="dev $mounted"
cp /etc/resolv.conf "$C/etc/resolv.conf"
cp /etc/hosts "$C/etc/hosts"
# the machine's own trust anchors, as a real install of this machine has them
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	mkdir -p "$C/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$C/usr/local/share/ca-certificates/"
fi

# the repository's files (committed or not, without build trees)
mkdir -p "$C/build/smtptls"
(cd "$repo" && git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T -) |
	tar -xf - -C "$C/build/smtptls"

chroot "$C" /bin/sh -eu <<'INSIDE'
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
fails=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

apt-get update -q >/dev/null
if ! command -v update-ca-certificates >/dev/null; then
	apt-get install -y -q --no-install-recommends ca-certificates >/dev/null
fi
update-ca-certificates >/dev/null 2>&1 || true

echo "== build"
deps=$(sed -n '/^Build-Depends:/,/^Standards-Version:/p' /build/smtptls/debian/control |
	sed '$d' | sed 's/^Build-Depends://' | tr '\n' ' ')
apt-get satisfy -y -q --no-install-recommends "build-essential, $deps" >/tmp/deps.log 2>&1 ||
	{ tail -20 /tmp/deps.log; exit 1; }
cd /build/smtptls
if dpkg-buildpackage -us -uc -b >/tmp/build.log 2>&1; then
	ok "dpkg-buildpackage -us -uc -b: $(ls /build/*.deb | xargs -n1 basename | tr '\n' ' ')"
else
	tail -30 /tmp/build.log
	fail "dpkg-buildpackage"
	exit 1
fi

echo "== install"
cd /build
# remove the build dependencies first: apt must bring in what the package needs
apt-get purge -y -q $(echo "$deps" | tr ',' '\n' | sed 's/(.*)//; s/^ *//; s/ *$//' |
	grep -v '^debhelper-compat' | grep .) >/dev/null 2>&1
apt-get autoremove -y -q --purge >/dev/null 2>&1
dpkg -s libpcap0.8 >/dev/null 2>&1 && echo "note: libpcap0.8 stayed installed"
if apt-get install -y -q ./smtptls_*.deb >/tmp/install.log 2>&1; then
	ok "apt-get install ./$(ls smtptls_*.deb): $(grep -c '^Setting up' /tmp/install.log) packages set up"
else
	tail -20 /tmp/install.log
	fail "apt-get install"
	exit 1
fi
apt-get install -y -q --no-install-recommends man-db iproute2 >/dev/null 2>&1

echo "== man"
if p=$(man -w smtptls) && man -w smtptls-live >/dev/null && man -w 5 smtptls-records >/dev/null; then
	ok "man -w smtptls: $p"
else
	fail "man -w smtptls"
fi

echo "== the service user"
if id _smtptls >/dev/null 2>&1 && [ "$(stat -c %U /var/log/smtptls)" = _smtptls ]; then
	ok "user $(id _smtptls)"
else
	fail "no user _smtptls, or /var/log/smtptls not its"
fi
cap=/usr/share/doc/smtptls/examples/mitm-overwrite-starttls.pcap
out=$(cd /tmp && setpriv --reuid=_smtptls --regid=_smtptls --init-groups -- \
	smtptls analyze -q -s - "$cap" 2>&1) && st=0 || st=$?
if [ "$st" = 0 ] && printf '%s\n' "$out" | grep -q '"starttls_capability_corrupted"'; then
	ok "smtptls analyze as _smtptls on $cap: $(printf '%s\n' "$out" | wc -l) records, the stripping found"
else
	printf '%s\n' "$out" | tail -5
	fail "smtptls analyze as _smtptls (exit $st)"
fi

echo "== the unit's ExecStart, by hand"
unit=/lib/systemd/system/smtptls-live@.service
iface=lo
line=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$iface/g; s/ *\$SMTPTLS_OPTS//")
user=$(sed -n 's/^User=//p' "$unit")
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
bnd=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ "$caps" = "$bnd" ] || fail "ambient ($caps) and bounding ($bnd) sets differ"
list=$(for c in $caps; do printf ',+%s' "$(echo "${c#CAP_}" | tr A-Z a-z)"; done)
# what systemd does first: the options, the state and logs directories
SMTPTLS_OPTS=
. /etc/smtptls/live.conf
for d in /var/lib/smtptls/$iface /var/log/smtptls/$iface; do
	install -d -o "$user" -g "$user" -m 0750 "$d"
done
echo "ExecStart: $line $SMTPTLS_OPTS"
unshare -n /bin/sh -c "ip link set lo up; exec setpriv --reuid=$user --regid=$user --init-groups \
	--inh-caps=-all$list --ambient-caps=-all$list --bounding-set=-all$list \
	--securebits=+noroot,+noroot_locked --no-new-privs -- $line $SMTPTLS_OPTS" \
	>/tmp/live.out 2>/tmp/live.err &
pid=$!
sleep 2
if [ ! -d /proc/$pid ]; then
	cat /tmp/live.err
	fail "the sensor did not keep running"
else
	st=/proc/$pid/status
	grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "$st"
	uid=$(id -u "$user")
	want=$(printf '%016x' $(((1 << 12) | (1 << 13))))   # CAP_NET_ADMIN, CAP_NET_RAW
	[ "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$st")" = "$uid$uid$uid$uid" ] &&
		ok "runs as $user ($uid)" || fail "not running as $user"
	for f in CapEff CapPrm CapBnd CapAmb; do
		v=$(awk -v f="$f:" '$1 == f {print $2}' "$st")
		[ "$v" = "$want" ] && ok "$f $v = CAP_NET_RAW CAP_NET_ADMIN only" || fail "$f $v, want $want"
	done
	[ "$(awk '/^NoNewPrivs:/ {print $2}' "$st")" = 1 ] && ok "no new privileges" || fail "NoNewPrivs"
	[ "$(awk '/^Seccomp:/ {print $2}' "$st")" = 2 ] && ok "its own seccomp filter" || fail "no seccomp filter"
	[ -f /var/log/smtptls/$iface/alerts.jsonl ] && [ "$(stat -c %U /var/log/smtptls/$iface/alerts.jsonl)" = "$user" ] &&
		ok "alerts file owned by $user" || fail "alerts file missing or not $user's"
	kill -TERM $pid
	wait $pid && ok "SIGTERM: exit 0" || fail "exit status $? after SIGTERM"
fi
echo "$fails failed"
exit $fails
INSIDE
