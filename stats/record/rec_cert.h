/* rec_cert.h — the "cert" object of a connection record (docs/certificates.md,
 * docs/schema.md). */
#ifndef SMTPTLS_REC_CERT_H
#define SMTPTLS_REC_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dissectors/proto/x509.h"
#include "dissectors/base/jsonw.h"

/* Builds the record's "cert" object from the certificate facts: JSON null
 * when no certificate is known (f->present == 0). Returns a new reference
 * (the caller owns it), or NULL when jansson cannot allocate. */
json_t *rec_cert_json(const struct cert_facts *f);

/* Appends the same value to w, byte for byte what jsonw_dump() writes for
 * rec_cert_json(f), without building it. Returns -1 where rec_cert_json()
 * returns NULL (a SAN entry that is not UTF-8: the record cannot be
 * written), 0 otherwise. */
int rec_cert_write(struct jsonw *w, const struct cert_facts *f);

/* Writes t (seconds since the epoch) as ISO 8601 UTC, "2026-01-01T00:00:00Z".
 * Returns buf. */
char *rec_cert_time(int64_t t, char *buf, size_t len);

#endif
