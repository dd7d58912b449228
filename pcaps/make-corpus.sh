#!/usr/bin/env bash
# make-corpus.sh — regenerate the smtptls capture corpus with real mail software.
#
# Run as root on Debian 12:   bash pcaps/make-corpus.sh [SCENARIO...]
#
# It installs what it needs with apt-get, builds a private CA, creates three
# network namespaces joined by veth pairs (documentation addresses only:
# 203.0.113.0/24 and 2001:db8:1::/64 for clients, 198.51.100.0/24 and
# 2001:db8:2::/64 for servers; nothing is routed out of the namespaces), starts
# Postfix and Exim inside them, drives real clients (Postfix, Exim, swaks,
# openssl s_client, gnutls-cli), captures with tcpdump and writes NAME.pcap plus
# NAME.truth.json (via truth.py, which checks the configured facts with tshark).
# Everything it started is stopped and the namespaces are deleted on exit.
#
# With no argument every scenario is captured with a new CA; otherwise only
# the named ones, reusing the CA private keys kept by the last full run in
# $CA_STATE (default /tmp/smtptls-ca). The DNS scenarios (dane, mta_sts) have a CA of
# their own in $DNS_CA_STATE (default /tmp/smtptls-dns-ca), see README.md; the
# post-quantum scenario (pq, lib/pq.sh: Node 26 from npm) makes a CA of its
# own on every run ($PQ_CA_STATE, default /tmp/smtptls-pq-ca).
# KEEP_WORK=1 keeps the temporary dir.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE"
PY=/usr/bin/python3
WORK="$(mktemp -d /tmp/smtptls-corpus.XXXXXX)"
chmod 755 "$WORK"
NS_C=${CORPUS_NS:-smtptls}-c     # clients (CORPUS_NS: another prefix, for runs side by side)
NS_S=${CORPUS_NS:-smtptls}-s     # servers
NS_M=${CORPUS_NS:-smtptls}-m     # man in the middle
PIDS=()            # daemons/processes started by this script
PF_DIRS=()         # postfix instances started by this script (ns:dir)

# ---------------------------------------------------------------- addresses
C_PF=203.0.113.10      # Postfix client (relay)
C_EXIM=203.0.113.11    # Exim client
C_SWAKS=203.0.113.12   # swaks
C_OSSL=203.0.113.13    # openssl s_client (source via route)
C6=2001:db8:1::12
S_MX1=198.51.100.25    # Postfix mx1.example.net: STARTTLS, 465, chain cert
S_EXIM=198.51.100.26   # Exim mx2.example.org: 25 plaintext, 587 AUTH+STARTTLS
S_EXIM454=198.51.100.27 # Exim mx3.example.org: STARTTLS -> 454
S_EXIM3DES=198.51.100.28 # Exim mx2.example.org with 3DES allowed (GnuTLS)
S_PLAIN=198.51.100.30  # Postfix without TLS
S_ROOT=198.51.100.31   # Postfix, leaf signed by root (no intermediate)
S_SELF=198.51.100.32   # Postfix, self-signed
S_EXPD=198.51.100.33   # Postfix, expired
S_MISM=198.51.100.34   # Postfix, hostname mismatch
S_WEAK=198.51.100.35   # Postfix, RSA-1024 / SHA-1 cert (SECLEVEL=0)
S_LEGACY=198.51.100.36 # Postfix, TLS 1.0/1.1, static RSA, 3DES, DHE-1024
S_MAX12=198.51.100.37  # Postfix, TLS <= 1.2 only
S6=2001:db8:2::25
M_FRONT=198.51.100.80  # MITM proxy that strips STARTTLS (client side)
M_FRONT2=198.51.100.81 # MITM proxy that overwrites STARTTLS (client side)
M_BACK=203.0.113.80    # MITM proxy, source address towards the server

log() { printf '[make-corpus] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- cleanup
cleanup() {
    set +e
    log "cleaning up"
    for entry in "${PF_DIRS[@]}"; do
        ns="${entry%%:*}"; dir="${entry#*:}"
        ip netns exec "$ns" postfix -c "$dir" stop >/dev/null 2>&1
        if [ -f "$dir/q/pid/master.pid" ]; then
            pid=$(tr -d ' ' <"$dir/q/pid/master.pid"); kill "$pid" 2>/dev/null
        fi
    done
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    sleep 0.5
    for pid in "${PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null
    done
    [ -z "${NETNS_ETC:-}" ] || rm -rf "$NETNS_ETC"
    for ns in "$NS_C" "$NS_S" "$NS_M"; do
        # anything still running in our namespaces was started by us
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    if [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else log "work dir kept: $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- packages
install_packages() {
    local need=()
    command -v postfix >/dev/null || need+=(postfix)
    command -v swaks >/dev/null || need+=(swaks)
    command -v gnutls-cli >/dev/null || need+=(gnutls-bin)
    command -v tcpdump >/dev/null || need+=(tcpdump)
    command -v tshark >/dev/null || need+=(tshark)
    command -v mergecap >/dev/null || need+=(wireshark-common)
    command -v ethtool >/dev/null || need+=(ethtool)
    command -v nft >/dev/null || need+=(nftables)
    perl -MNet::SSLeay -e1 2>/dev/null || need+=(libnet-ssleay-perl)   # swaks's TLS (a Recommends)
    command -v ping >/dev/null || need+=(iputils-ping)
    command -v openssl >/dev/null || need+=(openssl)
    $PY -c 'import scapy' 2>/dev/null || need+=(python3-scapy)
    dpkg -s libidn12 >/dev/null 2>&1 || need+=(libidn12)
    dpkg -s libgnutls30 >/dev/null 2>&1 || need+=(libgnutls30)
    command -v nsd >/dev/null || need+=(nsd)
    command -v unbound >/dev/null || need+=(unbound)
    command -v ldns-signzone >/dev/null || need+=(ldnsutils)
    command -v dig >/dev/null || need+=(bind9-dnsutils)
    command -v mta-sts-daemon >/dev/null || need+=(postfix-mta-sts-resolver)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing: ${need[*]}"
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
        # on a systemd host, the packaged postfix must not stay enabled/running
        if [[ " ${need[*]} " == *" postfix "* ]] && [ -d /run/systemd/system ]; then
            systemctl disable --now postfix >/dev/null 2>&1 || true
        fi
        # nor the packaged DNS servers (this script runs its own, in the namespaces)
        for svc in nsd unbound postfix-mta-sts-resolver; do
            if [[ " ${need[*]} " == *" $svc "* ]] && [ -d /run/systemd/system ]; then
                systemctl disable --now "$svc" >/dev/null 2>&1 || true
            fi
        done
    fi
    # Exim conflicts with Postfix as a Debian package (both provide
    # mail-transport-agent), so its binary is unpacked from the .deb into the
    # work dir instead of being installed.
    mkdir -p "$WORK/debs"
    (cd "$WORK/debs" && apt-get download exim4-daemon-light >/dev/null 2>&1) \
        || { apt-get update -q >/dev/null; (cd "$WORK/debs" && apt-get download exim4-daemon-light >/dev/null); }
    dpkg-deb -x "$WORK"/debs/exim4-daemon-light_*.deb "$WORK/exim-root"
    EXIM="$WORK/exim-root/usr/sbin/exim4"
    [ -x "$EXIM" ] || die "exim binary not found"
    # Never leave a system MTA running because of this script.
    if [ -f /var/spool/postfix/pid/master.pid ] && kill -0 "$(tr -d ' ' </var/spool/postfix/pid/master.pid)" 2>/dev/null; then
        log "note: a system postfix is running; it is left alone (it listens only in the host namespace)"
    fi
}

# ---------------------------------------------------------------- users for Exim
# Exim looks up its compiled-in user "Debian-exim"; rather than adding a user
# to the host, every Exim process runs in a private mount namespace where
# /etc/passwd and /etc/group are bind-mounted copies that include it, and
# where /usr/sbin is overlaid with the unpacked exim4 binary.
make_exim_passwd() {
    mkdir -p "$WORK/etc"
    cp /etc/passwd "$WORK/etc/passwd"; cp /etc/group "$WORK/etc/group"
    grep -q '^Debian-exim:' "$WORK/etc/passwd" || echo 'Debian-exim:x:64990:64990:Exim (corpus):/nonexistent:/usr/sbin/nologin' >>"$WORK/etc/passwd"
    grep -q '^Debian-exim:' "$WORK/etc/group" || echo 'Debian-exim:x:64990:' >>"$WORK/etc/group"
    EXIM_UID=$(awk -F: '$1=="Debian-exim"{print $3}' "$WORK/etc/passwd")
    EXIM_GID=$(awk -F: '$1=="Debian-exim"{print $3}' "$WORK/etc/group")
}
# in_exim_ns NS CMD... : run CMD in netns NS with the Exim passwd view
in_exim_ns() {
    local ns="$1"; shift
    ip netns exec "$ns" unshare -m sh -c '
        mount --make-rprivate / 2>/dev/null
        mount --bind "$0/etc/passwd" /etc/passwd && mount --bind "$0/etc/group" /etc/group || exit 97
        # Exim re-executes itself as /usr/sbin/exim4: show the unpacked binary there
        mount -t overlay smtptls-exim -o "lowerdir=$0/exim-root/usr/sbin:/usr/sbin" /usr/sbin || exit 98
        exec "$@"' "$WORK" "$@"
}

# ---------------------------------------------------------------- network
setup_net() {
    for ns in "$NS_C" "$NS_S" "$NS_M"; do
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    # client <-> server
    ip link add c0 netns "$NS_C" type veth peer name s0 netns "$NS_S"
    # client <-> mitm, mitm <-> server
    ip link add cm netns "$NS_C" type veth peer name mc netns "$NS_M"
    ip link add ms netns "$NS_M" type veth peer name sm netns "$NS_S"
    for pair in "$NS_C c0" "$NS_S s0" "$NS_C cm" "$NS_M mc" "$NS_M ms" "$NS_S sm"; do
        set -- $pair
        # no offloads: every captured segment is at most one MTU, checksums are real
        ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
        ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0" || true
        ip -n "$1" link set "$2" up
    done
    # fixed, locally administered MACs
    ip -n "$NS_C" link set c0 address 02:00:00:00:0c:00
    ip -n "$NS_S" link set s0 address 02:00:00:00:05:00
    ip -n "$NS_C" link set cm address 02:00:00:00:0c:01
    ip -n "$NS_M" link set mc address 02:00:00:00:0e:00
    ip -n "$NS_M" link set ms address 02:00:00:00:0e:01
    ip -n "$NS_S" link set sm address 02:00:00:00:05:01
    for a in $C_PF $C_EXIM $C_SWAKS $C_OSSL; do ip -n "$NS_C" addr add "$a/32" dev c0; done
    ip -n "$NS_C" addr add "$C6/64" dev c0 nodad
    for a in $S_MX1 $S_EXIM $S_EXIM454 $S_EXIM3DES $S_PLAIN $S_ROOT $S_SELF $S_EXPD $S_MISM $S_WEAK $S_LEGACY $S_MAX12; do
        ip -n "$NS_S" addr add "$a/32" dev s0
    done
    ip -n "$NS_S" addr add "$S6/64" dev s0 nodad
    ip -n "$NS_C" route add 198.51.100.0/24 dev c0 src $C_OSSL
    ip -n "$NS_S" route add 203.0.113.0/24 dev s0
    ip -n "$NS_C" -6 route add 2001:db8:2::/64 dev c0
    ip -n "$NS_S" -6 route add 2001:db8:1::/64 dev s0
    # MITM legs
    ip -n "$NS_M" addr add "$M_FRONT/32" dev mc
    ip -n "$NS_M" addr add "$M_FRONT2/32" dev mc
    ip -n "$NS_M" addr add "$M_BACK/32" dev ms
    ip -n "$NS_C" route add "$M_FRONT/32" dev cm src $C_PF
    ip -n "$NS_C" route add "$M_FRONT2/32" dev cm src $C_PF
    ip -n "$NS_M" route add 203.0.113.0/24 dev mc
    ip -n "$NS_M" route add "$S_MX1/32" dev ms src $M_BACK
    ip -n "$NS_S" route add "$M_BACK/32" dev sm
    sleep 1
    ip netns exec "$NS_C" ping -c1 -W2 $S_MX1 >/dev/null || die "no connectivity C->S"
    ip netns exec "$NS_C" ping -c1 -W2 -I $C6 $S6 >/dev/null || die "no IPv6 connectivity C->S"
    ip netns exec "$NS_M" ping -c1 -W2 $S_MX1 >/dev/null || die "no connectivity M->S"
    ip netns exec "$NS_C" ping -c1 -W2 $M_FRONT >/dev/null || die "no connectivity C->M"
}

# ---------------------------------------------------------------- CA & certs
CA="${CA_STATE:-/tmp/smtptls-ca}"   # CA private keys live only here, never in pcaps/
DNS_CA="${DNS_CA_STATE:-/tmp/smtptls-dns-ca}"   # the DNS scenarios' CA (keys only here)
source "$HERE/lib/certs.sh"

# ---------------------------------------------------------------- daemons
source "$HERE/lib/daemons.sh"
source "$HERE/lib/dns.sh"
source "$HERE/lib/pq.sh"
source "$HERE/lib/flap.sh"
source "$HERE/lib/accuracy.sh"

# ---------------------------------------------------------------- capture
# capture_start NAME NS IFACE [NS IFACE ...]: one tcpdump per (ns, iface)
CAP_PIDS=(); CAP_FILES=(); CAP_NAME=""
capture_start() {
    CAP_NAME="$1"; shift
    CAP_PIDS=(); CAP_FILES=()
    local i=0
    while [ $# -gt 0 ]; do
        local ns="$1" ifc="$2"; shift 2
        local f="$WORK/cap-$CAP_NAME-$i.pcap"
        # shellcheck disable=SC2086 # the filter is several words
        ip netns exec "$ns" tcpdump -i "$ifc" -s 0 -U -n -w "$f" ${CAP_FILTER:-tcp} 2>"$WORK/tcpdump-$CAP_NAME-$i.log" &
        CAP_PIDS+=($!); PIDS+=($!); CAP_FILES+=("$f")
        i=$((i+1))
    done
    local t=0
    for n in "${!CAP_FILES[@]}"; do
        until grep -q 'listening on' "$WORK/tcpdump-$CAP_NAME-$n.log" 2>/dev/null; do
            sleep 0.1; t=$((t+1)); [ $t -lt 100 ] || die "tcpdump did not start"
        done
    done
    sleep 0.3
}
capture_stop() {
    sleep 1
    for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${CAP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    local dst="$OUT/$CAP_NAME.pcap"
    if [ ${#CAP_FILES[@]} -eq 1 ]; then
        cp "${CAP_FILES[0]}" "$dst"
    else
        mergecap -F pcap -w "$dst" "${CAP_FILES[@]}"
    fi
    chmod 644 "$dst"
    log "captured $CAP_NAME.pcap ($(stat -c %s "$dst") bytes)"
}
truth() {
    [ -z "${SKIP_TRUTH:-}" ] || return 0
    $PY "$HERE/truth.py" --pcap-dir "$OUT" --ca-dir "$CA" "$@" || die "truth check failed for $*"
}
# truth_dns NAME MAILLOG: the same for a DNS scenario (its CA; its Postfix sender's log)
truth_dns() {
    [ -z "${SKIP_TRUTH:-}" ] || return 0
    $PY "$HERE/truth.py" --pcap-dir "$OUT" --ca-dir "$DNS_CA" --maillog "$2" "$1" \
        || die "truth check failed for $1"
}

source "$HERE/lib/scenarios.sh"

# ---------------------------------------------------------------- main
ALL_SCENARIOS=(plaintext starttls_tls13 tls12_certs weak_tls starttls_unused mitm transparent_strip starttls_454
               tls_fail_retry submission implicit_tls pipelining ipv6 resumption derived dane mta_sts pq
               flap_pool flap_strip acc_reply acc_anyway acc_snap acc_midstream)
DNS_SCENARIOS=(dane mta_sts)   # real DNS software (lib/dns.sh), the DNS CA
PQ_SCENARIOS=(pq)              # Node 26 / OpenSSL 3.5 (lib/pq.sh), a CA of its own
FLAP_SCENARIOS=(flap_pool flap_strip) # lib/flap.sh: self-signed, no CA
ACC_SCENARIOS=(acc_reply acc_anyway acc_snap acc_midstream)  # lib/accuracy.sh, a CA of its own

# dns_ca: the DNS CA of the committed DNS captures when its keys are kept in
# $DNS_CA, else a new one when every DNS scenario is made (a full run, all
# DNS scenarios named, or NEW_CA set); the main CA and its captures are
# never touched by this.
dns_ca() {
    local all_dns="$1"
    if [ -n "${NEW_CA:-}" ] || [ "$FULL_RUN" = 1 ]; then
        make_dns_ca
    elif [ -f "$DNS_CA/root.key" ] && cmp -s "$DNS_CA/root.pem" "$OUT/ca/corpus-dns-ca.pem"; then
        log "reusing the DNS scenarios' CA in $DNS_CA"
    elif [ "$all_dns" = 1 ]; then
        make_dns_ca
    else
        die "the DNS scenarios' CA keys are not in $DNS_CA; name every DNS scenario (${DNS_SCENARIOS[*]}) to make them all with a new one"
    fi
}

main() {
    local list=("$@") base=() dns=() pq=() flap=() acc=() s
    FULL_RUN=0
    [ ${#list[@]} -gt 0 ] || { list=("${ALL_SCENARIOS[@]}"); FULL_RUN=1; }
    for s in "${list[@]}"; do
        if [[ " ${DNS_SCENARIOS[*]} " == *" $s "* ]]; then dns+=("$s")
        elif [[ " ${PQ_SCENARIOS[*]} " == *" $s "* ]]; then pq+=("$s")
        elif [[ " ${FLAP_SCENARIOS[*]} " == *" $s "* ]]; then flap+=("$s")
        elif [[ " ${ACC_SCENARIOS[*]} " == *" $s "* ]]; then acc+=("$s")
        else base+=("$s"); fi
    done
    install_packages
    make_exim_passwd
    if [ ${#base[@]} -gt 0 ]; then
        if [ "$FULL_RUN" = 1 ] || [ -n "${NEW_CA:-}" ]; then
            make_ca_new
        elif [ -f "$CA/root.key" ] && cmp -s "$CA/root.pem" "$OUT/ca/corpus-ca.pem"; then
            log "partial run: reusing the CA in $CA"
        else
            die "partial runs need the CA private keys of the committed corpus ($CA); run without arguments"
        fi
        make_leaf_certs
    fi
    if [ ${#dns[@]} -gt 0 ]; then
        dns_ca "$([ ${#dns[@]} -eq ${#DNS_SCENARIOS[@]} ] && echo 1 || echo 0)"
        make_dns_leaf_certs
    fi
    if [ ${#pq[@]} -gt 0 ]; then
        install_node
        make_pq_ca
    fi
    [ ${#acc[@]} -eq 0 ] || make_acc_ca
    setup_net
    if [ ${#base[@]} -gt 0 ]; then
        start_servers
        start_clients
    fi
    if [ ${#dns[@]} -gt 0 ]; then
        setup_net_dns
        start_dns
        start_dane_servers
        start_dane_client
        if [[ " ${dns[*]} " == *" mta_sts "* ]]; then
            start_sts_web
            start_sts_daemon
            start_sts_client
        fi
    fi
    if [ ${#pq[@]} -gt 0 ]; then
        setup_net_pq
        start_pq_servers
    fi
    if [ ${#flap[@]} -gt 0 ]; then
        setup_net_flap
        start_flap_servers
    fi
    if [ ${#acc[@]} -gt 0 ]; then
        setup_net_acc
        start_acc_servers
    fi
    for s in "${base[@]}" "${dns[@]}" "${pq[@]}" "${flap[@]}" "${acc[@]}"; do
        log "=== scenario $s"
        "scn_$s"
    done
    log "done; corpus size: $(du -sh "$OUT" | cut -f1)"
}
main "$@"
