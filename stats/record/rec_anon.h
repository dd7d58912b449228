/* rec_anon.h — anonymising a finished connection record (--anonymize,
 * docs/research.md): addresses by Crypto-PAn, names by a keyed hash, free
 * text with every name and address in it replaced. Certificate
 * fingerprints, SPKI digests, serials and TLSA data are kept (they count
 * distinct certificates); a record holds no certificate bytes.
 *
 * What becomes of each field is listed in docs/schema.md ("Anonymised
 * records"). The record is changed in place, once: its anon_key then names
 * the key, and a second call with the same key leaves it alone.
 */
#ifndef SMTPTLS_REC_ANON_H
#define SMTPTLS_REC_ANON_H

#include <stddef.h>

#include "dissectors/proto/anon.h"
#include "dissectors/proto/psl.h"
#include "stats/record/record.h"

struct rec_anon {
	struct anon *anon;     /* the key's mappings (not owned) */
	const struct psl *psl; /* keep each name's registrable domain, or NULL */
};

/* Which names are kept in clear: those of a local network's own hosts
 * (--anon-keep-local), as the caller found them from the real addresses. */
struct rec_anon_keep {
	int client; /* the client's HELO name */
	int server; /* the server's names: banner, SNI, certificate, MX host */
};

/* Anonymises r in place (nothing when r->anon_key already says it was). */
void rec_anon_apply(struct rec_anon *x, struct rec *r, const struct rec_anon_keep *keep);

/* A host name or address literal ("192.0.2.1", "[192.0.2.1]",
 * "[IPv6:2001:db8::1]", "*.example.com") as anonymised, into out. */
void rec_anon_name(struct rec_anon *x, const char *in, char *out, size_t n);

/* Free text (a banner, an EHLO line, an anomaly's detail) with each word
 * that is a host name or an address replaced; when first_is_name, the
 * first word is taken for a host name even without a dot (SMTP greetings
 * start with the host's name, RFC 5321 §4.2). */
void rec_anon_text(struct rec_anon *x, const char *in, int first_is_name, char *out, size_t n);

#endif
