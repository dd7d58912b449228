# flap.sh — a pool that flaps and a consistent server that is stripped
# (scenarios flap_pool and flap_strip). Sourced by make-corpus.sh.
#
# flap_pool: one MX name, mx.pool.example.net, whose address a load balancer
# (nftables numgen in the server namespace) spreads over two Postfix
# instances in turn: instance A offers STARTTLS, instance B has no TLS at all.
# swaks delivers one message a second to that address: the client sees
# STARTTLS come and go with no attacker anywhere.
#
# flap_strip: Postfix mx5.example.net, always offering STARTTLS; swaks
# delivers four messages directly, then an on-path proxy (lib/mitm_proxy.py
# in strip mode, reached through an nftables redirect as in
# transparent_strip) removes 250-STARTTLS and the next two go in plain text.
#
# The servers use one self-signed certificate: every TLS connection is TLS 1.3,
# so the certificate is never seen in clear, and the corpus CAs are neither
# needed nor touched.
S_FLAP_VIP=192.0.2.25     # mx.pool.example.net as clients see it
S_FLAP_A=192.0.2.125      # Postfix instance A: STARTTLS (TLS >= 1.2)
S_FLAP_B=192.0.2.126      # Postfix instance B: no STARTTLS
S_FLAP_CONS=198.51.100.42 # Postfix mx5.example.net (instance A): STARTTLS
FLAP_PROXY_PORT=2526      # the strip proxy's port on $M_FRONT

setup_net_flap() {
    for a in $S_FLAP_VIP $S_FLAP_A $S_FLAP_B $S_FLAP_CONS; do
        ip -n "$NS_S" addr add "$a/32" dev s0
    done
    ip -n "$NS_C" route add 192.0.2.0/24 dev c0 src "$C_SWAKS"
    ip -n "$NS_M" route add "$S_FLAP_CONS/32" dev ms src "$M_BACK"
    ip netns exec "$NS_C" ping -c1 -W2 "$S_FLAP_VIP" >/dev/null || die "no connectivity C->VIP"
    ip netns exec "$NS_M" ping -c1 -W2 "$S_FLAP_CONS" >/dev/null || die "no connectivity M->mx5"
}

start_flap_servers() {
    local c="$WORK/certs" a="$WORK/pf-flap-a" b="$WORK/pf-flap-b"
    local CA="$WORK/flap-ca"   # leaf() keeps a public copy there; no CA key is made
    leaf flap-mx mx.pool.example.net "DNS:mx.pool.example.net,DNS:mx5.example.net" self 2048 sha256 - -
    for d in "$a" "$b"; do
        pf_common "$d" mx.pool.example.net
        cat >>"$d/main.cf" <<EOF
inet_interfaces = all
local_transport = discard
default_transport = discard
relay_transport = discard
EOF
    done
    cat >>"$a/main.cf" <<EOF
smtpd_tls_security_level = may
smtpd_tls_chain_files = $c/flap-mx.chain.pem
smtpd_tls_loglevel = 1
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
EOF
    cat >>"$b/main.cf" <<EOF
smtpd_tls_security_level = none
EOF
    cat >>"$a/master.cf" <<EOF
$S_FLAP_A:25     inet n - n - - smtpd
$S_FLAP_CONS:25  inet n - n - - smtpd -o myhostname=mx5.example.net
EOF
    cat >>"$b/master.cf" <<EOF
$S_FLAP_B:25     inet n - n - - smtpd
EOF
    pf_start "$NS_S" "$a"
    pf_start "$NS_S" "$b"
}

# truth_flap NAME: truth.py for a flap capture (no certificate is in clear)
truth_flap() {
    [ -z "${SKIP_TRUTH:-}" ] || return 0
    $PY "$HERE/truth.py" --pcap-dir "$OUT" --ca-dir "$WORK/certs" "$1" || die "truth check failed for $1"
}

scn_flap_pool() {
    # new connections to the address go to A and B in turn, A first
    ip netns exec "$NS_S" nft -f - <<NFT
table ip smtptls_flap {
    chain prerouting {
        type nat hook prerouting priority dstnat;
        ip daddr $S_FLAP_VIP tcp dport 25 dnat to numgen inc mod 2 map { 0 : $S_FLAP_A, 1 : $S_FLAP_B }
    }
}
NFT
    capture_start flap-pool-starttls "$NS_C" c0
    local i
    for i in 1 2 3 4 5 6; do
        swaks_run "$S_FLAP_VIP" "pool$i@example.net" "pool delivery $i" --tls-optional
        sleep 1
    done
    capture_stop
    ip netns exec "$NS_S" nft delete table ip smtptls_flap
    truth_flap flap-pool-starttls
}

scn_flap_strip() {
    ip netns exec "$NS_M" $PY "$HERE/lib/mitm_proxy.py" "$M_FRONT:$FLAP_PROXY_PORT:strip" \
        --upstream "$S_FLAP_CONS:25" --source "$M_BACK" >"$WORK/mitm-flap.log" 2>&1 &
    local ppid=$! i
    PIDS+=($ppid)
    sleep 1
    grep -q listening "$WORK/mitm-flap.log" || die "strip proxy did not start"
    capture_start flap-strip-consistent "$NS_C" c0 "$NS_C" cm
    for i in 1 2 3 4; do
        swaks_run "$S_FLAP_CONS" "clean$i@example.net" "direct delivery $i" --tls-optional
        sleep 1
    done
    ip netns exec "$NS_M" nft -f - <<NFT
table ip smtptls_flap_strip {
    chain prerouting {
        type nat hook prerouting priority dstnat;
        ip daddr $S_FLAP_CONS tcp dport 25 redirect to :$FLAP_PROXY_PORT
    }
}
NFT
    ip -n "$NS_C" route add "$S_FLAP_CONS/32" via "$M_FRONT" dev cm onlink
    for i in 1 2; do
        swaks_run "$S_FLAP_CONS" "stripped$i@example.net" "intercepted delivery $i" --tls-optional
        sleep 1
    done
    capture_stop
    ip -n "$NS_C" route del "$S_FLAP_CONS/32" via "$M_FRONT" dev cm onlink
    ip netns exec "$NS_M" nft delete table ip smtptls_flap_strip
    kill "$ppid" 2>/dev/null || true
    truth_flap flap-strip-consistent
}
