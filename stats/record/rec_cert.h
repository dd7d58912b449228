/* rec_cert.h — the "cert" object of a connection record (docs/certificates.md,
 * docs/schema.md). */
#ifndef SMTPTLS_REC_CERT_H
#define SMTPTLS_REC_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dissectors/proto/x509.h"

/* The record's "cert" value for f as the record writer writes it
 * (rec_json.h), parsed back by jansson, for tests and tools: JSON null when
 * no certificate is known (f->present == 0). Returns a new reference (the
 * caller owns it), or NULL when the value cannot be written (a SAN entry
 * that is not UTF-8) or memory runs out. The fields themselves are listed
 * by rec_cert_fields() (rec_fields.h). */
json_t *rec_cert_json(const struct cert_facts *f);

/* Writes t (seconds since the epoch) as ISO 8601 UTC, "2026-01-01T00:00:00Z".
 * Returns buf. */
char *rec_cert_time(int64_t t, char *buf, size_t len);

#endif
