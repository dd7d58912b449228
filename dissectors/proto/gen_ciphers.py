#!/usr/bin/env python3
"""Generates dissectors/proto/ciphers_table.inc, the static tables behind
dissectors/proto/ciphers.c, from the IANA "TLS Parameters" registry exports:

  tls-cipher-suites.csv      every assigned cipher suite, with the facts its
                             grade is derived from, decomposed from its name
  tls-supported-groups.csv   every assigned supported group name
  tls-signature-schemes.csv  every assigned signature scheme name

Usage: gen_ciphers.py [IANA_DIR] [-o OUTPUT]
IANA_DIR defaults to ../shared/iana relative to the repository root; OUTPUT
to ciphers_table.inc beside this script. Python 3 standard library only.

Names are parsed by rule, not looked up one by one: a suite name is
TLS_<KX>[_<AUTH>][_EXPORT|_EXPORT1024]_WITH_<CIPHER>_<MAC> (TLS 1.0-1.2), or
TLS_<AEAD>_<HASH> (TLS 1.3, RFC 8446 B.4). A name that does not fit the rules
stops the generator with an error instead of producing a guessed row, so a new
registry export with a new family is noticed.
"""
import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Key exchange + authentication part of TLS_<KX>_<AUTH>_WITH_...:
# name -> (kx, auth, forward secrecy).
# The anonymous DH/ECDH key exchanges use fresh server parameters (a
# ServerKeyExchange), so they are ephemeral even though their names lack the E.
# SRP (RFC 5054) and ECCPWD (RFC 8492) derive the key from ephemeral values.
# RSA_PSK (RFC 4279 s4) transports the premaster part with the server's
# certificate key: static RSA. The GOST R 34.11-2012 suites of RFC 9189 agree
# a key with the server's certificate key (no ServerKeyExchange): no FS.
KXAUTH = {
    "NULL": ("NULL", "NULL", 0),
    "RSA": ("RSA", "RSA", 0),
    "DH_DSS": ("DH", "DSS", 0),
    "DH_RSA": ("DH", "RSA", 0),
    "DHE_DSS": ("DHE", "DSS", 1),
    "DHE_RSA": ("DHE", "RSA", 1),
    "DH_anon": ("DH", "anon", 1),
    "ECDH_ECDSA": ("ECDH", "ECDSA", 0),
    "ECDH_RSA": ("ECDH", "RSA", 0),
    "ECDHE_ECDSA": ("ECDHE", "ECDSA", 1),
    "ECDHE_RSA": ("ECDHE", "RSA", 1),
    "ECDH_anon": ("ECDH", "anon", 1),
    "KRB5": ("KRB5", "KRB5", 0),
    "PSK": ("PSK", "PSK", 0),
    "DHE_PSK": ("DHE", "PSK", 1),
    "PSK_DHE": ("DHE", "PSK", 1),  # RFC 6655 spells 0xC0AA/0xC0AB this way
    "ECDHE_PSK": ("ECDHE", "PSK", 1),
    "RSA_PSK": ("RSA", "RSA_PSK", 0),
    "SRP_SHA": ("SRP", "SRP", 1),
    "SRP_SHA_RSA": ("SRP", "RSA", 1),
    "SRP_SHA_DSS": ("SRP", "DSS", 1),
    "ECCPWD": ("ECCPWD", "ECCPWD", 1),
    "GOSTR341112_256": ("GOSTR341112_256", "GOSTR341012", 0),
}

# Record-protection MACs of non-AEAD suites (the last part of the name).
MACS = ("SHA", "SHA256", "SHA384", "MD5", "OMAC", "IMIT", "NULL")
# The hash that ends an AEAD suite's name names the PRF / HKDF hash, not a MAC.
PRF_HASHES = ("SHA256", "SHA384", "SM3")
AEAD_MODES = ("GCM", "CCM", "CCM_8", "POLY1305", "MGM_L", "MGM_S", "AEAD")

# TLS 1.3 "suites" that are not AEAD: integrity only (RFC 9150).
INTEGRITY_ONLY = ("SHA256", "SHA384")

SCSV = ("TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "TLS_FALLBACK_SCSV")


class RegistryError(Exception):
    pass


def parse_cipher(tokens, name):
    """Parses the cipher + mode at the front of tokens; returns
    (cipher, mode, key_bits, rest)."""
    if not tokens:
        raise RegistryError(f"{name}: no cipher")
    alg, t = tokens[0], tokens[1:]

    def take():
        if not t:
            raise RegistryError(f"{name}: cipher {alg} ends early")
        return t.pop(0)

    if alg in ("AES", "CAMELLIA", "ARIA"):
        bits = int(take())
        cipher, mode = f"{alg}_{bits}", take()
    elif alg == "RC4":
        bits = int(take())
        cipher, mode = f"RC4_{bits}", "stream"
    elif alg == "RC2":
        mode = take()
        bits = int(take())
        cipher = f"RC2_{bits}"
    elif alg == "DES40":
        cipher, mode, bits = "DES40", take(), 40
    elif alg == "DES":
        mode = take()
        if t and t[0].isdigit():  # KRB5 export spelling DES_CBC_40
            bits = int(take())
            cipher = f"DES{bits}"
        else:
            cipher, bits = "DES", 56
    elif alg == "3DES":
        if take() != "EDE":
            raise RegistryError(f"{name}: 3DES without EDE")
        cipher, mode, bits = "3DES_EDE", take(), 168
    elif alg in ("IDEA", "SEED"):
        cipher, mode, bits = alg, take(), 128
    elif alg == "CHACHA20":
        cipher, mode, bits = "CHACHA20", take(), 256
    elif alg == "SM4":
        cipher, mode, bits = "SM4", take(), 128
    elif alg in ("KUZNYECHIK", "MAGMA"):
        cipher, mode, bits = alg, take(), 256
    elif alg == "28147":
        cipher, mode, bits = "GOST28147", take(), 256
    elif alg == "AEGIS":
        size = take()
        cipher, mode, bits = f"AEGIS_{size}", "AEAD", int(size.rstrip("L"))
    elif alg == "NULL":
        cipher, mode, bits = "NULL", "NULL", 0
    else:
        raise RegistryError(f"{name}: unknown cipher {alg}")
    # Mode variants: CCM_8 (8-octet tag, RFC 6655), MGM_L / MGM_S (RFC 9367).
    if mode == "CCM" and t and t[0] == "8":
        mode = "CCM_8"
        t.pop(0)
    elif mode == "MGM" and t and t[0] in ("L", "S"):
        mode = "MGM_" + t.pop(0)
    if mode not in ("CBC", "GCM", "CCM", "CCM_8", "POLY1305", "stream", "NULL", "CTR",
                    "CNT", "MGM_L", "MGM_S", "AEAD"):
        raise RegistryError(f"{name}: unknown mode {mode}")
    return cipher, mode, bits, t


def parse_suite(sid, name):
    row = dict(id=sid, name=name, scsv=0, export_=0)
    if name in SCSV:
        row.update(kx="SCSV", auth="SCSV", cipher="SCSV", mode="SCSV", mac="SCSV",
                   key_bits=0, fs=0, aead=0, scsv=1)
        return row
    if not name.startswith("TLS_"):
        raise RegistryError(f"{name}: no TLS_ prefix")
    body = name[4:]
    if "_WITH_" in body:
        kxauth, rest = body.split("_WITH_", 1)
        if kxauth.endswith("_EXPORT1024"):
            kxauth, row["export_"] = kxauth[: -len("_EXPORT1024")], 1
        elif kxauth.endswith("_EXPORT"):
            kxauth, row["export_"] = kxauth[: -len("_EXPORT")], 1
        if kxauth not in KXAUTH:
            raise RegistryError(f"{name}: unknown key exchange {kxauth}")
        kx, auth, fs = KXAUTH[kxauth]
    else:
        # TLS 1.3 (RFC 8446 B.4): the key exchange and authentication are
        # negotiated by extensions, not by the suite. Every TLS 1.3 key
        # exchange is (EC)DHE except psk_ke resumption, which a suite cannot
        # show, so the suite counts as forward secret.
        rest, kx, auth, fs = body, "TLS13", "TLS13", 1
    tokens = rest.split("_")
    if kx == "TLS13" and len(tokens) == 2 and tokens[0] in INTEGRITY_ONLY:
        # TLS_SHA256_SHA256: HMAC integrity without encryption (RFC 9150).
        cipher, mode, bits, t = "NULL", "NULL", 0, tokens[1:]
        mac = tokens[0]
        if t != [mac]:
            raise RegistryError(f"{name}: integrity-only suite with two hashes")
        aead = 0
    else:
        cipher, mode, bits, t = parse_cipher(tokens, name)
        if kx == "GOSTR341112_256" and mode.startswith("MGM"):
            # RFC 9367: the MGM suites are TLS 1.3 suites that reuse the
            # TLS 1.2 naming pattern.
            kx, auth, fs = "TLS13", "TLS13", 1
        aead = 1 if mode in AEAD_MODES else 0
        if aead:
            # What follows an AEAD cipher is the PRF / HKDF hash, or nothing
            # (the CCM suites of RFC 6655 / 7251).
            if len(t) > 1 or (t and t[0] not in PRF_HASHES):
                raise RegistryError(f"{name}: unexpected {'_'.join(t)} after AEAD cipher")
            mac = "AEAD"
        else:
            if len(t) != 1 or t[0] not in MACS:
                raise RegistryError(f"{name}: unknown MAC {'_'.join(t)}")
            mac = t[0]
        if kx == "TLS13" and not aead:
            raise RegistryError(f"{name}: TLS 1.3 suite without AEAD")
    row.update(kx=kx, auth=auth, cipher=cipher, mode=mode, mac=mac, key_bits=bits, fs=fs,
               aead=aead)
    return row


def is_placeholder(desc):
    return desc.startswith("Unassigned") or desc.startswith("Reserved")


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            yield r["Value"].strip(), " ".join(r["Description"].split())


def read_suites(path):
    """Every row with a real name; ranges and placeholders are skipped."""
    out = []
    for value, desc in read_rows(path):
        if is_placeholder(desc):
            continue
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2 or any("-" in p for p in parts):
            raise RegistryError(f"{desc}: value {value} is not a single code point")
        sid = (int(parts[0], 16) << 8) | int(parts[1], 16)
        out.append(parse_suite(sid, desc))
    return out


def read_names(path, base):
    out = []
    for value, desc in read_rows(path):
        if is_placeholder(desc) or "-" in value:
            continue
        # "X25519Kyber768Draft00 (OBSOLETE)": the name is the first word.
        name = desc.split(" (")[0].strip()
        if not name or " " in name:
            raise RegistryError(f"{value}: cannot take a name from {desc!r}")
        out.append((int(value, base), name))
    return out


def check_unique(rows, what):
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        raise RegistryError(f"{what}: duplicate values")


def c_str(s):
    if any(c in s for c in '"\\') or not s.isprintable():
        raise RegistryError(f"{s!r} is not a plain C string")
    return f'"{s}"'


def render(suites, groups, schemes):
    lines = [
        "/* ciphers_table.inc — GENERATED by dissectors/proto/gen_ciphers.py from the IANA",
        " * registry exports shared/iana/tls-cipher-suites.csv, tls-supported-groups.csv",
        " * and tls-signature-schemes.csv. Do not edit: regenerate with",
        " *   python3 dissectors/proto/gen_ciphers.py ../shared/iana",
        " * (run from the repository root). Included by dissectors/proto/ciphers.c only;",
        " * every table is sorted by value for binary search.",
        " */",
        "",
        f"/* {len(suites)} cipher suites (including the signalling values 0x00FF, 0x5600). */",
        "static const struct suite_info suite_table[] = {",
    ]
    for r in suites:
        lines.append(
            f"\t{{.id = 0x{r['id']:04X}, .name = {c_str(r['name'])}, .kx = {c_str(r['kx'])}, "
            f".auth = {c_str(r['auth'])}, .cipher = {c_str(r['cipher'])}, "
            f".mode = {c_str(r['mode'])}, .mac = {c_str(r['mac'])}, "
            f".key_bits = {r['key_bits']}, .fs = {r['fs']}, .aead = {r['aead']}, "
            f".export_ = {r['export_']}, .scsv = {r['scsv']}}},")
    lines += ["};", ""]
    for title, cname, rows in (("supported groups", "suite_group_table", groups),
                               ("signature schemes", "suite_sigscheme_table", schemes)):
        lines.append(f"/* {len(rows)} {title}. */")
        lines.append(f"static const struct suite_named {cname}[] = {{")
        for v, n in rows:
            lines.append(f"\t{{0x{v:04X}, {c_str(n)}}},")
        lines += ["};", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("iana_dir", nargs="?", default=os.path.join(ROOT, "..", "shared", "iana"))
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "ciphers_table.inc"))
    args = ap.parse_args()
    try:
        suites = sorted(read_suites(os.path.join(args.iana_dir, "tls-cipher-suites.csv")),
                        key=lambda r: r["id"])
        groups = sorted(read_names(os.path.join(args.iana_dir, "tls-supported-groups.csv"), 10))
        schemes = sorted(read_names(os.path.join(args.iana_dir, "tls-signature-schemes.csv"), 16))
        check_unique([(r["id"],) for r in suites], "cipher suites")
        check_unique(groups, "supported groups")
        check_unique(schemes, "signature schemes")
    except (OSError, RegistryError, ValueError, KeyError) as e:
        print(f"gen_ciphers.py: {e}", file=sys.stderr)
        return 1
    text = render(suites, groups, schemes)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.output)
    print(f"{args.output}: {len(suites)} suites, {len(groups)} groups, "
          f"{len(schemes)} signature schemes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
