# certs.sh — private CA (root + intermediate) and the server certificates of
# the corpus. Sourced by make-corpus.sh; $CA is the state dir, $OUT the corpus.
#
# Profiles (file stem -> what it is):
#   mx1-chain   mx1.example.net, RSA-2048/SHA-256, signed by the intermediate (chain file: leaf+intermediate)
#   mx1-root    mx1.example.net, RSA-2048/SHA-256, signed directly by the root
#   mx1-self    mx1.example.net, RSA-2048/SHA-256, self-signed
#   mx1-expired mx1.example.net, signed by the intermediate, valid 2020-01-01..2021-01-01
#   mismatch    other.example.com only, signed by the intermediate (served for mx1.example.net)
#   mx1-weak    mx1.example.net, RSA-1024, SHA-1 signature by the root
#   mx2-chain   mx2.example.org, signed by the intermediate (Exim)
#   mx3-chain   mx3.example.org, signed by the intermediate (Exim, unused: 454)

ca_conf() { # ca_conf NAME -> writes $CA/NAME.cnf for `openssl ca`
    cat >"$CA/$1.cnf" <<EOF
[ ca ]
default_ca = this
[ this ]
dir = $CA/$1-db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
countryName = optional
organizationName = optional
commonName = supplied
[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_inter ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = \$ENV::SAN
EOF
    mkdir -p "$CA/$1-db/new"; : >"$CA/$1-db/index.txt"
    openssl rand -hex 8 >"$CA/$1-db/serial"
}

make_ca_new() {
    log "creating a new private CA in $CA"
    rm -rf "$CA"; mkdir -p "$CA"; chmod 700 "$CA"
    ca_conf root; ca_conf inter
    # root: self-signed through `openssl ca -selfsign` so that its validity
    # dates are fixed (OpenSSL 3.0's req has no -not_before)
    openssl req -new -newkey rsa:3072 -nodes -keyout "$CA/root.key" -out "$CA/root.csr" \
        -subj "/O=smtptls corpus/CN=smtptls corpus root CA" 2>/dev/null
    SAN=DNS:unused openssl ca -batch -selfsign -config "$CA/root.cnf" -keyfile "$CA/root.key" \
        -extensions v3_root -startdate 20250101000000Z -enddate 20450101000000Z \
        -in "$CA/root.csr" -out "$CA/root.pem" -notext 2>/dev/null || die "cannot make the root CA"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$CA/inter.key" -out "$CA/inter.csr" \
        -subj "/O=smtptls corpus/CN=smtptls corpus intermediate CA" 2>/dev/null
    SAN=DNS:unused openssl ca -batch -config "$CA/root.cnf" -cert "$CA/root.pem" -keyfile "$CA/root.key" \
        -extensions v3_inter -startdate 20250101000000Z -enddate 20440101000000Z \
        -in "$CA/inter.csr" -out "$CA/inter.pem" -notext 2>/dev/null
    mkdir -p "$OUT/ca"
    cp "$CA/root.pem" "$OUT/ca/corpus-ca.pem"
    cp "$CA/inter.pem" "$OUT/ca/corpus-intermediate.pem"
    cat "$CA/inter.pem" "$CA/root.pem" >"$OUT/ca/corpus-ca-bundle.pem"
    chmod 644 "$OUT"/ca/*.pem
}

# leaf NAME CN SAN SIGNER(root|inter|self) KEYSPEC MD START END
leaf() {
    local name="$1" cn="$2" san="$3" signer="$4" key="$5" md="$6" start="$7" end="$8"
    local d="$WORK/certs"; mkdir -p "$d"
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$key" -out "$d/$name.key" 2>/dev/null
    if [ "$signer" = self ]; then
        openssl req -x509 -new -key "$d/$name.key" -out "$d/$name.pem" -subj "/CN=$cn" -"$md" \
            -days 7300 -addext "subjectAltName=$san" -addext "basicConstraints=critical,CA:false" 2>/dev/null
    else
        openssl req -new -key "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$cn" 2>/dev/null
        SAN="$san" openssl ca -batch -config "$CA/$signer.cnf" -cert "$CA/$signer.pem" -keyfile "$CA/$signer.key" \
            -extensions v3_leaf -md "$md" -startdate "$start" -enddate "$end" \
            -in "$d/$name.csr" -out "$d/$name.pem" -notext 2>/dev/null || die "cannot sign $name"
    fi
    # chain file for the server: key, leaf, then intermediate when it signed the leaf
    cat "$d/$name.key" "$d/$name.pem" >"$d/$name.chain.pem"
    cp "$d/$name.pem" "$d/$name.fullchain.pem"   # leaf (+intermediate), for Exim
    if [ "$signer" = inter ]; then
        cat "$CA/inter.pem" >>"$d/$name.chain.pem"
        cat "$CA/inter.pem" >>"$d/$name.fullchain.pem"
    fi
    # public copy of the leaf in the CA state dir, used by truth.py
    mkdir -p "$CA/leaves"; cp "$d/$name.pem" "$CA/leaves/$name.pem"
    chmod 644 "$d"/*
}

make_leaf_certs() {
    log "creating server certificates"
    rm -rf "$CA/leaves"
    leaf mx1-chain   mx1.example.net   DNS:mx1.example.net   inter 2048 sha256 20250101000000Z 20430101000000Z
    leaf mx1-root    mx1.example.net   DNS:mx1.example.net   root  2048 sha256 20250101000000Z 20430101000000Z
    leaf mx1-self    mx1.example.net   DNS:mx1.example.net   self  2048 sha256 - -
    leaf mx1-expired mx1.example.net   DNS:mx1.example.net   inter 2048 sha256 20200101000000Z 20210101000000Z
    leaf mismatch    other.example.com DNS:other.example.com inter 2048 sha256 20250101000000Z 20430101000000Z
    leaf mx1-weak    mx1.example.net   DNS:mx1.example.net   root  1024 sha1   20250101000000Z 20430101000000Z
    leaf mx2-chain   mx2.example.org   DNS:mx2.example.org   inter 2048 sha256 20250101000000Z 20430101000000Z
    leaf mx3-chain   mx3.example.org   DNS:mx3.example.org   inter 2048 sha256 20250101000000Z 20430101000000Z
    # 1024-bit DH group for the DHE-1024 scenario
    openssl dhparam -out "$WORK/certs/dh1024.pem" 1024 2>/dev/null
    chmod 644 "$WORK/certs/dh1024.pem"
}

# ------------------------------------------------------------ DNS scenarios' CA
# The DNS captures (dane, mta_sts) have a CA of their own, kept in $DNS_CA
# (default /tmp/smtptls-dns-ca), so that they can be made again without the
# private keys of the main corpus CA and without touching its captures. Its
# public certificates are committed as ca/corpus-dns-ca.pem (root),
# ca/corpus-dns-intermediate.pem and ca/corpus-dns-ca-bundle.pem.
#
# DNS profiles (file stem -> what it is):
#   dane-ee       mx.dane-ee.example.net, self-signed (pinned by TLSA 3 1 1)
#   dane-ta       mx.dane-ta.example.net, signed by the DNS intermediate (TLSA 2 1 1 on it)
#   dane-bad      mx.dane-bad.example.net, signed by the DNS intermediate (TLSA 3 1 1 of another key)
#   dane-insecure mx.dane-insecure.example.net, signed by the DNS intermediate (unsigned zone)
#   dane-bogus    mx.dane-bogus.example.net, signed by the DNS intermediate (TLSA RRSIG broken)
#   dane-tls13    mx.dane-tls13.example.net, signed by the DNS intermediate (TLS 1.3 only)
#   dane-big      mx.dane-big.example.net, signed by the DNS intermediate (large TLSA RRset)
#   sts-mx        mx.sts.example.net, signed by the DNS intermediate (MTA-STS enforce domain)
#   sts-web       mta-sts.sts.example.net, signed by the DNS intermediate (HTTPS policy server)
make_dns_ca() {
    log "creating a new private CA for the DNS scenarios in $DNS_CA"
    local keep_ca="$CA"
    CA="$DNS_CA"
    rm -rf "$CA"; mkdir -p "$CA"; chmod 700 "$CA"
    ca_conf root; ca_conf inter
    openssl req -new -newkey rsa:3072 -nodes -keyout "$CA/root.key" -out "$CA/root.csr" \
        -subj "/O=smtptls corpus/CN=smtptls corpus DNS root CA" 2>/dev/null
    SAN=DNS:unused openssl ca -batch -selfsign -config "$CA/root.cnf" -keyfile "$CA/root.key" \
        -extensions v3_root -startdate 20250101000000Z -enddate 20450101000000Z \
        -in "$CA/root.csr" -out "$CA/root.pem" -notext 2>/dev/null || die "cannot make the DNS root CA"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$CA/inter.key" -out "$CA/inter.csr" \
        -subj "/O=smtptls corpus/CN=smtptls corpus DNS intermediate CA" 2>/dev/null
    SAN=DNS:unused openssl ca -batch -config "$CA/root.cnf" -cert "$CA/root.pem" -keyfile "$CA/root.key" \
        -extensions v3_inter -startdate 20250101000000Z -enddate 20440101000000Z \
        -in "$CA/inter.csr" -out "$CA/inter.pem" -notext 2>/dev/null
    mkdir -p "$OUT/ca"
    cp "$CA/root.pem" "$OUT/ca/corpus-dns-ca.pem"
    cp "$CA/inter.pem" "$OUT/ca/corpus-dns-intermediate.pem"
    cat "$CA/inter.pem" "$CA/root.pem" >"$OUT/ca/corpus-dns-ca-bundle.pem"
    chmod 644 "$OUT"/ca/corpus-dns-*.pem
    CA="$keep_ca"
}

# Server certificates of the DNS scenarios, signed by the DNS CA. Every run
# makes new keys, so the TLSA records are computed from them (lib/dnszones.py).
make_dns_leaf_certs() {
    log "creating the DNS scenarios' server certificates"
    local keep_ca="$CA"
    CA="$DNS_CA"
    rm -rf "$CA/leaves"
    local h
    leaf dane-ee mx.dane-ee.example.net DNS:mx.dane-ee.example.net self 2048 sha256 - -
    for h in ta bad insecure bogus tls13 big; do
        leaf "dane-$h" "mx.dane-$h.example.net" "DNS:mx.dane-$h.example.net" inter 2048 sha256 \
            20250101000000Z 20430101000000Z
    done
    leaf sts-mx  mx.sts.example.net      DNS:mx.sts.example.net      inter 2048 sha256 20250101000000Z 20430101000000Z
    leaf sts-web mta-sts.sts.example.net DNS:mta-sts.sts.example.net inter 2048 sha256 20250101000000Z 20430101000000Z
    cp "$CA/inter.pem" "$CA/leaves/dns-intermediate.pem"
    CA="$keep_ca"
}
