/* report_page.c — the figures of the report page, for plots/template.html
 * (see report_page.h). Every name set here is one the template uses; the
 * sentences, headings and markup around them are the template's. */
#include "plots/report_page.h"

#include <stdlib.h>
#include <string.h>

#include "plots/report_dns.h"
#include "plots/report_policy.h"
#include "plots/report_snap.h"
#include "plots/tpl.h"

#include "report_template.h"

/* Rows of the long tables (servers, countries, networks). */
#define RP_TOP 20

/* ---- values ------------------------------------------------------------- */

void report_page_num(struct tpl_scope *s, const char *name, long long n)
{
	char b[32], one[64];
	report_snap_thousands(n, b, sizeof(b));
	tpl_set(s, name, b);
	snprintf(one, sizeof(one), "%s_one", name);
	tpl_flag(s, one, n == 1);
}

/* num/den as a percentage ("38%", "<1%", "-"). */
static void rp_pct(struct tpl_scope *s, const char *name, long long num, long long den)
{
	char b[16];
	report_snap_pct(num, den, b, sizeof(b));
	tpl_set(s, name, b);
}

/* "2026-11-22T09:42:23.685834Z" as "2026-11-22 09:42:23 UTC". */
static void rp_when(struct tpl_scope *s, const char *name, const char *iso)
{
	if (!iso || strlen(iso) < 19)
		tpl_set(s, name, iso ? iso : "?");
	else
		tpl_setf(s, name, "%.10s %.8s UTC", iso, iso + 11);
}

/* A ratio for the tiles and the sentences. */
struct rp_fig {
	long long num, den;
	int present;
};

static struct rp_fig rp_ratio(json_t *snap, const char *name, const char *num, const char *den)
{
	struct report_ratio r = report_snap_ratio(snap, name, num, den);
	struct rp_fig f = {r.num, r.den, r.present};
	return f;
}

/* The certificate ratios: ratios.<name> when the snapshot has it, else the
 * counter over the connections with a certificate (docs/metrics.md). */
static struct rp_fig rp_cert_ratio(json_t *snap, const char *ratio, const char *a, const char *b)
{
	struct rp_fig f = {0, 0, 0};
	json_t *cert = json_object_get(snap, "cert");
	if (!json_is_object(cert))
		return f;
	struct report_ratio r = report_snap_ratio(snap, ratio, NULL, NULL);
	if (r.present) {
		f.num = r.num;
		f.den = r.den;
		f.present = 1;
		return f;
	}
	long long num = report_snap_int(cert, a);
	if (num < 0 && b)
		num = report_snap_int(cert, b);
	if (num < 0)
		return f;
	f.num = num;
	f.den = report_snap_count(cert, "observed") + report_snap_count(cert, "inferred");
	f.present = 1;
	return f;
}

/* ---- summary -------------------------------------------------------------- */

/* One tile: shown (a share with a denominator), else present says whether
 * there was nothing to measure or the snapshot does not measure it. */
static void rp_tile(struct tpl_scope *sum, const char *name, struct rp_fig f)
{
	struct tpl_scope *t = tpl_row(sum, name);
	int shown = f.present && f.den > 0;
	tpl_flag(t, "shown", shown);
	tpl_flag(t, "present", f.present);
	if (!shown)
		return;
	long long w = (200 * f.num + f.den) / (2 * f.den);
	rp_pct(t, "pct", f.num, f.den);
	tpl_setf(t, "width", "%lld", w > 100 ? 100 : w);
	report_page_num(t, "num", f.num);
	report_page_num(t, "den", f.den);
}

static long long rp_anomaly_total(json_t *snap, long long *high, size_t *types)
{
	const char *secs[2] = {"anomalies", "anomalies_cross"};
	long long total = 0;
	*high = 0;
	*types = 0;
	for (int s = 0; s < 2; s++) {
		struct report_kvs kvs;
		json_t *d = json_object_get(snap, secs[s]);
		if (report_snap_dist(d, NULL, &kvs) != 0)
			continue;
		for (size_t i = 0; i < kvs.n; i++) {
			if (kvs.v[i].n == 0)
				continue;
			total += kvs.v[i].n;
			(*types)++;
			if (strcmp(report_charts_anomaly(kvs.v[i].key).severity, "high") == 0)
				*high += kvs.v[i].n;
		}
		total += report_snap_count(d, "other");
		report_kvs_free(&kvs);
	}
	return total;
}

/* The headline sentence: which of its forms, and its figures. */
static void rp_lead(struct tpl_scope *sum, json_t *s, long long total)
{
	struct rp_fig enc = rp_ratio(s, "encrypted_connections", NULL, NULL);
	struct rp_fig t13 = rp_ratio(s, "tls13", NULL, NULL);
	struct rp_fig strong = rp_ratio(s, "strong_or_modern_cipher", NULL, NULL);
	long long neg = report_snap_count(s, "tls.negotiated");
	int known = enc.present && enc.den != 0;
	tpl_flag(sum, "lead_empty", total == 0);
	tpl_flag(sum, "lead_unknown", total != 0 && !known);
	tpl_flag(sum, "lead_shares", total != 0 && known);
	report_page_num(sum, "total", total);
	tpl_flag(sum, "enc_none", enc.num == 0);
	rp_pct(sum, "enc_pct", enc.num, enc.den);
	report_page_num(sum, "enc_den", enc.den);
	report_page_num(sum, "enc_num", enc.num);
	tpl_flag(sum, "lead_tls", neg > 0 && t13.present);
	report_page_num(sum, "t13_num", t13.num);
	report_page_num(sum, "neg", neg);
	tpl_flag(sum, "lead_strong", strong.present);
	report_page_num(sum, "strong_num", strong.num);
	tpl_flag(sum, "more_unknown", total > 0 && enc.present && enc.den < total);
	report_page_num(sum, "unknown", total - enc.den);
	rp_tile(sum, "tile_enc", enc);
	rp_tile(sum, "tile_tls13", t13);
	rp_tile(sum, "tile_strong", strong);
}

static void rp_summary(struct tpl_scope *root, json_t *s)
{
	struct tpl_scope *sum = tpl_row(root, "summary");
	long long total = report_snap_count(s, "connections.total");
	rp_lead(sum, s, total);
	struct rp_fig never = rp_ratio(s, "servers_never_encrypting", NULL, NULL);
	struct rp_fig offered =
		rp_ratio(s, "starttls_offered", "smtp.starttls_offered", "smtp.connections");
	struct rp_fig selfsig = rp_cert_ratio(s, "self_signed", "self_signed", NULL);
	struct rp_fig valid = rp_cert_ratio(s, "chain_valid", "chain_valid", "valid");
	tpl_flag(sum, "more_offered", offered.present && offered.den > 0);
	report_page_num(sum, "offered_num", offered.num);
	report_page_num(sum, "offered_den", offered.den);
	tpl_flag(sum, "more_never", never.present && never.den > 0);
	report_page_num(sum, "never_num", never.num);
	report_page_num(sum, "never_den", never.den);
	tpl_flag(sum, "more_selfsig", selfsig.present && selfsig.den > 0);
	report_page_num(sum, "selfsig_num", selfsig.num);
	report_page_num(sum, "selfsig_den", selfsig.den);

	long long high = 0;
	size_t types = 0;
	long long anomalies = rp_anomaly_total(s, &high, &types);
	tpl_flag(sum, "more_anomalies", total > 0);
	tpl_flag(sum, "anomalies_found", anomalies > 0);
	report_page_num(sum, "anomalies", anomalies);
	report_page_num(sum, "high", high);
	tpl_setf(sum, "types", "%zu", types);
	tpl_flag(sum, "types_one", types == 1);
	tpl_setf(sum, "high_width", "%lld",
		 anomalies > 0 ? (200 * high + anomalies) / (2 * anomalies) : 0LL);
	tpl_flag(sum, "has_anomalies", json_is_object(json_object_get(s, "anomalies")));

	tpl_flag(sum, "has_cert", json_is_object(json_object_get(s, "cert")));
	rp_tile(sum, "tile_offered", offered);
	rp_tile(sum, "tile_selfsig", selfsig);
	rp_tile(sum, "tile_valid", valid);
	rp_tile(sum, "tile_never", never);
}

/* ---- capture and its health ------------------------------------------------ */

static long long rp_sum_object(json_t *o)
{
	long long sum = 0;
	const char *k;
	json_t *v;
	if (!json_is_object(o))
		return 0;
	json_object_foreach(o, k, v)
	{
		if (json_is_integer(v) && json_integer_value(v) > 0)
			sum += (long long)json_integer_value(v);
	}
	return sum;
}

/* The span: both ends and the duration, in the coarsest unit that still
 * gives the scale. */
static void rp_span(struct tpl_scope *cap, json_t *s)
{
	const char *first = json_string_value(report_snap_get(s, "span.first"));
	const char *last = json_string_value(report_snap_get(s, "span.last"));
	long long fus = report_snap_int(s, "span.first_us"),
		  lus = report_snap_int(s, "span.last_us");
	tpl_flag(cap, "has_span", first && last);
	rp_when(cap, "first", first);
	rp_when(cap, "last", last);
	tpl_flag(cap, "has_duration", fus >= 0 && lus >= fus);
	long long secs = (lus - fus) / 1000000, n;
	const char *unit;
	if (secs < 120) {
		n = secs;
		unit = "in_seconds";
	} else if (secs < 2 * 3600) {
		n = secs / 60;
		unit = "in_minutes";
	} else if (secs < 3 * 86400) {
		n = secs / 3600;
		unit = "in_hours";
	} else if (secs < 2 * 365 * 86400LL) {
		n = secs / 86400;
		unit = "in_days";
	} else {
		n = secs / (365 * 86400LL + 21600);
		unit = "in_years";
	}
	static const char *const units[] = {"in_seconds", "in_minutes", "in_hours", "in_days",
					    "in_years"};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		tpl_flag(cap, units[i], strcmp(units[i], unit) == 0);
	tpl_setf(cap, "duration", "%lld", n);
	tpl_flag(cap, "duration_one", n == 1);
}

/* One health warning: its count, and whether it is shown. */
static int rp_warning(struct tpl_scope *cap, const char *name, long long n)
{
	char shown[64];
	snprintf(shown, sizeof(shown), "%s_shown", name);
	tpl_flag(cap, shown, n > 0);
	report_page_num(cap, name, n);
	return n > 0;
}

static void rp_health(struct tpl_scope *cap, json_t *s)
{
	int nw = 0;
	nw += rp_warning(cap, "files_failed", report_snap_count(s, "health.files_failed"));
	nw += rp_warning(cap, "backwards", report_snap_count(s, "health.timestamps_backwards"));
	nw += rp_warning(cap, "malformed", rp_sum_object(report_snap_get(s, "health.malformed")));
	nw += rp_warning(cap, "evicted", report_snap_count(s, "health.flows_evicted"));
	nw += rp_warning(cap, "closed_early", report_snap_count(s, "health.flows_closed_early"));
	nw += rp_warning(cap, "alloc_failed", report_snap_count(s, "health.flow_alloc_failed"));
	nw += rp_warning(cap, "refused", report_snap_count(s, "health.reassembly.refused_bytes"));
	nw += rp_warning(cap, "gap_bytes", report_snap_count(s, "connections.gap_bytes"));
	int truncated = json_is_true(report_snap_get(s, "notes.servers_truncated")) ||
			report_snap_dist_truncated(json_object_get(s, "servers")) ||
			report_snap_dist_truncated(json_object_get(s, "time"));
	nw += rp_warning(cap, "truncated", truncated);
	int nothing = nw == 0 && report_snap_count(s, "health.packets") == 0;
	tpl_flag(cap, "nothing_read", nothing);
	tpl_flag(cap, "has_warnings", nw > 0);
	tpl_flag(cap, "no_problems", nw == 0 && !nothing);
	report_page_num(cap, "warnings", nw);
}

static void rp_capture(struct tpl_scope *root, json_t *s)
{
	struct tpl_scope *cap = tpl_row(root, "capture");
	rp_span(cap, s);
	report_page_num(cap, "files", report_snap_count(s, "health.files"));
	report_page_num(cap, "packets", report_snap_count(s, "health.packets"));
	report_page_num(cap, "wire_bytes", report_snap_count(s, "health.wire_bytes"));
	report_page_num(cap, "mail_packets", report_snap_count(s, "health.mail_packets"));
	report_page_num(cap, "connections", report_snap_count(s, "connections.total"));
	report_page_num(cap, "complete", report_snap_count(s, "connections.complete"));
	report_page_num(cap, "midstream", report_snap_count(s, "connections.midstream"));
	report_page_num(cap, "with_gaps", report_snap_count(s, "connections.with_gaps"));

	json_t *dir = json_object_get(s, "by_direction");
	struct report_kvs kvs = {NULL, 0};
	if (json_is_object(dir) && report_snap_dist(dir, "connections", &kvs) != 0)
		kvs.n = 0;
	tpl_flag(cap, "has_directions", kvs.n > 0);
	tpl_list(cap, "directions");
	for (size_t i = 0; i < kvs.n; i++) {
		struct tpl_scope *row = tpl_row(cap, "directions");
		tpl_flag(row, "first_row", i == 0);
		report_page_num(row, "n", kvs.v[i].n);
		tpl_set(row, "key", kvs.v[i].key);
	}
	report_kvs_free(&kvs);
	rp_health(cap, s);
}

/* ---- charts ------------------------------------------------------------------ */

/* Whether s starts with one of the n-byte prefixes given. */
static int rp_at(const char *s, const char *const *prefixes, size_t count, size_t n)
{
	for (size_t i = 0; i < count; i++)
		if (strncmp(s, prefixes[i], n) == 0)
			return 1;
	return 0;
}

/* gnuplot's SVG from just after "<svg" (the template opens the element with
 * its own attributes), into out: without the plot names gnuplot uses as
 * tooltips, with the chart's title instead of "Gnuplot", and with every id
 * (and reference to one) prefixed by the chart's name, since several charts
 * share one page. */
static void rp_svg_rewrite(const char *p, const struct report_chart *ch, FILE *out)
{
	static const char *const ids[] = {" id='",   " id=\"", "\tid='",
					  "\tid=\"", "\nid='", "\nid=\""};
	static const char *const refs[] = {"href='#", "href=\"#"};
	int in_tag = 1;
	while (*p) {
		if (!in_tag && strncmp(p, "<title>Gnuplot</title>", 22) == 0) {
			fputs("<title>", out);
			tpl_escape(out, ch->title, strlen(ch->title));
			fputs("</title>", out);
			p += 22;
			continue;
		}
		if (!in_tag && strncmp(p, "<title>gnuplot_plot_", 20) == 0) {
			const char *end = strstr(p, "</title>");
			if (end) {
				p = end + 8;
				continue;
			}
		}
		if (in_tag && (rp_at(p, ids, 6, 5) || rp_at(p, refs, 2, 7))) {
			size_t n = rp_at(p, ids, 6, 5) ? 5 : 7;
			fwrite(p, 1, n, out);
			fprintf(out, "%s-", ch->name);
			p += n;
			continue;
		}
		if (in_tag && strncmp(p, "url(#", 5) == 0) {
			fprintf(out, "url(#%s-", ch->name);
			p += 5;
			continue;
		}
		if (*p == '<')
			in_tag = 1;
		else if (*p == '>')
			in_tag = 0;
		fputc(*p, out);
		p++;
	}
}

/* Reads the SVG file whole; NULL when it cannot. */
static char *rp_slurp(const char *path)
{
	FILE *in = fopen(path, "rb");
	if (!in)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t r;
	int bad = !m;
	while (!bad && (r = fread(chunk, 1, sizeof(chunk), in)) > 0)
		bad = fwrite(chunk, 1, r, m) != r;
	bad |= ferror(in);
	fclose(in);
	if (m && fclose(m) != 0)
		bad = 1;
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The chart as the markup value `svg`; 0, or -1 when it cannot be read. */
static int rp_svg(struct tpl_scope *row, const struct report_chart *ch, const char *path)
{
	char *svg = rp_slurp(path);
	char *p = svg ? strstr(svg, "<svg") : NULL;
	if (!p) {
		free(svg);
		return -1;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		free(svg);
		return -1;
	}
	rp_svg_rewrite(p + 4, ch, m);
	free(svg);
	if (fclose(m) != 0) {
		free(buf);
		return -1;
	}
	tpl_set_markup(row, "svg", buf, len);
	free(buf);
	return 0;
}

static void rp_charts(struct tpl_scope *root, const struct report_page *p)
{
	int any_data = 0;
	tpl_list(root, "charts");
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		const struct report_chart *ch = &p->charts[i];
		int data = ch->state == REPORT_CHART_DATA;
		any_data |= data;
		struct tpl_scope *row = tpl_row(root, "charts");
		tpl_set(row, "name", ch->name);
		tpl_flag(row, "in_policy", strcmp(ch->name, "policy_outcomes") == 0);
		tpl_set(row, "title", ch->title);
		tpl_flag(row, "wide", report_charts_wide(ch));
		tpl_set(row, "state",
			data				  ? (p->svg[i] ? "drawn" : "failed")
			: ch->state == REPORT_CHART_EMPTY ? "empty"
							  : "absent");
		tpl_flag(row, "has_data", data);
		tpl_set(row, "empty", ch->empty);
		tpl_set(row, "note", ch->note);
		tpl_set(row, "caption", ch->caption);
		tpl_flag(row, "inlined", data && p->svg[i] && rp_svg(row, ch, p->svg[i]) == 0);
	}
	tpl_flag(root, "no_gnuplot", p->no_gnuplot);
	tpl_flag(root, "gnuplot_notice", p->no_gnuplot && any_data);
}

/* ---- tables ------------------------------------------------------------------ */

/* The row "and N more" of a table that shows `shown` of `all`. */
static void rp_more(struct tpl_scope *t, size_t shown, size_t all)
{
	tpl_flag(t, "more", all > shown);
	tpl_setf(t, "more_n", "%zu", all > shown ? all - shown : 0);
}

static int rp_never_encrypts(json_t *v)
{
	return report_snap_count(v, "plaintext") > 0 && report_snap_count(v, "starttls") == 0 &&
	       report_snap_count(v, "implicit_tls") == 0;
}

static void rp_servers_table(struct tpl_scope *root, json_t *snap)
{
	json_t *servers = json_object_get(snap, "servers");
	struct report_kvs kvs = {NULL, 0};
	tpl_list(root, "servers");
	if (json_is_object(servers) && report_snap_dist(servers, "connections", &kvs) != 0)
		return;
	struct tpl_scope *t = tpl_row(root, "servers");
	size_t matches = 0;
	for (size_t i = 0; i < kvs.n; i++)
		matches += (size_t)rp_never_encrypts(kvs.v[i].val);
	tpl_flag(t, "measured", json_is_object(servers));
	tpl_flag(t, "seen", kvs.n > 0);
	tpl_flag(t, "table", matches > 0);
	struct rp_fig never = rp_ratio(snap, "servers_never_encrypting", NULL, NULL);
	tpl_flag(t, "ratio", never.present && never.den > 0);
	report_page_num(t, "never_num", never.num);
	report_page_num(t, "never_den", never.den);
	tpl_list(t, "rows");
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n && shown < RP_TOP; i++) {
		json_t *v = kvs.v[i].val;
		if (!rp_never_encrypts(v))
			continue;
		struct tpl_scope *row = tpl_row(t, "rows");
		tpl_set(row, "server", kvs.v[i].key);
		report_page_num(row, "connections", kvs.v[i].n);
		report_page_num(row, "plaintext", report_snap_count(v, "plaintext"));
		report_page_num(row, "offered", report_snap_count(v, "starttls_offered"));
		report_page_num(row, "refused_or_failed",
				report_snap_count(v, "starttls_refused") +
					report_snap_count(v, "starttls_failed"));
		report_page_num(row, "plaintext_messages",
				report_snap_count(v, "plaintext_messages"));
		shown++;
	}
	rp_more(t, shown, matches);
	report_kvs_free(&kvs);
}

static void rp_selfsigned_table(struct tpl_scope *root, json_t *snap)
{
	int measured = json_is_object(json_object_get(snap, "cert"));
	struct report_kvs kvs = {NULL, 0};
	tpl_list(root, "self_signed");
	if (measured &&
	    report_snap_dist(json_object_get(snap, "servers"), "self_signed", &kvs) != 0)
		return;
	struct tpl_scope *t = tpl_row(root, "self_signed");
	size_t matches = 0;
	for (size_t i = 0; i < kvs.n; i++)
		matches += kvs.v[i].n > 0;
	tpl_flag(t, "measured", measured);
	tpl_flag(t, "per_server", kvs.n > 0);
	tpl_flag(t, "table", matches > 0);
	tpl_list(t, "rows");
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n && shown < RP_TOP && kvs.v[i].n > 0; i++, shown++) {
		struct tpl_scope *row = tpl_row(t, "rows");
		tpl_set(row, "server", kvs.v[i].key);
		report_page_num(row, "self_signed_n", kvs.v[i].n);
		report_page_num(row, "connections", report_snap_count(kvs.v[i].val, "connections"));
	}
	rp_more(t, shown, matches);
	report_kvs_free(&kvs);
}

static void rp_anomaly_table(struct tpl_scope *root, json_t *snap)
{
	json_t *per = json_object_get(snap, "anomalies");
	json_t *cross = json_object_get(snap, "anomalies_cross");
	struct report_kvs a = {NULL, 0}, b = {NULL, 0};
	tpl_list(root, "anomaly_types");
	if (report_snap_dist(per, NULL, &a) != 0 || report_snap_dist(cross, NULL, &b) != 0)
		goto done;
	struct tpl_scope *t = tpl_row(root, "anomaly_types");
	size_t nonzero = 0;
	for (size_t i = 0; i < a.n; i++)
		nonzero += a.v[i].n > 0;
	for (size_t i = 0; i < b.n; i++)
		nonzero += b.v[i].n > 0;
	tpl_flag(t, "measured", json_is_object(per) || json_is_object(cross));
	tpl_flag(t, "table", nonzero > 0);
	tpl_list(t, "rows");
	/* The two lists merged, largest first. */
	size_t ia = 0, ib = 0;
	while (ia < a.n || ib < b.n) {
		int from_a = ib >= b.n || (ia < a.n && a.v[ia].n >= b.v[ib].n);
		const struct report_kv *kv = from_a ? &a.v[ia++] : &b.v[ib++];
		if (kv->n == 0)
			continue;
		struct report_anomaly_info info = report_charts_anomaly(kv->key);
		struct tpl_scope *row = tpl_row(t, "rows");
		tpl_set(row, "anomaly", kv->key);
		tpl_flag(row, "has_severity", info.severity[0] != '\0');
		tpl_set(row, "severity", info.severity);
		report_page_num(row, "connections", kv->n);
		tpl_set(row, "what", info.what);
		tpl_flag(row, "history", !from_a);
	}
	long long other = report_snap_count(per, "other") + report_snap_count(cross, "other");
	tpl_flag(t, "other", other > 0);
	report_page_num(t, "other_n", other);
done:
	report_kvs_free(&a);
	report_kvs_free(&b);
}

static void rp_cipher_table(struct tpl_scope *root, json_t *snap)
{
	json_t *d = report_snap_get(snap, "tls.ciphers");
	long long neg = report_snap_count(snap, "tls.negotiated");
	struct report_kvs kvs;
	tpl_list(root, "ciphers");
	if (!json_is_object(d) || neg == 0 || report_snap_dist(d, NULL, &kvs) != 0)
		return;
	struct tpl_scope *t = kvs.n ? tpl_row(root, "ciphers") : NULL;
	report_page_num(t, "negotiated", neg);
	tpl_list(t, "rows");
	size_t shown = 0;
	for (size_t i = 0; t && i < kvs.n && shown < RP_TOP; i++, shown++) {
		struct tpl_scope *row = tpl_row(t, "rows");
		tpl_set(row, "suite", kvs.v[i].key);
		report_page_num(row, "connections", kvs.v[i].n);
		rp_pct(row, "share", kvs.v[i].n, neg);
	}
	rp_more(t, shown, kvs.n);
	report_kvs_free(&kvs);
}

/* The tables of the keyed sections by_direction, by_country and by_as. */
static void rp_group_table(struct tpl_scope *root, json_t *snap, const char *key)
{
	json_t *sec = json_object_get(snap, key);
	int measured =
		json_is_object(sec) && (report_snap_count(sec, "other.connections") != 0 ||
					json_object_size(json_object_get(sec, "keys")) != 0 ||
					report_snap_count(snap, "connections.total") == 0);
	struct report_kvs kvs = {NULL, 0};
	if (measured && report_snap_dist(sec, "connections", &kvs) != 0)
		return;
	struct tpl_scope *t = tpl_row(root, "groups");
	static const char *const kinds[] = {"by_direction", "by_country", "by_as"};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		tpl_flag(t, kinds[i], strcmp(kinds[i], key) == 0);
	tpl_set(t, "section", key);
	size_t nonzero = 0;
	for (size_t i = 0; i < kvs.n; i++)
		nonzero += kvs.v[i].n > 0;
	tpl_flag(t, "measured", measured);
	tpl_flag(t, "table", nonzero > 0);
	tpl_list(t, "rows");
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n && shown < RP_TOP; i++) {
		json_t *v = kvs.v[i].val;
		if (kvs.v[i].n == 0)
			continue;
		long long unknown = report_snap_count(v, "unknown");
		long long enc =
			report_snap_count(v, "starttls") + report_snap_count(v, "implicit_tls");
		struct tpl_scope *row = tpl_row(t, "rows");
		tpl_set(row, "group", kvs.v[i].key);
		report_page_num(row, "connections", kvs.v[i].n);
		rp_pct(row, "encrypted_pct", enc, kvs.v[i].n - unknown);
		report_page_num(row, "encrypted", enc);
		report_page_num(row, "plaintext", report_snap_count(v, "plaintext"));
		report_page_num(row, "refused_or_failed",
				report_snap_count(v, "starttls_refused") +
					report_snap_count(v, "starttls_failed"));
		report_page_num(row, "unknown", unknown);
		report_page_num(row, "anomalies", report_snap_count(v, "anomalies"));
		shown++;
	}
	rp_more(t, shown, nonzero);
	report_kvs_free(&kvs);
}

/* ---- the whole page ---------------------------------------------------------- */

/* The values of the page title: --title, or the capture's first and last
 * day. */
static void rp_title(struct tpl_scope *root, const struct report_page *p)
{
	const char *first = json_string_value(report_snap_get(p->snap, "span.first"));
	const char *last = json_string_value(report_snap_get(p->snap, "span.last"));
	int days = first && last && strlen(first) >= 10 && strlen(last) >= 10;
	int one_day = days && strncmp(first, last, 10) == 0;
	tpl_flag(root, "custom_title", p->title != NULL);
	tpl_set(root, "custom_title_text", p->title ? p->title : "");
	tpl_flag(root, "span_one_day", days && one_day);
	tpl_flag(root, "span_days", days && !one_day);
	tpl_setf(root, "first_day", "%.10s", days ? first : "");
	tpl_setf(root, "last_day", "%.10s", days ? last : "");
}

int report_page_write(const struct report_page *p, FILE *out, char *err, size_t errlen)
{
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *root = tpl_root(d);
	const char *base = strrchr(p->input, '/');
	tpl_flag(root, "page", 1);
	tpl_flag(root, "chart_text", 0);
	tpl_flag(root, "chart_labels", 0);
	tpl_set(root, "version", SMTPTLS_VERSION);
	tpl_set(root, "input_name", base ? base + 1 : p->input);
	rp_title(root, p);
	report_policy_page(root, p->snap);
	tpl_list(root, "summary");
	tpl_list(root, "capture");
	rp_summary(root, p->snap);
	rp_capture(root, p->snap);
	rp_charts(root, p);
	rp_servers_table(root, p->snap);
	rp_selfsigned_table(root, p->snap);
	rp_anomaly_table(root, p->snap);
	rp_cipher_table(root, p->snap);
	tpl_list(root, "groups");
	rp_group_table(root, p->snap, "by_direction");
	rp_group_table(root, p->snap, "by_country");
	rp_group_table(root, p->snap, "by_as");
	report_dns_page(root, p->snap);
	int rc =
		tpl_render((const char *)report_template, report_template_len, d, out, err, errlen);
	tpl_data_free(d);
	return rc;
}

int report_page_chart_text(struct tpl_data *d, char *buf, size_t len, char *err, size_t errlen)
{
	struct tpl_scope *root = tpl_root(d);
	tpl_flag(root, "page", 0);
	tpl_flag(root, "chart_text", 1);
	tpl_flag(root, "chart_labels", 0);
	char *text = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&text, &n);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = tpl_render_text((const char *)report_template, report_template_len, d, m, err,
				 errlen);
	if (fclose(m) != 0 && rc == 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0 && n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (rc == 0 && n >= len) {
		snprintf(err, errlen, "a chart text is longer than %zu bytes: %.60s...", len - 1,
			 text);
		rc = -1;
	}
	if (rc == 0)
		memcpy(buf, text, n + 1);
	free(text);
	return rc;
}

int report_page_labels(struct report_labels *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	struct tpl_data *d = tpl_data_new();
	struct tpl_scope *root = tpl_root(d);
	tpl_flag(root, "page", 0);
	tpl_flag(root, "chart_text", 0);
	tpl_flag(root, "chart_labels", 1);
	size_t n = 0;
	FILE *m = open_memstream(&l->text, &n);
	int rc = -1;
	if (!d || !m) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rc = tpl_render_text((const char *)report_template, report_template_len, d, m, err, errlen);
	if (fclose(m) != 0 && rc == 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	m = NULL;
	for (size_t i = 0; rc == 0 && i < n; i++)
		l->n += l->text[i] == '\n';
	l->key = calloc(l->n ? l->n : 1, sizeof(*l->key));
	l->label = calloc(l->n ? l->n : 1, sizeof(*l->label));
	if (rc == 0 && (!l->key || !l->label)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	/* "key = label" lines, split in place. */
	char *line = l->text;
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		char *end = strchr(line, '\n');
		char *eq = strstr(line, " = ");
		*end = '\0';
		if (!eq || eq > end) {
			snprintf(err, errlen, "template: chart label without \" = \": %.60s", line);
			rc = -1;
			break;
		}
		*eq = '\0';
		l->key[i] = line;
		l->label[i] = eq + 3;
		line = end + 1;
	}
fail:
	if (m)
		fclose(m);
	tpl_data_free(d);
	if (rc != 0)
		report_page_labels_free(l);
	return rc;
}

const char *report_page_label(const struct report_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->key[i], key) == 0)
			return l->label[i];
	return NULL;
}

void report_page_labels_free(struct report_labels *l)
{
	free(l->text);
	free(l->key);
	free(l->label);
	memset(l, 0, sizeof(*l));
}
