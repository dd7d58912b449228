"""Scenario configuration of the accuracy captures (lib/accuracy.sh), merged
into lib/scenarios.py's SCENARIOS by truth.py. Each fact follows from the
configuration written by lib/accuracy.sh and is checked with tshark.

Keys beyond lib/scenarios.py's: tls_anyway (the client sends TLS after a
STARTTLS reply other than 220: tshark is told to read port 25 as TLS to see
the handshake, as it stops following a connection whose STARTTLS got no 220);
mail_commands (MAIL commands in the clear when they differ from the messages
sent: a rewritten reply breaks the delivery after MAIL).
"""
from scenarios import conn, smtp, tls


def anyway(software, reply):
    """The SMTP facts of a client that started TLS after reply."""
    d = smtp(software, True, True, reply, messages=0)
    d["tls_despite_reply"] = True
    return d

C_ACC = "203.0.113.17"
C_OSSL = "203.0.113.13"
S_ACCPF, S_ACCOS = "198.51.100.70", "198.51.100.71"
M_ACC200, M_ACC550, M_ACC454 = "198.51.100.84", "198.51.100.85", "198.51.100.86"
T13 = "TLS_AES_256_GCM_SHA384"
ACC_CA_FILE = "ca/corpus-acc-ca.pem"

ACC_SCENARIOS = {}

ACC_SCENARIOS["starttls-reply-rewritten"] = dict(
    description="A STARTTLS reply that is neither 220 nor a normal refusal: an on-path proxy rewrites Postfix's "
                "220 into 200 and into 550 in front of swaks --tls-optional (client leg); OpenSMTPD answers 500 "
                "to a STARTTLS that arrived pipelined with NOOP in one segment and closes.",
    ca_file=ACC_CA_FILE,
    connections=[
        conn(C_ACC, M_ACC200, 25, "starttls_refused", smtp("Postfix", True, True, 200, messages=0),
             mail_commands=1, anomalies=["starttls_reply_unexpected", "starttls_refused"],
             how="lib/acc_proxy.py rewrites '220 2.0.0 Ready to start TLS' into 200; swaks --tls-optional "
                 "goes on with MAIL in clear, Postfix (in TLS) drops the connection"),
        conn(C_ACC, M_ACC550, 25, "starttls_refused", smtp("Postfix", True, True, 550, messages=0),
             mail_commands=1, anomalies=["starttls_reply_unexpected"],
             how="lib/acc_proxy.py rewrites the 220 into 550; swaks --tls-optional as above"),
        conn(C_ACC, S_ACCOS, 25, "starttls_refused", smtp("OpenSMTPD", True, True, 500, messages=0),
             anomalies=["starttls_command_corrupted"],
             how="lib/acc_client.py sends 'STARTTLS\\r\\nNOOP\\r\\n' in one segment; OpenSMTPD 6.8 answers "
                 "500 (pipelining after STARTTLS) and closes"),
    ])

ACC_SCENARIOS["starttls-tls-anyway"] = dict(
    description="Clients that start TLS after a STARTTLS reply other than 220: openssl s_client -starttls smtp "
                "through a proxy that rewrites Postfix's 220 into 200, lib/acc_client.py through one that "
                "rewrites it into 454 (both handshakes complete with Postfix, TLS 1.3), and lib/acc_client.py "
                "after OpenSMTPD's 500 (the server has closed: no handshake).",
    ca_file=ACC_CA_FILE,
    connections=[
        conn(C_ACC, M_ACC200, 25, "starttls", anyway("Postfix", 200),
             tls("TLSv1.3", T13, "mx1.acc.example.net"), tls_anyway=True,
             anomalies=["starttls_reply_unexpected"],
             how="openssl s_client -starttls smtp does not look at the reply to STARTTLS; the proxy relays "
                 "the handshake to Postfix unchanged"),
        conn(C_ACC, M_ACC454, 25, "starttls", anyway("Postfix", 454),
             tls("TLSv1.3", T13, "mx1.acc.example.net"), tls_anyway=True,
             how="lib/acc_client.py starttls-anyway: Python's ssl module after the rewritten 454"),
        conn(C_ACC, S_ACCOS, 25, "starttls_refused", anyway("OpenSMTPD", 500),
             tls(None, None, "mx1.acc.example.net"), tls_anyway=True,
             anomalies=["starttls_command_corrupted"],
             how="lib/acc_client.py tls-anyway: STARTTLS and NOOP in one segment, 500, then a ClientHello "
                 "to a server that has closed (reset)"),
    ])


# Recorded with tcpdump -s 96 and -s 128 at capture time (lib/accuracy.sh,
# scn_acc_snap): each segment shows only its head. What the heads cannot show
# is null (unknown): the STARTTLS offer, the messages, the TLS version, suite,
# SNI and certificate.
def heads_smtp(requested, reply):
    return dict(server_software=None, starttls_offered=None, starttls_requested=requested,
                starttls_reply=reply, messages=None, auth=None)


HEADS_TLS = dict(version=None, cipher=None, sni=None, resumed=None, established=True)


def snap_scenario(snap):
    return dict(
        description="Four deliveries to Postfix recorded with tcpdump -s %d: plain text (swaks), STARTTLS TLS 1.3 "
                    "(swaks --tls), STARTTLS TLS 1.2 (openssl s_client -tls1_2), implicit TLS on 465 (swaks "
                    "--tlsc); the payloads are cut by the snap length, read by their heads." % snap,
        ca_file=ACC_CA_FILE,
        connections=[
            conn(C_ACC, S_ACCPF, 25, "plaintext", heads_smtp(False, None), heads=True,
                 how="swaks without --tls: STARTTLS offered, not asked for"),
            conn(C_ACC, S_ACCPF, 25, "starttls", heads_smtp(True, 220), dict(HEADS_TLS), heads=True,
                 how="swaks --tls, TLS 1.3"),
            conn(C_OSSL, S_ACCPF, 25, "starttls", heads_smtp(True, 220), dict(HEADS_TLS), heads=True,
                 how="openssl s_client -starttls smtp -tls1_2 (from the s_client address, the client "
                     "namespace's route source)"),
            conn(C_ACC, S_ACCPF, 465, "implicit_tls", heads_smtp(False, None), dict(HEADS_TLS), heads=True,
                 how="swaks --tlsc to Postfix's smtpd_tls_wrappermode listener, TLS 1.3"),
        ])


ACC_SCENARIOS["snap-96"] = snap_scenario(96)
ACC_SCENARIOS["snap-128"] = snap_scenario(128)


# Picked up mid-stream (lib/accuracy.sh, scn_acc_midstream): the capture starts
# 2 s into two slow deliveries. Inside TLS (application data both ways): the
# upgrade is not in the capture; the record version 0x0303 says at least
# TLS 1.2. Inside a plain-text DATA body: plain text, as ever.
ACC_SCENARIOS["midstream-tls"] = dict(
    description="A capture started while two slow deliveries to Postfix were under way: one inside TLS 1.3 "
                "after STARTTLS (application data both ways), one inside a plain-text DATA body "
                "(lib/acc_client.py, 50 body lines 0.1 s apart).",
    ca_file=ACC_CA_FILE,
    connections=[
        conn(C_ACC, S_ACCPF, 25, "tls_unknown_start", None,
             dict(version=None, cipher=None, sni=None, resumed=False, established=True,
                  version_at_least="TLSv1.2"), pickup="tls",
             how="lib/acc_client.py slow-starttls: STARTTLS, TLS 1.3, the message sent slowly inside TLS; "
                 "tcpdump started 2 s after the connection"),
        conn(C_ACC, S_ACCPF, 25, "plaintext", smtp(None, False, False, None, messages=0), pickup="plain",
             how="lib/acc_client.py slow-plain: the message sent slowly in plain text; tcpdump started "
                 "2 s after the connection, inside the DATA body (its DATA command is not in the "
                 "capture, so no message is counted; no greeting or EHLO reply: nothing is offered)"),
    ])
