"""The configured facts of the flap captures (lib/flap.sh), added to
scenarios.SCENARIOS by add()."""

S_FLAP_VIP = "192.0.2.25"
S_FLAP_CONS = "198.51.100.42"


def add(scenarios, conn, smtp, tls, t13, client):
    lb = ("mx.pool.example.net at one address that nftables (numgen inc mod 2) spreads over two Postfix "
          "instances in turn; swaks --tls-optional, one message a second; ")
    on = lb + "instance A (smtpd_tls_security_level=may): STARTTLS offered and used"
    off = lb + "instance B (smtpd_tls_security_level=none): no STARTTLS, so plaintext"
    pool = []
    for i in range(6):
        if i % 2 == 0:
            pool.append(conn(client, S_FLAP_VIP, 25, "starttls", smtp("Postfix", True, True, 220),
                             tls("TLSv1.3", t13, None), host="mx.pool.example.net", how=on))
        else:
            pool.append(conn(client, S_FLAP_VIP, 25, "plaintext", smtp("Postfix", False),
                             anomalies=["starttls_capability_missing"], how=off))
    scenarios["flap-pool-starttls"] = dict(
        description="A pool behind one MX name answers in turn from a Postfix instance that offers STARTTLS "
                    "and one that does not: STARTTLS comes and goes with no attacker (a flapping server). "
                    "Client-side view.",
        connections=pool)

    direct = ("Postfix mx5.example.net (smtpd_tls_security_level=may), always offering STARTTLS; swaks "
              "--tls-optional, one message a second; ")
    strip = [conn(client, S_FLAP_CONS, 25, "starttls", smtp("Postfix", True, True, 220),
                  tls("TLSv1.3", t13, None), host="mx5.example.net", how=direct + "reached directly")
             for _ in range(4)]
    strip += [conn(client, S_FLAP_CONS, 25, "plaintext", smtp("Postfix", False),
                   anomalies=["starttls_capability_missing"],
                   how=direct + "then through an nftables redirect to lib/mitm_proxy.py in strip mode, which "
                                "relays to mx5 from 203.0.113.80 without 250-STARTTLS: plaintext")
              for _ in range(2)]
    scenarios["flap-strip-consistent"] = dict(
        description="A server that offered STARTTLS in four deliveries in a row, then a transparent on-path "
                    "proxy removes 250-STARTTLS: the next two deliveries go in plaintext. Client-side view.",
        connections=strip)
