/* rec_json.h — the connection record as JSON text: the one writer, driven
 * by the field list of rec_fields.h.
 *
 * It writes straight into a jsonw buffer, with no tree, what jansson's
 * json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(15)) would write for the
 * same values: keys in the list's order, texts escaped as jansson escapes
 * them. A text that is not UTF-8 (jansson refuses it) is handled as its
 * field says: left out, null, or the record is refused (-1).
 */
#ifndef SMTPTLS_REC_JSON_H
#define SMTPTLS_REC_JSON_H

#include "dissectors/base/jsonw.h"
#include "dissectors/proto/tls.h"
#include "dissectors/proto/x509.h"
#include "stats/record/record.h"

/* The record in two steps, which append to w in turn: rec_json_head()
 * everything from the opening '{' up to the anomalies (what depends on the
 * record alone: worker threads write it), rec_json_anomalies() the verdict's
 * part: the "policy" member when v's dry-run ran, the "anomalies" member,
 * with the verdict v's after the record's own (v may be NULL), and the
 * closing '}'. Each returns 0, or -1 when the record cannot
 * be written (a text that is not UTF-8 where the record's schema allows none)
 * or an allocation failed; w's content is then unusable. */
int rec_json_head(struct jsonw *w, const struct rec *r);
int rec_json_anomalies(struct jsonw *w, const struct rec *r, const struct rec_verdict *v);

/* The "tls" object and the "cert" value alone, appended to w (for tests and
 * tools). 0 or -1, as above. */
int rec_json_tls(struct jsonw *w, const struct tls_facts *f);
int rec_json_cert(struct jsonw *w, const struct cert_facts *f);

#endif
