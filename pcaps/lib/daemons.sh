# daemons.sh — configuration and start-up of the real mail servers/clients.
# Sourced by make-corpus.sh. Every instance has its config, queue and log
# under $WORK and runs inside one of the corpus network namespaces.

# OpenSSL config for Postfix listeners/clients that must allow legacy crypto
# (used through Postfix's tls_config_file and through OPENSSL_CONF for clients).
write_openssl_confs() {
    cat >"$WORK/openssl-legacy.cnf" <<'EOF'
openssl_conf = legacy_init
[legacy_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = legacy_sys
[legacy_sys]
MinProtocol = TLSv1
CipherString = ALL:@SECLEVEL=0
EOF
    cat >"$WORK/openssl-modern.cnf" <<'EOF'
openssl_conf = modern_init
[modern_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = modern_sys
[modern_sys]
MinProtocol = TLSv1.2
CipherString = DEFAULT:@SECLEVEL=2
EOF
    chmod 644 "$WORK"/openssl-*.cnf
}

# pf_common DIR HOSTNAME : main.cf shared by all Postfix instances
pf_common() {
    local dir="$1" host="$2"
    mkdir -p "$dir/q" "$dir/data"
    chown postfix "$dir/data"
    cat >"$dir/main.cf" <<EOF
compatibility_level = 3.6
myhostname = $host
mydomain = ${host#*.}
myorigin = \$myhostname
queue_directory = $dir/q
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = /tmp
smtpd_banner = \$myhostname ESMTP Postfix
biff = no
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128 203.0.113.0/24 [2001:db8:1::]/64
alias_maps =
alias_database =
local_recipient_maps =
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_client_restrictions =
relay_domains = example.net example.org example.com
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
message_size_limit = 20000000
tls_random_source = dev:/dev/urandom
EOF
    # master.cf: only what is needed, nothing chrooted
    cat >"$dir/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

pf_start() { # pf_start NS DIR
    local ns="$1" dir="$2"
    postfix -c "$dir" set-permissions >/dev/null 2>&1 || true
    postfix -c "$dir" check >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; die "postfix check failed for $dir"; }
    ip netns exec "$ns" postfix -c "$dir" start >"$dir/start.log" 2>&1 || { cat "$dir/start.log" "$dir/maillog" >&2; die "postfix start failed for $dir"; }
    PF_DIRS+=("$ns:$dir")
}

# ------------------------------------------------------------ Postfix servers
start_postfix_server() {
    local d="$WORK/pf-server" c="$WORK/certs"
    pf_common "$d" mx1.example.net
    cat >>"$d/main.cf" <<EOF
inet_interfaces = all
local_transport = discard
default_transport = discard
relay_transport = discard
smtpd_tls_security_level = may
smtpd_tls_chain_files = $c/mx1-chain.chain.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database = btree:$d/data/smtpd_scache
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
EOF
    cat >>"$d/master.cf" <<EOF
$S_MX1:25      inet n - n - - smtpd
[$S6]:25       inet n - n - - smtpd
$S_MX1:465     inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
$S_PLAIN:25    inet n - n - - smtpd -o smtpd_tls_security_level=none -o myhostname=mx4.example.com
$S_ROOT:25     inet n - n - - smtpd -o smtpd_tls_chain_files=$c/mx1-root.chain.pem
$S_SELF:25     inet n - n - - smtpd -o smtpd_tls_chain_files=$c/mx1-self.chain.pem
$S_EXPD:25     inet n - n - - smtpd -o smtpd_tls_chain_files=$c/mx1-expired.chain.pem
$S_MISM:25     inet n - n - - smtpd -o smtpd_tls_chain_files=$c/mismatch.chain.pem
$S_WEAK:25     inet n - n - - smtpd -o smtpd_tls_chain_files=$c/mx1-weak.chain.pem -o tls_config_file=$WORK/openssl-legacy.cnf -o smtpd_tls_ciphers=low -o tls_low_cipherlist=ALL:@SECLEVEL=0
$S_LEGACY:25   inet n - n - - smtpd -o tls_config_file=$WORK/openssl-legacy.cnf -o smtpd_tls_protocols=>=TLSv1 -o smtpd_tls_ciphers=low -o tls_low_cipherlist=ALL:@SECLEVEL=0 -o smtpd_tls_dh1024_param_file=$c/dh1024.pem
$S_MAX12:25    inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2
EOF
    pf_start "$NS_S" "$d"
}

# ------------------------------------------------------------ Postfix client
# One Postfix relay in the client namespace; the recipient address decides the
# next hop and the TLS policy (transport_maps with full addresses).
start_postfix_client() {
    local d="$WORK/pf-client"
    pf_common "$d" relay.example.com
    cat >>"$d/main.cf" <<EOF
inet_interfaces = loopback-only
smtp_bind_address = $C_PF
smtp_bind_address6 = 2001:db8:1::10
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tls_CAfile = $OUT/ca/corpus-ca.pem
smtp_tls_session_cache_database =
transport_maps = texthash:$d/transport
default_transport = error:no route in the corpus
relay_transport = error:no route in the corpus
smtp_connection_cache_on_demand = yes
smtp_destination_concurrency_limit = 1
queue_run_delay = 300s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
    cat >>"$d/master.cf" <<EOF
smtp      unix  -       -       n       -       -       smtp
notls     unix  -       -       n       -       -       smtp -o smtp_tls_security_level=none
tls13only unix  -       -       n       -       -       smtp -o smtp_tls_protocols=>=TLSv1.3 -o smtp_tls_mandatory_protocols=>=TLSv1.3
EOF
    cat >"$d/transport" <<EOF
tls13@example.net         smtp:[$S_MX1]:25
notls@example.net         notls:[$S_MX1]:25
strip@example.net         smtp:[$M_FRONT]:25
overwrite@example.net     smtp:[$M_FRONT2]:25
refused@example.org       smtp:[$S_EXIM454]:25
retry@example.net         tls13only:[$S_MAX12]:25
EOF
    pf_start "$NS_C" "$d"
    PF_CLIENT="$d"
}

# pf_send RCPT SUBJECT [BODYFILE]: queue one message on the Postfix client
pf_send() {
    local rcpt="$1" subj="$2" body="${3:-}"
    {
        printf 'From: Relay Sender <sender@example.com>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@relay.example.com>\nDate: Thu, 01 Jan 2026 00:00:00 +0000\n\n' \
            "$rcpt" "$subj" "$(echo "$subj" | tr -c 'a-zA-Z0-9\n' '-' )"
        if [ -n "$body" ]; then cat "$body"; else printf 'This is a corpus test message.\nIt has a fixed body.\n'; fi
    } | ip netns exec "$NS_C" sendmail -C "$PF_CLIENT" -f sender@example.com "$rcpt"
}
# pf_wait_empty: wait until the Postfix client queue is empty (max $1 s)
pf_wait_empty() {
    local max="${1:-60}" t=0
    while :; do
        if ip netns exec "$NS_C" postqueue -c "$PF_CLIENT" -p 2>/dev/null | grep -q 'Mail queue is empty'; then return 0; fi
        t=$((t+1)); [ $t -lt $((max*2)) ] || { tail -20 "$PF_CLIENT/maillog" >&2; die "postfix client queue not empty after ${max}s"; }
        sleep 0.5
    done
}

# ------------------------------------------------------------ Exim
exim_dirs() { # exim_dirs DIR
    mkdir -p "$1/spool" "$1/log"
    chown -R "$EXIM_UID:$EXIM_GID" "$1/spool" "$1/log"
}

start_exim_servers() {
    local c="$WORK/certs"
    # mx2.example.org: 25 without TLS; 587 with STARTTLS and AUTH PLAIN/LOGIN
    # (plaintext authenticators, one fixed test user), AUTH allowed before TLS;
    # a second address ($S_EXIM3DES) with STARTTLS and GnuTLS priorities that
    # also allow 3DES and TLS 1.0/1.1 (Debian's OpenSSL has no 3DES).
    local d="$WORK/exim-mx2"; exim_dirs "$d"
    cat >"$d/exim.conf" <<EOF
primary_hostname = mx2.example.org
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $d/exim.pid
local_interfaces = <; $S_EXIM.25 ; $S_EXIM.587 ; $S_EXIM3DES.25
host_lookup =
keep_environment =
rfc1413_hosts =
tls_advertise_hosts = \${if or{{eq{\$received_port}{587}}{eq{\$received_ip_address}{$S_EXIM3DES}}}{*}{}}
tls_require_ciphers = \${if eq{\$received_ip_address}{$S_EXIM3DES}{NORMAL:+3DES-CBC:+VERS-TLS1.0:+VERS-TLS1.1:%VERIFY_ALLOW_SIGN_WITH_SHA1}{NORMAL}}
tls_certificate = $c/mx2-chain.fullchain.pem
tls_privatekey = $c/mx2-chain.key
auth_advertise_hosts = \${if eq{\$received_port}{587}{*}{}}
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
begin acl
acl_rcpt:
  accept
acl_data:
  accept
begin routers
blackhole:
  driver = redirect
  data = :blackhole:
begin transports
begin authenticators
PLAIN:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{alice@example.org}}{eq{\$auth3}{corpus-password}}}}
  server_set_id = \$auth2
LOGIN:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and {{eq{\$auth1}{alice@example.org}}{eq{\$auth2}{corpus-password}}}}
  server_set_id = \$auth1
EOF
    # mx3.example.org: advertises STARTTLS but its key file is unusable, so
    # STARTTLS is answered with 454.
    local d3="$WORK/exim-mx3"; exim_dirs "$d3"
    printf 'this is not a key\n' >"$d3/broken.key"; chmod 644 "$d3/broken.key"
    cat >"$d3/exim.conf" <<EOF
primary_hostname = mx3.example.org
spool_directory = $d3/spool
log_file_path = $d3/log/%slog
pid_file_path = $d3/exim.pid
local_interfaces = <; $S_EXIM454.25
host_lookup =
keep_environment =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = $c/mx3-chain.fullchain.pem
tls_privatekey = $d3/broken.key
acl_smtp_rcpt = acl_rcpt
begin acl
acl_rcpt:
  accept
begin routers
blackhole:
  driver = redirect
  data = :blackhole:
EOF
    for x in "$d" "$d3"; do
        in_exim_ns "$NS_S" "$EXIM" -C "$x/exim.conf" -bdf -oX "25:587" >"$x/daemon.out" 2>&1 &
        PIDS+=($!)
    done
    sleep 1.5
    ip netns exec "$NS_S" ss -ltn | grep -q "$S_EXIM:587" || { cat "$d/daemon.out" "$d"/log/* >&2 2>/dev/null; die "exim mx2 did not start"; }
    ip netns exec "$NS_S" ss -ltn | grep -q "$S_EXIM454:25" || { cat "$d3/daemon.out" "$d3"/log/* >&2 2>/dev/null; die "exim mx3 did not start"; }
}

# Exim as a sending MTA in the client namespace: everything goes to mx1
# (198.51.100.25) over SMTP with opportunistic TLS; CHUNKING used when offered.
start_exim_client() {
    local d="$WORK/exim-client"; exim_dirs "$d"
    cat >"$d/exim.conf" <<EOF
primary_hostname = relay2.example.com
spool_directory = $d/spool
log_file_path = $d/log/%slog
host_lookup =
keep_environment =
rfc1413_hosts =
begin routers
plain:
  driver = manualroute
  local_parts = chunking : multi
  route_data = $S_MX1
  transport = remote_plain
tomx1:
  driver = manualroute
  route_data = $S_MX1
  transport = remote_smtp
begin transports
remote_plain:
  driver = smtp
  interface = $C_EXIM
  hosts_try_chunking = *
  hosts_avoid_tls = *
remote_smtp:
  driver = smtp
  interface = $C_EXIM
  hosts_try_chunking = *
  tls_verify_certificates = $OUT/ca/corpus-ca.pem
  tls_verify_hosts =
  tls_try_verify_hosts = *
  tls_sni = mx1.example.net
begin retry
* * F,1m,1m
EOF
    EXIM_CLIENT="$d"
}
# exim_send RCPT SUBJECT [BODYFILE [MODE]] : deliver one message synchronously
# (MODE -odq: only queue it)
exim_send() {
    local rcpt="$1" subj="$2" body="${3:-}" mode="${4:--odf}"
    {
        printf 'From: Exim Sender <sender@example.com>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@relay2.example.com>\nDate: Thu, 01 Jan 2026 00:00:00 +0000\n\n' \
            "$rcpt" "$subj" "$(echo "$subj" | tr -c 'a-zA-Z0-9\n' '-')"
        if [ -n "$body" ]; then cat "$body"; else printf 'This is a corpus test message.\nIt has a fixed body.\n'; fi
    } | in_exim_ns "$NS_C" "$EXIM" -C "$EXIM_CLIENT/exim.conf" "$mode" -f sender@example.com "$rcpt" \
            2>>"$EXIM_CLIENT/stderr.log" \
      || { cat "$EXIM_CLIENT"/log/* "$EXIM_CLIENT/stderr.log" >&2; die "exim client delivery failed"; }
}

start_servers() {
    write_openssl_confs
    start_postfix_server
    start_exim_servers
}
start_clients() {
    start_postfix_client
    start_exim_client
}
