/* alert.c — alert lines (JSON) and syslog messages. */
#include "stats/sinks/alert.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

static void alert_one(struct alert_out *o, const struct rec *r, const struct rec_anomaly *x,
		      int final)
{
	if (x->severity < o->min_severity)
		return;
	char ts[32], c[64], s[64];
	rec_format_ts(r->end_us, ts, sizeof(ts));
	rec_format_addr(&r->client, c, sizeof(c));
	rec_format_addr(&r->server, s, sizeof(s));
	const char *type = rec_anom_name((enum rec_anom)x->type);
	const char *sev = rec_severity_name((enum rec_severity)x->severity);
	o->emitted++;
	if (o->fp || o->lines) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:i},s:{s:s,s:i},s:s,s:b}", "ts", ts,
				      "type", type, "severity", sev, "detail", x->detail, "client",
				      "ip", c, "port", (int)r->client.port, "server", "ip", s,
				      "port", (int)r->server.port, "encryption",
				      rec_enc_name((enum rec_enc)r->encryption), "connection_ended",
				      final);
		if (j && x->confidence)
			json_object_set_new(j, "confidence", json_real(x->confidence / 100.0));
		char *line = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(2)) : NULL;
		if (line) {
			/* one write per alert, so readers never see half a line */
			size_t n = strlen(line);
			line[n] = '\n';
			if (o->lines)
				out_lines_write(o->lines, line, n + 1);
			else if (fwrite(line, 1, n + 1, o->fp) != n + 1 || fflush(o->fp) != 0)
				o->failed = 1;
			free(line);
		} else {
			o->failed = 1;
		}
		json_decref(j);
	}
	if (o->use_syslog) {
		int prio = x->severity >= REC_SEV_HIGH	   ? LOG_ALERT
			   : x->severity >= REC_SEV_MEDIUM ? LOG_WARNING
							   : LOG_NOTICE;
		syslog(LOG_MAIL | prio, "%s %s client=%s:%u server=%s:%u %s", sev, type, c,
		       (unsigned)r->client.port, s, (unsigned)r->server.port, x->detail);
	}
}

void alert_provisional(struct alert_out *o, const struct rec *r, const struct rec_verdict *v,
		       uint32_t *alerted)
{
	for (int i = 0; i < rec_anomaly_count(r, v); i++) {
		const struct rec_anomaly *x = rec_anomaly_at(r, v, i);
		uint32_t bit = 1u << (x->type & 31);
		if (*alerted & bit)
			continue;
		*alerted |= bit;
		alert_one(o, r, x, 0);
	}
}

void alert_final(struct alert_out *o, const struct rec *r, const struct rec_verdict *v)
{
	for (int i = 0; i < rec_anomaly_count(r, v); i++) {
		const struct rec_anomaly *x = rec_anomaly_at(r, v, i);
		if (r->alerted & (1u << (x->type & 31)))
			continue;
		alert_one(o, r, x, 1);
	}
}
