/* prom.c — metrics for the node exporter's textfile collector. */
#include "stats/sinks/prom.h"

#include <inttypes.h>
#include <string.h>

/* Label values escape backslash, double quote and newline. */
static void prom_label(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out);
		if (*v == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*v, out);
	}
}

static void prom_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_map(FILE *out, const char *name, const char *label, const char *help,
		     const struct agg_map *m)
{
	prom_head(out, name, "counter", help);
	const struct agg_map_ent *e[64];
	size_t n = agg_map_sorted(m, 0, e, 64);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s{%s=\"", name, label);
		prom_label(out, e[i]->key);
		fprintf(out, "\"} %" PRIu64 "\n", e[i]->v[0]);
	}
	if (m->other[0])
		fprintf(out, "%s{%s=\"other\"} %" PRIu64 "\n", name, label, m->other[0]);
}

/* The DANE and MTA-STS results: only when the run has DNS facts, so that
 * the metrics of other runs do not change. */
static void prom_dns(FILE *out, const struct agg_dns *d)
{
	if (agg_dns_empty(d))
		return;
	prom_head(out, "smtptls_dns_connections_total", "counter",
		  "Connections with DNS facts (MX host, TLSA, MTA-STS).");
	fprintf(out, "smtptls_dns_connections_total %" PRIu64 "\n", d->connections);
	prom_head(out, "smtptls_dane_results_total", "counter",
		  "Connections with DNS facts by DANE result (RFC 7672).");
	for (int i = 0; i < REC_DANE_COUNT; i++)
		fprintf(out, "smtptls_dane_results_total{result=\"%s\"} %" PRIu64 "\n",
			rec_dane_name((enum rec_dane)i), d->dane[i]);
	prom_head(out, "smtptls_mta_sts_results_total", "counter",
		  "Connections with DNS facts by MTA-STS result (RFC 8461).");
	for (int i = 0; i < REC_STS_COUNT; i++)
		fprintf(out, "smtptls_mta_sts_results_total{result=\"%s\"} %" PRIu64 "\n",
			rec_sts_name((enum rec_sts)i), d->sts[i]);
}

int prom_write(FILE *out, const struct agg *a, const struct prom_live *live)
{
	prom_head(out, "smtptls_connections_total", "counter",
		  "Connections on mail ports by encryption outcome.");
	for (int i = 0; i < REC_ENC_COUNT; i++)
		fprintf(out, "smtptls_connections_total{encryption=\"%s\"} %" PRIu64 "\n",
			rec_enc_name((enum rec_enc)i), a->by_enc[i]);
	prom_head(out, "smtptls_starttls_offered_total", "counter",
		  "SMTP connections whose EHLO reply listed STARTTLS.");
	fprintf(out, "smtptls_starttls_offered_total %" PRIu64 "\n", a->starttls_offered);
	prom_head(out, "smtptls_smtp_connections_total", "counter",
		  "Connections with an SMTP dialogue in the clear.");
	fprintf(out, "smtptls_smtp_connections_total %" PRIu64 "\n", a->smtp_connections);
	prom_map(out, "smtptls_anomalies_total", "type", "Anomalies by type.", &a->anomalies);
	prom_map(out, "smtptls_history_anomalies_total", "type",
		 "Anomalies found against earlier connections, by type.", &a->anomalies_cross);
	prom_map(out, "smtptls_tls_versions_total", "version",
		 "TLS connections by negotiated version.", &a->versions);
	prom_map(out, "smtptls_tls_grades_total", "grade", "TLS connections by cipher-suite grade.",
		 &a->grades);
	prom_dns(out, &a->dns);
	prom_head(out, "smtptls_packets_total", "counter", "Packets read.");
	fprintf(out, "smtptls_packets_total %" PRIu64 "\n", a->health.packets);
	prom_head(out, "smtptls_flows_evicted_total", "counter",
		  "Connections pushed out of the full flow table.");
	fprintf(out, "smtptls_flows_evicted_total %" PRIu64 "\n", a->health.flows_evicted);
	prom_head(out, "smtptls_flows_closed_early_total", "counter",
		  "Closed connections ended before their linger to make room in the full flow "
		  "table.");
	fprintf(out, "smtptls_flows_closed_early_total %" PRIu64 "\n",
		a->health.flows_closed_early);
	uint64_t bad = 0;
	for (int i = 0; i < DEC_C_COUNT; i++)
		if (dec_counter_is_malformed((enum dec_counter)i))
			bad += a->health.decode.c[i];
	prom_head(out, "smtptls_malformed_packets_total", "counter",
		  "Packets that could not be decoded.");
	fprintf(out, "smtptls_malformed_packets_total %" PRIu64 "\n", bad);
	if (live) {
		prom_head(out, "smtptls_capture_received_total", "counter",
			  "Packets the capture received (libpcap).");
		fprintf(out, "smtptls_capture_received_total %" PRIu64 "\n", live->pcap_received);
		prom_head(out, "smtptls_capture_dropped_total", "counter",
			  "Packets dropped by the capture for lack of buffer space (libpcap).");
		fprintf(out, "smtptls_capture_dropped_total %" PRIu64 "\n", live->pcap_dropped);
		prom_head(out, "smtptls_capture_if_dropped_total", "counter",
			  "Packets dropped by the network interface (libpcap).");
		fprintf(out, "smtptls_capture_if_dropped_total %" PRIu64 "\n",
			live->pcap_if_dropped);
		prom_head(out, "smtptls_flows_open", "gauge", "Connections being followed.");
		fprintf(out, "smtptls_flows_open %" PRIu64 "\n", live->flows_open);
		prom_head(out, "smtptls_alerts_total", "counter", "Alerts raised.");
		fprintf(out, "smtptls_alerts_total %" PRIu64 "\n", live->alerts);
		prom_head(out, "smtptls_output_lines_lost_total", "counter",
			  "Record and alert lines that could not be written (a full disk).");
		fprintf(out, "smtptls_output_lines_lost_total{output=\"records\"} %" PRIu64 "\n",
			live->records_lost);
		fprintf(out, "smtptls_output_lines_lost_total{output=\"alerts\"} %" PRIu64 "\n",
			live->alerts_lost);
	}
	prom_head(out, "smtptls_last_packet_timestamp_seconds", "gauge",
		  "Capture time of the latest packet.");
	fprintf(out, "smtptls_last_packet_timestamp_seconds %.6f\n",
		(double)a->health.last_us / 1e6);
	return ferror(out) ? -1 : 0;
}
