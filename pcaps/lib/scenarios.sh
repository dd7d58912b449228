# scenarios.sh — one function per capture group. Sourced by make-corpus.sh.
# The facts each connection is expected to show are in lib/scenarios.py
# (same capture names, connections in order of their SYN); truth.py checks
# them against the capture with tshark and writes NAME.truth.json.

BODY_SMALL=$'This is a corpus test message.\nIt has a fixed body.'
HDR_DATE='Date: Thu, 01 Jan 2026 00:00:00 +0000'

# swaks_run SERVER RCPT SUBJECT [swaks options...]
swaks_run() {
    local server="$1" rcpt="$2" subj="$3"; shift 3
    local li="$C_SWAKS"
    case "$server" in *:*:*) li="$C6";; esac
    ip netns exec "$NS_C" swaks --server "$server" --local-interface "$li" \
        --helo client.example.com --from sender@example.com --to "$rcpt" \
        --header "Subject: $subj" --header "$HDR_DATE" \
        --header "Message-Id: <$(echo "$subj" | tr -c 'a-zA-Z0-9\n' '-')@client.example.com>" \
        --body "$BODY_SMALL" "$@" >"$WORK/swaks.log" 2>&1 \
        || { tail -15 "$WORK/swaks.log" >&2; die "swaks failed: $server $rcpt $*"; }
    cat "$WORK/swaks.log" >>"$WORK/swaks-all.log"
}

# ossl_smtp MODE HOST PORT RCPT [s_client options...]
#   MODE starttls: s_client -starttls smtp (it sends its own EHLO first)
#   MODE tls:      implicit TLS
# sends one message over the TLS session, then QUIT.
ossl_smtp() {
    local mode="$1" host="$2" port="$3" rcpt="$4"; shift 4
    local st=()
    [ "$mode" = starttls ] && st=(-starttls smtp -name client.example.com)
    {
        sleep 1.5
        [ "$mode" = tls ] && { sleep 0.5; }
        printf 'EHLO client.example.com\r\n'; sleep 0.3
        printf 'MAIL FROM:<sender@example.com>\r\n'; sleep 0.2
        printf 'RCPT TO:<%s>\r\n' "$rcpt"; sleep 0.2
        printf 'DATA\r\n'; sleep 0.3
        printf 'From: <sender@example.com>\r\nTo: <%s>\r\nSubject: openssl s_client\r\n%s\r\n\r\n' "$rcpt" "$HDR_DATE"
        printf 'This is a corpus test message.\r\nIt has a fixed body.\r\n.\r\n'; sleep 0.4
        printf 'QUIT\r\n'; sleep 0.5
    } | ip netns exec "$NS_C" openssl s_client -connect "$host:$port" "${st[@]}" \
            -nocommands -ign_eof -CAfile "$OUT/ca/corpus-ca.pem" "$@" \
            >"$WORK/ossl-$(date +%s%N).log" 2>&1 || true
}

# gnutls_smtp HOST PORT RCPT SNI PRIORITY : gnutls-cli STARTTLS session, one message
gnutls_smtp() {
    local host="$1" port="$2" rcpt="$3" sni="$4" prio="$5"
    {
        sleep 1.5
        printf 'EHLO client.example.com\r\n'; sleep 0.3
        printf 'MAIL FROM:<sender@example.com>\r\n'; sleep 0.2
        printf 'RCPT TO:<%s>\r\n' "$rcpt"; sleep 0.2
        printf 'DATA\r\n'; sleep 0.3
        printf 'From: <sender@example.com>\r\nTo: <%s>\r\nSubject: gnutls-cli\r\n%s\r\n\r\n' "$rcpt" "$HDR_DATE"
        printf 'This is a corpus test message.\r\nIt has a fixed body.\r\n.\r\n'; sleep 0.4
        printf 'QUIT\r\n'; sleep 0.5
    } | ip netns exec "$NS_C" gnutls-cli --starttls-proto=smtp --port "$port" --sni-hostname "$sni" \
            --verify-hostname "$sni" --x509cafile "$OUT/ca/corpus-ca.pem" --priority "$prio" "$host" \
            >"$WORK/gnutls.log" 2>&1 || { tail -20 "$WORK/gnutls.log" >&2; die "gnutls-cli failed: $host $prio"; }
    cat "$WORK/gnutls.log" >>"$WORK/gnutls-all.log"
}

# ---------------------------------------------------------------- 1
scn_plaintext() {
    capture_start plaintext-no-starttls "$NS_S" s0
    swaks_run "$S_PLAIN" postmaster@example.com "plaintext to postfix"
    swaks_run "$S_EXIM" postmaster@example.org "plaintext to exim"
    capture_stop
    truth plaintext-no-starttls
}

# ---------------------------------------------------------------- 2
scn_starttls_tls13() {
    capture_start starttls-tls13 "$NS_S" s0
    pf_send tls13@example.net "postfix to postfix"
    pf_wait_empty 30
    exim_send exim@example.net "exim to postfix"
    swaks_run "$S_MX1" swaks@example.net "swaks starttls" --tls --tls-sni mx1.example.net
    ossl_smtp starttls "$S_MX1" 25 ossl@example.net -servername mx1.example.net
    capture_stop
    truth starttls-tls13
}

# ---------------------------------------------------------------- 3
scn_tls12_certs() {
    capture_start tls12-certs "$NS_S" s0
    local t=(--tls --tls-protocol tlsv1_2 --tls-sni mx1.example.net)
    swaks_run "$S_ROOT" root@example.net "tls12 root-signed" "${t[@]}"
    swaks_run "$S_MX1"  chain@example.net "tls12 chain" "${t[@]}"
    swaks_run "$S_SELF" self@example.net "tls12 self-signed" "${t[@]}"
    swaks_run "$S_EXPD" expired@example.net "tls12 expired" "${t[@]}"
    swaks_run "$S_MISM" mismatch@example.net "tls12 mismatch" "${t[@]}"
    OPENSSL_CONF="$WORK/openssl-legacy.cnf" \
        swaks_run "$S_WEAK" weak@example.net "tls12 rsa1024 sha1" "${t[@]}" --tls-cipher 'DEFAULT:@SECLEVEL=0'
    capture_stop
    truth tls12-certs
}

# ---------------------------------------------------------------- 4
scn_weak_tls() {
    capture_start weak-tls "$NS_S" s0
    local sni=(--tls --tls-sni mx1.example.net)
    export OPENSSL_CONF="$WORK/openssl-legacy.cnf"
    swaks_run "$S_LEGACY" tls10@example.net "tls1.0 cbc" "${sni[@]}" --tls-protocol tlsv1 --tls-cipher 'ECDHE-RSA-AES256-SHA:@SECLEVEL=0'
    swaks_run "$S_LEGACY" tls11@example.net "tls1.1 static rsa" "${sni[@]}" --tls-protocol tlsv1_1 --tls-cipher 'AES128-SHA:@SECLEVEL=0'
    # (3DES is not built into Debian 12's OpenSSL: "no cipher match"; the
    # 3DES sessions below use GnuTLS on both sides)
    swaks_run "$S_LEGACY" rsa12@example.net "tls1.2 static rsa cbc" "${sni[@]}" --tls-protocol tlsv1_2 --tls-cipher 'AES256-SHA256:@SECLEVEL=0'
    swaks_run "$S_LEGACY" dhe@example.net "tls1.2 dhe1024" "${sni[@]}" --tls-protocol tlsv1_2 --tls-cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'
    unset OPENSSL_CONF
    # 3DES: Exim (GnuTLS) server and gnutls-cli client
    gnutls_smtp "$S_EXIM3DES" 25 tdes@example.org mx2.example.org \
        'NORMAL:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+RSA:-VERS-ALL:+VERS-TLS1.2'
    gnutls_smtp "$S_EXIM3DES" 25 tdes10@example.org mx2.example.org \
        'NORMAL:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+ECDHE-RSA:-VERS-ALL:+VERS-TLS1.0:%VERIFY_ALLOW_SIGN_WITH_SHA1'
    capture_stop
    truth weak-tls
}

# ---------------------------------------------------------------- 5
scn_starttls_unused() {
    capture_start starttls-not-used "$NS_S" s0
    swaks_run "$S_MX1" plain@example.net "starttls offered not used"
    pf_send notls@example.net "postfix relay with tls off"
    pf_wait_empty 30
    capture_stop
    truth starttls-not-used
}

# ---------------------------------------------------------------- 6
scn_mitm() {
    ip netns exec "$NS_M" $PY "$HERE/lib/mitm_proxy.py" "$M_FRONT:25:strip" "$M_FRONT2:25:overwrite" \
        --upstream "$S_MX1:25" --source "$M_BACK" >"$WORK/mitm.log" 2>&1 &
    local ppid=$!; PIDS+=($ppid)
    sleep 1
    grep -q listening "$WORK/mitm.log" || die "mitm proxy did not start"
    capture_start mitm-strip-starttls "$NS_M" mc "$NS_M" ms
    pf_send strip@example.net "through a proxy that strips STARTTLS"
    pf_wait_empty 30
    swaks_run "$M_FRONT" strip@example.net "swaks through stripping proxy" --tls-optional
    capture_stop
    truth mitm-strip-starttls
    capture_start mitm-overwrite-starttls "$NS_M" mc "$NS_M" ms
    pf_send overwrite@example.net "through a proxy that overwrites STARTTLS"
    pf_wait_empty 30
    capture_stop
    truth mitm-overwrite-starttls
    kill "$ppid" 2>/dev/null || true
}

# ---------------------------------------------------------------- 6b
# An on-path stripper, transparent to the client: the first deliveries reach
# mx1 directly and see STARTTLS; then the client's route to mx1 is sent
# through the MITM namespace, where an nftables redirect hands port 25 to
# mitm_proxy.py (strip mode), which relays to the real mx1. The client keeps
# talking to 198.51.100.25 and only the missing STARTTLS shows. Captured on
# the client's two interfaces (c0 direct, cm intercepted).
scn_transparent_strip() {
    ip netns exec "$NS_M" $PY "$HERE/lib/mitm_proxy.py" "$M_FRONT:2525:strip" \
        --upstream "$S_MX1:25" --source "$M_BACK" >"$WORK/mitm-transparent.log" 2>&1 &
    local ppid=$!; PIDS+=($ppid)
    sleep 1
    grep -q listening "$WORK/mitm-transparent.log" || die "transparent proxy did not start"
    capture_start transparent-strip-starttls "$NS_C" c0 "$NS_C" cm
    pf_send tls13@example.net "direct, before the interception"
    pf_wait_empty 30
    swaks_run "$S_MX1" direct@example.net "swaks direct, before the interception" --tls-optional
    sleep 3   # Postfix's cached connection (if any) is closed by now
    ip netns exec "$NS_M" nft -f - <<NFT
table ip smtptls_strip {
    chain prerouting {
        type nat hook prerouting priority dstnat;
        ip daddr $S_MX1 tcp dport 25 redirect to :2525
    }
}
NFT
    ip -n "$NS_C" route add "$S_MX1/32" via "$M_FRONT" dev cm onlink
    pf_send tls13@example.net "intercepted, STARTTLS stripped"
    pf_wait_empty 30
    swaks_run "$S_MX1" stripped@example.net "swaks intercepted" --tls-optional
    capture_stop
    ip -n "$NS_C" route del "$S_MX1/32" via "$M_FRONT" dev cm onlink
    ip netns exec "$NS_M" nft delete table ip smtptls_strip
    kill "$ppid" 2>/dev/null || true
    truth transparent-strip-starttls
}

# ---------------------------------------------------------------- 7
scn_starttls_454() {
    capture_start starttls-454 "$NS_S" s0
    pf_send refused@example.org "starttls refused with 454"
    pf_wait_empty 40
    swaks_run "$S_EXIM454" refused@example.org "swaks tls-optional after 454" --tls-optional
    capture_stop
    truth starttls-454
}

# ---------------------------------------------------------------- 8
scn_tls_fail_retry() {
    capture_start tls-fail-retry "$NS_S" s0
    pf_send retry@example.net "tls handshake fails then plaintext"
    # Postfix defers after the first failed handshake; once the message is
    # older than minimal_backoff_time (5s here) the next attempt falls back
    # to plaintext right after its failed handshake. The second attempt is
    # started with postqueue -f 8s after the first (queue_run_delay is long,
    # so the queue manager does not retry by itself in between).
    local t=0
    until grep -q 'to=<retry@example.net>.*status=deferred' "$PF_CLIENT/maillog"; do
        sleep 0.2; t=$((t+1)); [ $t -lt 100 ] || die "first delivery attempt not seen"
    done
    sleep 8
    ip netns exec "$NS_C" postqueue -c "$PF_CLIENT" -f
    pf_wait_empty 30
    capture_stop
    truth tls-fail-retry
}

# ---------------------------------------------------------------- 9
scn_submission() {
    capture_start submission-auth "$NS_S" s0
    local a=(--port 587 --auth-user alice@example.org --auth-password corpus-password)
    swaks_run "$S_EXIM" bob@example.org "auth plain in clear" "${a[@]}" --auth PLAIN
    swaks_run "$S_EXIM" bob@example.org "auth login in clear" "${a[@]}" --auth LOGIN
    swaks_run "$S_EXIM" bob@example.org "auth plain after starttls" "${a[@]}" --auth PLAIN --tls --tls-sni mx2.example.org
    capture_stop
    truth submission-auth
}

# ---------------------------------------------------------------- 10
scn_implicit_tls() {
    capture_start implicit-tls-465 "$NS_S" s0
    swaks_run "$S_MX1" smtps@example.net "implicit tls 465" --port 465 --tls-on-connect --tls-sni mx1.example.net
    ossl_smtp tls "$S_MX1" 465 smtps12@example.net -tls1_2 -servername mx1.example.net
    capture_stop
    truth implicit-tls-465
}

# ---------------------------------------------------------------- 11
scn_pipelining() {
    # 1.7 MB body, fixed content
    $PY - >"$WORK/large-body.txt" <<'PYEOF'
for i in range(20000):
    print("line %05d of the large corpus message: the quick brown fox jumps over the lazy dog" % i)
PYEOF
    capture_start pipelining-chunking "$NS_S" s0
    # Exim: three messages queued (-odq), then one two-phase queue run (-qqf): Exim delivers
    # them over one connection (continued connection, -Mc), pipelined, with
    # BDAT since Postfix offers CHUNKING. Sent in clear (hosts_avoid_tls).
    exim_send multi@example.net "queued message 1" "" -odq
    exim_send multi@example.net "queued message 2" "" -odq
    exim_send multi@example.net "queued message 3" "" -odq
    in_exim_ns "$NS_C" "$EXIM" -C "$EXIM_CLIENT/exim.conf" -qqf 2>>"$EXIM_CLIENT/stderr.log"
    # Exim: a large message in clear; Postfix offers CHUNKING -> BDAT
    exim_send chunking@example.net "large message with bdat" "$WORK/large-body.txt"
    # swaks --pipeline
    swaks_run "$S_MX1" pipe@example.net "swaks pipelining" --pipeline
    capture_stop
    truth pipelining-chunking
}

# ---------------------------------------------------------------- 12
scn_ipv6() {
    capture_start ipv6-starttls "$NS_S" s0
    swaks_run "$S6" v6tls@example.net "ipv6 starttls" --tls --tls-sni mx1.example.net
    swaks_run "$S6" v6plain@example.net "ipv6 plaintext"
    capture_stop
    truth ipv6-starttls
}

# ---------------------------------------------------------------- 13
scn_resumption() {
    capture_start tls12-resumption "$NS_S" s0
    local o=(-tls1_2 -servername mx1.example.net)
    ossl_smtp starttls "$S_MX1" 25 ticket1@example.net "${o[@]}" -sess_out "$WORK/sess-ticket.pem"
    ossl_smtp starttls "$S_MX1" 25 ticket2@example.net "${o[@]}" -sess_in "$WORK/sess-ticket.pem"
    ossl_smtp starttls "$S_MX1" 25 sessid1@example.net "${o[@]}" -no_ticket -sess_out "$WORK/sess-id.pem"
    ossl_smtp starttls "$S_MX1" 25 sessid2@example.net "${o[@]}" -no_ticket -sess_in "$WORK/sess-id.pem"
    capture_stop
    truth tls12-resumption
}

# ---------------------------------------------------------------- 12b
scn_derived() {
    $PY "$HERE/lib/rewrite.py" vlan "$OUT/starttls-tls13.pcap" "$OUT/vlan-starttls-tls13.pcap"
    truth vlan-starttls-tls13
    $PY "$HERE/lib/rewrite.py" impair "$OUT/pipelining-chunking.pcap" "$OUT/impaired-pipelining-chunking.pcap" \
        "$OUT/impaired-pipelining-chunking.impairment.json"
    truth impaired-pipelining-chunking
}

# ---------------------------------------------------------------- 14 (DNS)
# pf_dane_send RCPT SUBJECT REGEX: queue one message on the DANE sender and
# wait until its maillog shows REGEX for it
pf_dane_send() {
    local PF_CLIENT="$PF_DANE"
    pf_send "$1" "$2"
    pf_wait_log "$PF_DANE" "$3" 40
    sleep 0.5
}

# DANE with real DNS software (lib/dns.sh): one delivery per zone of
# lib/scenarios.py, in the order of its connections. Captured on the server
# side of the client-server veth with DNS (the sender's queries to Unbound).
scn_dane() {
    CAP_FILTER="tcp or udp port 53" capture_start dane "$NS_S" s0
    local sent='status=sent' deferred='status=deferred'
    pf_dane_send ee@dane-ee.example.net "dane-ee 3 1 1" "to=<ee@dane-ee.example.net>.*($sent|$deferred)"
    pf_dane_send ta@dane-ta.example.net "dane-ta 2 1 1" "to=<ta@dane-ta.example.net>.*($sent|$deferred)"
    pf_dane_send bad@dane-bad.example.net "dane-bad mismatch" "to=<bad@dane-bad.example.net>.*($sent|$deferred)"
    # Postfix asks for TLSA records only when the MX host's address records
    # are secure (RFC 7672 §2.2.2), so the insecure TLSA answer is fetched
    # by dig, from the sender's address and through the same resolver
    ip netns exec "$NS_C" dig +dnssec +time=3 -b "$C_DANE" _25._tcp.mx.dane-insecure.example.net TLSA >/dev/null
    pf_dane_send insecure@dane-insecure.example.net "unsigned zone" \
        "to=<insecure@dane-insecure.example.net>.*($sent|$deferred)"
    pf_dane_send bogus@dane-bogus.example.net "bogus TLSA signature" "to=<bogus@dane-bogus.example.net>.*($sent|$deferred)"
    # Postfix does not connect to the MX whose TLSA answer is bogus: a
    # swaks delivery to it gives the connection the DNS facts belong to
    swaks_run 198.51.100.44 swaks@dane-bogus.example.net "swaks to the bogus-TLSA MX" \
        --tls --tls-protocol tlsv1_2 --tls-sni mx.dane-bogus.example.net
    pf_dane_send tls13@dane-tls13.example.net "dane tls 1.3" "to=<tls13@dane-tls13.example.net>.*($sent|$deferred)"
    pf_dane_send big@dane-big.example.net "large TLSA RRset" "to=<big@dane-big.example.net>.*($sent|$deferred)"
    capture_stop
    ip netns exec "$NS_C" postsuper -c "$PF_DANE" -d ALL >/dev/null 2>&1 || true
    truth_dns dane "$PF_DANE/maillog"
}

# MTA-STS with postfix-mta-sts-resolver (lib/dns.sh): a delivery under the
# enforce policy of sts.example.net, then swaks reaching the same MX through
# a proxy that strips STARTTLS. Captured on the server's two interfaces: s0
# (DNS, the policy fetch, the direct delivery) and sm (the proxy's leg).
scn_mta_sts() {
    ip netns exec "$NS_M" $PY "$HERE/lib/mitm_proxy.py" "$M_FRONT_STS:25:strip" \
        --upstream "$STS_MX:25" --source "$M_BACK" >"$WORK/mitm-sts.log" 2>&1 &
    local ppid=$!; PIDS+=($ppid)
    sleep 1
    grep -q listening "$WORK/mitm-sts.log" || die "mitm proxy (mta-sts) did not start"
    CAP_FILTER="tcp or udp port 53" capture_start mta-sts "$NS_S" s0 "$NS_S" sm
    # the TLS-RPT address, looked up as a reporting sender would
    ip netns exec "$NS_C" dig +time=3 -b "$C_STS" _smtp._tls.sts.example.net TXT >/dev/null
    local PF_CLIENT="$PF_STS"
    pf_send enforce@sts.example.net "delivery under an enforce MTA-STS policy"
    pf_wait_log "$PF_STS" 'to=<enforce@sts.example.net>.*status=(sent|deferred)' 40
    grep -q 'GET /.well-known/mta-sts.txt HTTP/1.1" 200' "$WORK/sts-web.log" \
        || { cat "$WORK/sts-web.log" "$STS_DAEMON_DIR"/daemon.* >&2; die "the policy was not fetched"; }
    sleep 0.5
    swaks_run "$M_FRONT_STS" strip@sts.example.net "swaks through the stripping proxy" --tls-optional
    capture_stop
    kill "$ppid" 2>/dev/null || true
    # the policy exactly as served, for --mta-sts-policies
    mkdir -p "$OUT/mta-sts.mta-sts"
    cp "$WORK/sts-web/.well-known/mta-sts.txt" "$OUT/mta-sts.mta-sts/sts.example.net"
    chmod 644 "$OUT/mta-sts.mta-sts/sts.example.net"
    truth_dns mta-sts "$PF_STS/maillog"
}
