# accuracy.sh — captures where the bytes, not the reply code, decide (the
# accuracy scenarios). Sourced by make-corpus.sh.
#
#   acc_reply     a STARTTLS reply that is neither 220 nor a normal refusal:
#                 lib/acc_proxy.py rewrites Postfix's 220 into 200 and into
#                 550 in front of swaks --tls-optional; OpenSMTPD (Debian's
#                 package, unpacked like Exim) answers 500 to a STARTTLS that
#                 arrived pipelined with NOOP in one segment (lib/acc_client.py)
#   acc_anyway    a client that starts TLS after a reply other than 220:
#                 openssl s_client -starttls smtp (it does not look at the
#                 reply) through the 200 rewrite; lib/acc_client.py through a
#                 454 rewrite; lib/acc_client.py after OpenSMTPD's 500 (the
#                 server has closed: no handshake)
#
# The scenarios have a CA of their own ($ACC_CA, default /tmp/smtptls-acc-ca),
# reused while its keys are kept there (NEW_CA=1: a new one): its root is committed as ca/corpus-acc-ca.pem and
# signs one leaf (acc-mx) for mx1.acc.example.net. The main CA and the other
# captures are never touched.
C_ACC=203.0.113.17        # the accuracy scenarios' clients
S_ACCPF=198.51.100.70     # Postfix mx1.acc.example.net: STARTTLS, 465
S_ACCOS=198.51.100.71     # OpenSMTPD mx2.acc.example.net: STARTTLS
M_ACC200=198.51.100.84    # acc_proxy.py: 220 -> 200, in front of $S_ACCPF
M_ACC550=198.51.100.85    # acc_proxy.py: 220 -> 550
M_ACC454=198.51.100.86    # acc_proxy.py: 220 -> 454
ACC_CA="${ACC_CA_STATE:-/tmp/smtptls-acc-ca}"

make_acc_ca() {
    local keep_ca="$CA"
    CA="$ACC_CA"
    if [ -z "${NEW_CA:-}" ] && [ -f "$CA/root.key" ] && cmp -s "$CA/root.pem" "$OUT/ca/corpus-acc-ca.pem"; then
        log "reusing the accuracy scenarios' CA in $ACC_CA"
        rm -rf "$CA/leaves"
        leaf acc-mx mx1.acc.example.net "DNS:mx1.acc.example.net,DNS:mx2.acc.example.net" \
            root 2048 sha256 20250101000000Z 20430101000000Z
        CA="$keep_ca"
        return
    fi
    log "creating a new private CA for the accuracy scenarios in $ACC_CA"
    rm -rf "$CA"; mkdir -p "$CA"; chmod 700 "$CA"
    ca_conf root
    openssl req -new -newkey rsa:3072 -nodes -keyout "$CA/root.key" -out "$CA/root.csr" \
        -subj "/O=smtptls corpus/CN=smtptls corpus accuracy root CA" 2>/dev/null
    SAN=DNS:unused openssl ca -batch -selfsign -config "$CA/root.cnf" -keyfile "$CA/root.key" \
        -extensions v3_root -startdate 20250101000000Z -enddate 20450101000000Z \
        -in "$CA/root.csr" -out "$CA/root.pem" -notext 2>/dev/null || die "cannot make the accuracy root CA"
    mkdir -p "$OUT/ca"
    cp "$CA/root.pem" "$OUT/ca/corpus-acc-ca.pem"
    chmod 644 "$OUT/ca/corpus-acc-ca.pem"
    rm -rf "$CA/leaves"
    leaf acc-mx mx1.acc.example.net "DNS:mx1.acc.example.net,DNS:mx2.acc.example.net" \
        root 2048 sha256 20250101000000Z 20430101000000Z
    CA="$keep_ca"
}

setup_net_acc() {
    local a
    for a in $S_ACCPF $S_ACCOS; do ip -n "$NS_S" addr add "$a/32" dev s0; done
    ip -n "$NS_C" addr add "$C_ACC/32" dev c0
    for a in $M_ACC200 $M_ACC550 $M_ACC454; do
        ip -n "$NS_M" addr add "$a/32" dev mc
        ip -n "$NS_C" route add "$a/32" dev cm src $C_ACC
    done
    ip -n "$NS_M" route add "$S_ACCPF/32" dev ms src $M_BACK
}

# OpenSMTPD conflicts with Postfix as a Debian package (both provide
# mail-transport-agent): its binary is unpacked into the work dir and run in
# a private mount namespace with its users in a copy of /etc/passwd and a
# private /var (its spool and chroot), like Exim.
start_opensmtpd() {
    local r="$WORK/osmtpd" c="$WORK/certs"
    mkdir -p "$r/etc"
    (cd "$WORK/debs" && apt-get download opensmtpd >/dev/null 2>&1) \
        || { apt-get update -q >/dev/null; (cd "$WORK/debs" && apt-get download opensmtpd >/dev/null); }
    dpkg-deb -x "$WORK"/debs/opensmtpd_*.deb "$r/root"
    cp "$WORK/etc/passwd" "$r/etc/passwd"; cp "$WORK/etc/group" "$r/etc/group"
    echo 'opensmtpd:x:64991:64991:OpenSMTPD (corpus):/nonexistent:/usr/sbin/nologin' >>"$r/etc/passwd"
    echo 'opensmtpq:x:64992:64992:OpenSMTPD (corpus):/nonexistent:/usr/sbin/nologin' >>"$r/etc/passwd"
    echo 'opensmtpd:x:64991:' >>"$r/etc/group"; echo 'opensmtpq:x:64992:' >>"$r/etc/group"
    cp "$c/acc-mx.key" "$r/acc-mx.key"; chmod 600 "$r/acc-mx.key"
    cat >"$r/smtpd.conf" <<EOF
pki mx2.acc.example.net cert "$c/acc-mx.pem"
pki mx2.acc.example.net key "$r/acc-mx.key"
listen on $S_ACCOS port 25 tls pki mx2.acc.example.net hostname mx2.acc.example.net
action "drop" mbox
match from any for domain "example.org" action "drop"
EOF
    ip netns exec "$NS_S" unshare -m sh -c '
        mount --make-rprivate / 2>/dev/null
        mount --bind "$0/etc/passwd" /etc/passwd && mount --bind "$0/etc/group" /etc/group || exit 97
        mount -t tmpfs smtptls-osmtpd /var || exit 98
        mkdir -p /var/lib/opensmtpd/empty /var/spool /var/run /var/mail
        exec "$0/root/usr/sbin/smtpd" -d -f "$0/smtpd.conf"' "$r" >"$r/smtpd.log" 2>&1 &
    PIDS+=($!)
}

start_acc_servers() {
    local d="$WORK/pf-acc" c="$WORK/certs"
    pf_common "$d" mx1.acc.example.net
    cat >>"$d/main.cf" <<EOF
inet_interfaces = all
local_transport = discard
default_transport = discard
relay_transport = discard
smtpd_tls_security_level = may
smtpd_tls_chain_files = $c/acc-mx.chain.pem
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
EOF
    cat >>"$d/master.cf" <<EOF
$S_ACCPF:25     inet n - n - - smtpd
$S_ACCPF:465    inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
EOF
    pf_start "$NS_S" "$d"
    PF_ACC="$d"
    start_opensmtpd
    ip netns exec "$NS_M" $PY "$HERE/lib/acc_proxy.py" "$M_ACC200:25:200" "$M_ACC550:25:550" \
        "$M_ACC454:25:454" --upstream "$S_ACCPF:25" --source "$M_BACK" >"$WORK/acc-proxy.log" 2>&1 &
    PIDS+=($!)
    local t=0 a
    for a in $S_ACCPF:25 $S_ACCPF:465 $S_ACCOS:25; do
        until ip netns exec "$NS_S" ss -ltn | grep -q "$a "; do
            sleep 0.2; t=$((t+1))
            [ $t -lt 100 ] || { cat "$WORK/osmtpd/smtpd.log" "$d/maillog" >&2 2>/dev/null; die "no listener on $a"; }
        done
    done
    until grep -q listening "$WORK/acc-proxy.log"; do
        sleep 0.2; t=$((t+1)); [ $t -lt 100 ] || die "acc_proxy.py did not start"
    done
}

# acc_swaks SERVER RCPT: swaks --tls-optional from $C_ACC; its exit status is
# not judged (a rewritten reply breaks the delivery, which is the point)
acc_swaks() {
    ip netns exec "$NS_C" swaks --server "$1" --local-interface "$C_ACC" \
        --helo client.example.com --from sender@example.com --to "$2" \
        --header "Subject: accuracy" --header "$HDR_DATE" --body "$BODY_SMALL" \
        --tls-optional >>"$WORK/acc-swaks.log" 2>&1 || true
    sleep 0.5
}

# acc_client HOST MODE: lib/acc_client.py from $C_ACC
acc_client() {
    ip netns exec "$NS_C" $PY "$HERE/lib/acc_client.py" "$C_ACC" "$1" 25 "$2" \
        --sni mx1.acc.example.net --ca "$OUT/ca/corpus-acc-ca.pem" --log "$WORK/acc-client.log" \
        >/dev/null 2>>"$WORK/acc-client.err" || true
    sleep 0.5
}

acc_truth() {
    [ -z "${SKIP_TRUTH:-}" ] || return 0
    $PY "$HERE/truth.py" --pcap-dir "$OUT" --ca-dir "$ACC_CA" "$1" || die "truth check failed for $1"
}

scn_acc_reply() {
    capture_start starttls-reply-rewritten "$NS_M" mc "$NS_S" s0
    acc_swaks "$M_ACC200" reply200@example.net
    acc_swaks "$M_ACC550" reply550@example.net
    acc_client "$S_ACCOS" pipelined
    capture_stop
    acc_truth starttls-reply-rewritten
}

scn_acc_anyway() {
    capture_start starttls-tls-anyway "$NS_M" mc "$NS_S" s0
    {
        sleep 1.5
        printf 'EHLO client.example.com\r\n'; sleep 0.3
        printf 'QUIT\r\n'; sleep 0.5
    } | ip netns exec "$NS_C" openssl s_client -connect "$M_ACC200:25" -starttls smtp \
        -name client.example.com -servername mx1.acc.example.net -nocommands -ign_eof \
        -CAfile "$OUT/ca/corpus-acc-ca.pem" >"$WORK/acc-ossl.log" 2>&1 || true
    sleep 0.5
    ip netns exec "$NS_C" $PY "$HERE/lib/acc_client.py" "$C_ACC" "$M_ACC454" 25 starttls-anyway \
        --sni mx1.acc.example.net --ca "$OUT/ca/corpus-acc-ca.pem" --log "$WORK/acc-client.log" \
        >/dev/null 2>>"$WORK/acc-client.err" || true
    sleep 0.5
    acc_client "$S_ACCOS" tls-anyway
    capture_stop
    acc_truth starttls-tls-anyway
}

# ---------------------------------------------------------------- short snap lengths
# acc_snap_start NAME SNAP...: one tcpdump per snap length on the servers'
# interface, each writing NAME-SNAP.pcap (the snap length is set at capture
# time: the files' headers carry it, the payloads are cut by tcpdump itself)
ACC_SNAP_PIDS=(); ACC_SNAP_NAMES=()
acc_snap_start() {
    local name="$1" snap; shift
    ACC_SNAP_PIDS=(); ACC_SNAP_NAMES=()
    for snap in "$@"; do
        ip netns exec "$NS_S" tcpdump -i s0 -s "$snap" -U -n -w "$WORK/cap-$name-$snap.pcap" \
            "tcp and net 198.51.100.70/31" 2>"$WORK/tcpdump-$name-$snap.log" &
        ACC_SNAP_PIDS+=($!); PIDS+=($!); ACC_SNAP_NAMES+=("$name-$snap")
    done
    local t=0 n
    for n in "${ACC_SNAP_NAMES[@]}"; do
        until grep -q 'listening on' "$WORK/tcpdump-$n.log" 2>/dev/null; do
            sleep 0.1; t=$((t+1)); [ $t -lt 100 ] || die "tcpdump did not start"
        done
    done
    sleep 0.3
}
acc_snap_stop() {
    sleep 1
    local pid n
    for pid in "${ACC_SNAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${ACC_SNAP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for n in "${ACC_SNAP_NAMES[@]}"; do
        cp "$WORK/cap-$n.pcap" "$OUT/$n.pcap"; chmod 644 "$OUT/$n.pcap"
        log "captured $n.pcap ($(stat -c %s "$OUT/$n.pcap") bytes)"
    done
}

# The same four deliveries recorded at once with tcpdump -s 96 and -s 128:
# plain text (swaks without --tls), STARTTLS TLS 1.3 (swaks --tls), STARTTLS
# TLS 1.2 (openssl s_client -tls1_2), implicit TLS on 465 (swaks --tlsc).
scn_acc_snap() {
    acc_snap_start snap 96 128
    ip netns exec "$NS_C" swaks --server "$S_ACCPF" --local-interface "$C_ACC" --helo client.example.com \
        --from sender@example.com --to snap@example.net --header "$HDR_DATE" --body "$BODY_SMALL" \
        >>"$WORK/acc-swaks.log" 2>&1 || die "swaks plain text failed"
    sleep 0.5
    ip netns exec "$NS_C" swaks --server "$S_ACCPF" --local-interface "$C_ACC" --helo client.example.com \
        --from sender@example.com --to snap@example.net --header "$HDR_DATE" --body "$BODY_SMALL" \
        --tls >>"$WORK/acc-swaks.log" 2>&1 || die "swaks STARTTLS failed"
    sleep 0.5
    {
        sleep 1.5
        printf 'EHLO client.example.com\r\n'; sleep 0.3
        printf 'QUIT\r\n'; sleep 0.5
    } | ip netns exec "$NS_C" openssl s_client -connect "$S_ACCPF:25" -starttls smtp -tls1_2 \
        -name client.example.com -servername mx1.acc.example.net -nocommands -ign_eof \
        -CAfile "$OUT/ca/corpus-acc-ca.pem" >"$WORK/acc-ossl12.log" 2>&1 || true
    sleep 0.5
    ip netns exec "$NS_C" swaks --server "$S_ACCPF:465" --local-interface "$C_ACC" --helo client.example.com \
        --from sender@example.com --to snap@example.net --header "$HDR_DATE" --body "$BODY_SMALL" \
        --tlsc >>"$WORK/acc-swaks.log" 2>&1 || die "swaks implicit TLS failed"
    acc_snap_stop
    acc_truth snap-96
    acc_truth snap-128
}

# ---------------------------------------------------------------- pick-up inside TLS
# Two slow deliveries (lib/acc_client.py: 50 body lines 0.1 s apart), the
# capture started 2 s after each began: inside TLS after STARTTLS (TLS 1.3,
# application data both ways), and inside a plain-text DATA body.
scn_acc_midstream() {
    ip netns exec "$NS_C" $PY "$HERE/lib/acc_client.py" "$C_ACC" "$S_ACCPF" 25 slow-starttls \
        --sni mx1.acc.example.net --ca "$OUT/ca/corpus-acc-ca.pem" --log "$WORK/acc-client.log" \
        >/dev/null 2>>"$WORK/acc-client.err" &
    local c1=$!
    ip netns exec "$NS_C" $PY "$HERE/lib/acc_client.py" "$C_ACC" "$S_ACCPF" 25 slow-plain \
        --log "$WORK/acc-client.log" >/dev/null 2>>"$WORK/acc-client.err" &
    local c2=$!
    sleep 2
    capture_start midstream-tls "$NS_S" s0
    wait "$c1" || die "the slow STARTTLS delivery failed"
    wait "$c2" || die "the slow plain-text delivery failed"
    capture_stop
    acc_truth midstream-tls
}
