# dns.sh — real DNS software for the DNS scenarios (dane, mta_sts). Sourced
# by make-corpus.sh.
#
# In the server namespace: NSD (authoritative, $DNS_NS) serving the zones of
# lib/scenarios.py (ZONES; zone files written by lib/dnszones.py, signed with
# ldns-signzone, ECDSA P-256 keys made for every run, signatures valid
# 2025-01-01..2045-01-01) and Unbound ($DNS_RESOLVER), a validating resolver
# with the signed zones' DS records as trust anchors and a stub zone per zone
# pointing to NSD. Unbound talks to NSD inside the server namespace (not
# captured); the sending MTA in the client namespace ($C_DANE) asks Unbound
# across the captured veth. The client namespace's resolv.conf
# (/etc/netns/smtptls-c/resolv.conf, bind-mounted by `ip netns exec`) names
# Unbound with `options trust-ad` (glibc passes the AD bit on only then).
DNS_NS=198.51.100.53        # NSD
DNS_RESOLVER=198.51.100.54  # Unbound
C_DANE=203.0.113.14         # Postfix DANE sender (and its resolver queries)
DANE_HOSTS=(ee ta bad insecure bogus tls13 big)
C_STS=203.0.113.15          # Postfix sender with MTA-STS policies (mta-sts-daemon)
STS_WEB=198.51.100.47       # https://mta-sts.sts.example.net/
STS_MX=198.51.100.48        # mx.sts.example.net
M_FRONT_STS=198.51.100.82   # STARTTLS-stripping proxy in front of mx.sts.example.net
DANE_ADDRS=(198.51.100.40 198.51.100.41 198.51.100.42 198.51.100.43 198.51.100.44 198.51.100.45 198.51.100.46)
NETNS_ETC=""                # /etc/netns/<ns> made by this script (removed on exit)

setup_net_dns() {
    local a
    for a in $DNS_NS $DNS_RESOLVER "${DANE_ADDRS[@]}" $STS_WEB $STS_MX; do ip -n "$NS_S" addr add "$a/32" dev s0; done
    ip -n "$NS_C" addr add "$C_DANE/32" dev c0
    ip -n "$NS_C" addr add "$C_STS/32" dev c0
    ip -n "$NS_C" route add "$DNS_RESOLVER/32" dev c0 src "$C_DANE"
    ip -n "$NS_C" route add "$STS_WEB/32" dev c0 src "$C_STS"
    # the stripping proxy: client -> proxy (cm/mc), proxy -> mx.sts (ms/sm)
    ip -n "$NS_M" addr add "$M_FRONT_STS/32" dev mc
    ip -n "$NS_C" route add "$M_FRONT_STS/32" dev cm src "$C_PF"
    ip -n "$NS_M" route add "$STS_MX/32" dev ms src "$M_BACK"
    [ ! -e "/etc/netns/$NS_C" ] || die "/etc/netns/$NS_C exists already"
    NETNS_ETC="/etc/netns/$NS_C"
    mkdir -p "$NETNS_ETC"
    printf 'nameserver %s\noptions trust-ad\n' "$DNS_RESOLVER" >"$NETNS_ETC/resolv.conf"
}

# sign_zone DIR ZONE STATE: DIR/ZONE.zone -> DIR/ZONE.zone.signed (+ DIR/ZONE.ds)
sign_zone() {
    local dir="$1" z="$2" state="$3" ksk zsk
    ksk=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 -k "$z") || die "ldns-keygen failed for $z"
    zsk=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 "$z") || die "ldns-keygen failed for $z"
    (cd "$dir" && ldns-signzone -e 20450101000000 -i 20250101000000 -f "$z.zone.signed" "$z.zone" "$zsk" "$ksk") \
        || die "ldns-signzone failed for $z"
    cp "$dir/$ksk.ds" "$dir/$z.ds"
    if [ "$state" = bogus ]; then
        $PY "$HERE/lib/dnszones.py" corrupt "$dir/$z.zone.signed" "_25._tcp.mx.$z" || die "cannot corrupt $z"
    fi
}

write_nsd_conf() { # write_nsd_conf DIR
    cat >"$1/nsd.conf" <<NSDCONF
server:
    ip-address: $DNS_NS
    port: 53
    username: ""
    chroot: ""
    zonesdir: "$1"
    database: ""
    zonelistfile: "$1/zone.list"
    xfrdfile: "$1/xfrd.state"
    xfrdir: "$1"
    pidfile: "$1/nsd.pid"
    logfile: "$1/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
NSDCONF
}

write_unbound_conf() { # write_unbound_conf DIR
    cat >"$1/unbound.conf" <<UBCONF
server:
    interface: $DNS_RESOLVER
    port: 53
    access-control: 203.0.113.0/24 allow
    access-control: 198.51.100.0/24 allow
    username: ""
    chroot: ""
    directory: "$1"
    pidfile: "$1/unbound.pid"
    logfile: "$1/unbound.log"
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    do-ip6: no
    do-not-query-localhost: no
    qname-minimisation: no
    prefetch: no
    minimal-responses: yes
    max-udp-size: 1232
    edns-buffer-size: 1232
    outgoing-interface: $DNS_RESOLVER
    module-config: "validator iterator"
UBCONF
}

start_dns() {
    local d="$WORK/dns" z state
    mkdir -p "$d"
    $PY "$HERE/lib/dnszones.py" write "$DNS_CA" "$d" >"$d/zones.txt" || die "cannot write the zone files"
    write_nsd_conf "$d"
    write_unbound_conf "$d"
    while read -r z state; do
        if [ "$state" = insecure ]; then
            cp "$d/$z.zone" "$d/$z.zone.signed"
        else
            sign_zone "$d" "$z" "$state"
            echo "    trust-anchor-file: \"$d/$z.ds\"" >>"$d/unbound.conf"
        fi
        printf 'zone:\n    name: "%s"\n    zonefile: "%s/%s.zone.signed"\n' "$z" "$d" "$z" >>"$d/nsd.conf"
    done <"$d/zones.txt"
    while read -r z state; do
        printf 'stub-zone:\n    name: "%s"\n    stub-addr: %s\n' "$z" "$DNS_NS" >>"$d/unbound.conf"
    done <"$d/zones.txt"
    nsd-checkconf "$d/nsd.conf" || die "nsd-checkconf failed"
    unbound-checkconf "$d/unbound.conf" >/dev/null || die "unbound-checkconf failed"
    ip netns exec "$NS_S" nsd -d -c "$d/nsd.conf" >"$d/nsd.out" 2>&1 &
    PIDS+=($!)
    ip netns exec "$NS_S" unbound -d -c "$d/unbound.conf" >"$d/unbound.out" 2>&1 &
    PIDS+=($!)
    local t=0
    until ip netns exec "$NS_S" ss -lun | grep -q "$DNS_NS:53" && ip netns exec "$NS_S" ss -lun | grep -q "$DNS_RESOLVER:53"; do
        sleep 0.2; t=$((t+1))
        if [ $t -ge 50 ]; then
            cat "$d"/nsd.out "$d"/nsd.log "$d"/unbound.out "$d"/unbound.log >&2 2>/dev/null
            die "nsd/unbound did not start"
        fi
    done
    # a name no scenario asks for: the resolver validates the first signed zone
    z=$(awk '$2=="secure"{print $1; exit}' "$d/zones.txt")
    ip netns exec "$NS_C" dig +dnssec +time=3 "ns.$z" A >"$d/selftest.txt" 2>&1 || true
    grep -q 'flags:.* ad' "$d/selftest.txt" || { cat "$d/selftest.txt" "$d/unbound.log" >&2; die "Unbound does not validate ns.$z"; }
    log "DNS: NSD on $DNS_NS, Unbound on $DNS_RESOLVER ($(wc -l <"$d/zones.txt") zones)"
}

# ------------------------------------------------------------ Postfix (DANE)
# Receiving servers: one Postfix instance, a listener per DNS zone's MX,
# limited to TLS 1.2 (certificate visible) except the TLS 1.3 one.
start_dane_servers() {
    local d="$WORK/pf-dane-server" c="$WORK/certs" i extra
    pf_common "$d" mx.dane.example.net
    cat >>"$d/main.cf" <<PFCONF
inet_interfaces = all
local_transport = discard
default_transport = discard
relay_transport = discard
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
smtpd_tls_protocols = TLSv1.2
smtpd_tls_mandatory_protocols = TLSv1.2
PFCONF
    for i in "${!DANE_HOSTS[@]}"; do
        local h="${DANE_HOSTS[$i]}"
        extra=""
        [ "$h" = tls13 ] && extra="-o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_mandatory_protocols=>=TLSv1.2"
        echo "${DANE_ADDRS[$i]}:25 inet n - n - - smtpd -o myhostname=mx.dane-$h.example.net -o smtpd_tls_chain_files=$c/dane-$h.chain.pem $extra" >>"$d/master.cf"
    done
    echo "$STS_MX:25 inet n - n - - smtpd -o myhostname=mx.sts.example.net -o smtpd_tls_chain_files=$c/sts-mx.chain.pem" >>"$d/master.cf"
    pf_start "$NS_S" "$d"
}

# The sending MTA: DNSSEC-validated lookups through Unbound, DANE mandatory
# where TLSA records are secure (smtp_tls_security_level = dane). No chroot
# (pf_common's master.cf), so the daemons read the namespace's bind-mounted
# /etc/resolv.conf. Anonymous cipher suites are excluded so that the
# certificate is visible when Postfix falls back to opportunistic TLS (by
# default it would negotiate ADH with a Postfix server). Deferred messages are not retried during the capture
# (backoff 300 s) and are deleted afterwards.
start_dane_client() {
    local d="$WORK/pf-dane-client"
    pf_common "$d" relay-dane.example.com
    sed -i -e 's/^smtp_dns_support_level = .*/smtp_dns_support_level = dnssec/' \
        -e 's/^smtp_host_lookup = .*/smtp_host_lookup = dns/' \
        -e 's/^inet_protocols = .*/inet_protocols = ipv4/' "$d/main.cf"
    cat >>"$d/main.cf" <<PFCONF
inet_interfaces = loopback-only
smtp_bind_address = $C_DANE
smtp_tls_security_level = dane
smtp_tls_loglevel = 1
smtp_tls_session_cache_database =
smtp_tls_exclude_ciphers = aNULL
default_transport = smtp
relay_transport = smtp
smtp_connection_cache_on_demand = no
smtp_destination_concurrency_limit = 1
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
PFCONF
    echo "smtp      unix  -       -       n       -       -       smtp" >>"$d/master.cf"
    pf_start "$NS_C" "$d"
    PF_DANE="$d"
}

# pf_wait_log DIR REGEX [MAX]: wait until the instance's maillog has REGEX
pf_wait_log() {
    local dir="$1" re="$2" max="${3:-40}" t=0
    until grep -Eq "$re" "$dir/maillog" 2>/dev/null; do
        sleep 0.25; t=$((t+1))
        if [ $t -ge $((max*4)) ]; then
            tail -20 "$dir/maillog" >&2
            die "not in $dir/maillog after ${max}s: $re"
        fi
    done
}

# ------------------------------------------------------------ MTA-STS
# The policy server: python3's http.server wrapped in TLS (certificate of
# mta-sts.sts.example.net from the DNS CA, sent with the intermediate),
# serving /.well-known/mta-sts.txt = `dnszones.py policy sts.example.net`.
start_sts_web() {
    local d="$WORK/sts-web" c="$WORK/certs"
    mkdir -p "$d/.well-known"
    $PY "$HERE/lib/dnszones.py" policy sts.example.net >"$d/.well-known/mta-sts.txt"
    ip netns exec "$NS_S" $PY -c '
import functools, http.server, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[4])
srv = http.server.HTTPServer((sys.argv[1], 443), handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("listening", flush=True)
srv.serve_forever()' "$STS_WEB" "$c/sts-web.fullchain.pem" "$c/sts-web.key" "$d" >"$WORK/sts-web.log" 2>&1 &
    PIDS+=($!)
    local t=0
    until grep -q listening "$WORK/sts-web.log" 2>/dev/null; do
        sleep 0.2; t=$((t+1)); [ $t -lt 50 ] || { cat "$WORK/sts-web.log" >&2; die "policy server did not start"; }
    done
}

# mta-sts-daemon (postfix-mta-sts-resolver) in the client namespace on
# 127.0.0.1:8461, in-memory cache; it trusts the DNS CA (SSL_CERT_FILE, read
# by Python's default SSL context) and resolves through Unbound (resolv.conf).
start_sts_daemon() {
    local d="$WORK/mta-sts-daemon"
    mkdir -p "$d"
    cat >"$d/mta-sts-daemon.yml" <<STSCONF
host: 127.0.0.1
port: 8461
reuse_port: true   # 1.1.2 cannot start with false (UnboundLocalError in responder.start)
cache:
  type: internal
  options:
    cache_size: 100
default_zone:
  strict_testing: false
  timeout: 4
STSCONF
    ip netns exec "$NS_C" env SSL_CERT_FILE="$OUT/ca/corpus-dns-ca.pem" \
        mta-sts-daemon -c "$d/mta-sts-daemon.yml" -l "$d/daemon.log" -v debug >"$d/daemon.out" 2>&1 &
    PIDS+=($!)
    local t=0
    until ip netns exec "$NS_C" ss -ltn | grep -q "127.0.0.1:8461"; do
        sleep 0.2; t=$((t+1)); [ $t -lt 75 ] || { cat "$d"/daemon.* >&2; die "mta-sts-daemon did not start"; }
    done
    STS_DAEMON_DIR="$d"
}

# The MTA-STS sender: opportunistic TLS by default, the policy of a domain
# from the socketmap (secure match=... servername=hostname for an enforce
# policy), certificates checked against the DNS CA.
start_sts_client() {
    local d="$WORK/pf-sts-client"
    pf_common "$d" relay-sts.example.com
    sed -i -e 's/^smtp_dns_support_level = .*/smtp_dns_support_level = enabled/' \
        -e 's/^smtp_host_lookup = .*/smtp_host_lookup = dns/' \
        -e 's/^inet_protocols = .*/inet_protocols = ipv4/' "$d/main.cf"
    cat >>"$d/main.cf" <<PFCONF
inet_interfaces = loopback-only
smtp_bind_address = $C_STS
smtp_tls_security_level = may
smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix
smtp_tls_CAfile = $OUT/ca/corpus-dns-ca.pem
smtp_tls_loglevel = 1
smtp_tls_session_cache_database =
default_transport = smtp
relay_transport = smtp
smtp_connection_cache_on_demand = no
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
PFCONF
    echo "smtp      unix  -       -       n       -       -       smtp" >>"$d/master.cf"
    pf_start "$NS_C" "$d"
    PF_STS="$d"
}
