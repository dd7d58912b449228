/* report.c — `smtptls report`: the HTML report and the chart files (see
 * report.h). The page is one file: CSS and the SVG charts inline, no
 * scripts, nothing fetched, so it opens from disk in any browser. It
 * depends only on the snapshot: the same snapshot gives the same page. */
#include "plots/report.h"

#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "plots/plot.h"
#include "plots/report_charts.h"
#include "plots/report_snap.h"
#include "dissectors/base/out.h"

#define REPORT_FORMAT  "smtptls-stats"
#define REPORT_VERSION 2
/* Rows of the long tables (servers, countries, networks). */
#define REPORT_TOP 20
/* Time limit of one gnuplot run. */
#define REPORT_TIMEOUT_MS 30000u

struct report_opts {
	const char *input;
	const char *output; /* -o: the HTML page */
	const char *plots;  /* --plots: folder for the chart files */
	enum plot_format format;
	const char *gnuplot;
	const char *title;
	unsigned timeout_ms;
};

/* One run: the snapshot, the charts, where the page goes. */
struct report_ctx {
	const struct report_opts *o;
	json_t *snap;
	char tmp[4096]; /* working folder: scripts, data, SVGs */
	struct report_chart charts[REPORT_NCHARTS];
	struct plot_env env;
	int no_gnuplot; /* gnuplot could not be started */
	int failures;	/* charts that could not be drawn for another reason */
	char gnuplot_err[640];
	FILE *fp; /* the page being written */
};

static void report_usage(FILE *out)
{
	fprintf(out,
		"Usage: smtptls report STATS.json -o REPORT.html\n"
		"       smtptls report STATS.json --plots DIR [--format svg|png|pdf]\n"
		"\n"
		"Turns a statistics snapshot (smtptls analyze --stats FILE) into one\n"
		"self-contained HTML page: headline figures, capture health, charts and\n"
		"tables. With --plots, writes each chart as its own file instead (or too).\n"
		"Charts are drawn with gnuplot; without it the page has its tables only.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE     the HTML page to write (\"-\" for standard output)\n"
		"  -p, --plots DIR       write every chart into DIR (created if missing)\n"
		"  -f, --format FMT      chart file format with --plots: svg (default), png, pdf\n"
		"      --title TEXT      the page title (default: from the capture's span)\n"
		"      --gnuplot PROGRAM the gnuplot to run (default: gnuplot, from PATH)\n"
		"      --timeout SECONDS time limit per chart (default 30)\n"
		"  -h, --help            show this help\n"
		"\n"
		"See docs/report.md for what each part of the report shows.\n");
}

/* ---- small helpers ---------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
report_out(struct report_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(c->fp, fmt, ap);
	va_end(ap);
}

/* Text into HTML (element content and quoted attribute values alike). */
static void report_esc(struct report_ctx *c, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", c->fp); break;
		case '<': fputs("&lt;", c->fp); break;
		case '>': fputs("&gt;", c->fp); break;
		case '"': fputs("&quot;", c->fp); break;
		case '\'': fputs("&#39;", c->fp); break;
		default: fputc(*s, c->fp);
		}
	}
}

static void report_num(struct report_ctx *c, long long n)
{
	char b[32];
	report_snap_thousands(n, b, sizeof(b));
	fputs(b, c->fp);
}

static const char *report_s(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* A duration in words, coarse: it only has to give the scale. */
static void report_duration(long long us, char *buf, size_t len)
{
	long long s = us / 1000000;
	if (s < 120)
		snprintf(buf, len, "%lld second%s", s, s == 1 ? "" : "s");
	else if (s < 2 * 3600)
		snprintf(buf, len, "%lld minutes", s / 60);
	else if (s < 3 * 86400)
		snprintf(buf, len, "%lld hours", s / 3600);
	else if (s < 2 * 365 * 86400LL)
		snprintf(buf, len, "%lld days", s / 86400);
	else
		snprintf(buf, len, "%lld years", s / (365 * 86400LL + 21600));
}

/* "2026-11-22T09:42:23.685834Z" as "2026-11-22 09:42:23 UTC". */
static void report_when(const char *iso, char *buf, size_t len)
{
	if (!iso || strlen(iso) < 19) {
		snprintf(buf, len, "%s", iso ? iso : "?");
		return;
	}
	snprintf(buf, len, "%.10s %.8s UTC", iso, iso + 11);
}

/* ---- the working folder ---------------------------------------------- */

static int report_mktemp(struct report_ctx *c)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	int n = snprintf(c->tmp, sizeof(c->tmp), "%s/smtptls-report.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(c->tmp) || !mkdtemp(c->tmp)) {
		fprintf(stderr, "smtptls report: cannot create a working folder in %s: %s\n", base,
			strerror(errno));
		c->tmp[0] = '\0';
		return -1;
	}
	return 0;
}

/* The working folder is flat and only holds files this run wrote. */
static void report_rmtemp(struct report_ctx *c)
{
	if (!c->tmp[0])
		return;
	DIR *d = opendir(c->tmp);
	if (d) {
		struct dirent *e;
		char path[4400];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			int n = snprintf(path, sizeof(path), "%s/%s", c->tmp, e->d_name);
			if (n > 0 && (size_t)n < sizeof(path))
				unlink(path);
		}
		closedir(d);
	}
	rmdir(c->tmp);
	c->tmp[0] = '\0';
}

/* ---- drawing ----------------------------------------------------------- */

/* The charts over time and the anomaly list take the page's full width;
 * the others share a row with a neighbour. */
static int report_is_wide(const struct report_chart *ch)
{
	return strcmp(ch->name, "encryption_time") == 0 ||
	       strcmp(ch->name, "anomalies_time") == 0 || strcmp(ch->name, "anomaly_types") == 0;
}

/* Draws chart ch into outfile, or the placeholder when it has no data and
 * placeholder is set. Returns a plot_status; remembers a missing gnuplot so
 * that it is reported once and not tried again. */
static int report_draw(struct report_ctx *c, const struct report_chart *ch, const char *outfile,
		       enum plot_format fmt, int standalone)
{
	char data[4200], msg[400];
	if (c->no_gnuplot)
		return PLOT_NO_GNUPLOT;
	struct plot_job job = {0};
	job.format = fmt;
	job.outfile = outfile;
	job.title = standalone ? ch->title : "";
	job.note = standalone ? ch->note : "";
	job.xtitle = ch->xtitle[0] ? ch->xtitle : NULL;
	job.height = ch->height;
	/* In the page a half-width chart is drawn narrower, so that its text is
	 * not scaled down below the page's. */
	job.width = standalone ? 0 : report_is_wide(ch) ? 900 : 470;
	if (ch->state == REPORT_CHART_DATA) {
		job.script = ch->name;
		snprintf(data, sizeof(data), "%s/%s.tsv", c->tmp, ch->name);
	} else {
		job.script = "empty";
		snprintf(data, sizeof(data), "/dev/null");
		snprintf(msg, sizeof(msg), "%s", ch->empty);
		job.message = msg;
		job.note = "";
		job.height = 240;
	}
	job.datafile = data;
	char err[600];
	int rc = plot_run(&c->env, &job, err, sizeof(err));
	if (rc == PLOT_NO_GNUPLOT) {
		c->no_gnuplot = 1;
		snprintf(c->gnuplot_err, sizeof(c->gnuplot_err), "%s", err);
	} else if (rc != PLOT_OK) {
		fprintf(stderr, "smtptls report: chart %s: %s\n", ch->name, err);
		c->failures++;
	}
	return rc;
}

/* Copies gnuplot's SVG into the page: without the XML prologue, with the
 * chart's title as its accessible name, and with every id (and reference to
 * one) prefixed by the chart's name, since several charts share one page. */
static int report_inline_svg(struct report_ctx *c, const struct report_chart *ch, const char *path)
{
	FILE *in = fopen(path, "rb");
	if (!in)
		return -1;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	char chunk[8192];
	size_t r;
	while ((r = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		if (len + r + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			while (ncap < len + r + 1)
				ncap *= 2;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				fclose(in);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + len, chunk, r);
		len += r;
	}
	fclose(in);
	if (!buf)
		return -1;
	buf[len] = '\0';
	char *p = strstr(buf, "<svg");
	if (!p) {
		free(buf);
		return -1;
	}
	report_out(c, "<svg class=\"chart\" role=\"img\" aria-label=\"");
	report_esc(c, ch->title);
	report_out(c, "\"");
	p += 4;
	int in_tag = 1;
	while (*p) {
		if (!in_tag && strncmp(p, "<title>Gnuplot</title>", 22) == 0) {
			report_out(c, "<title>");
			report_esc(c, ch->title);
			report_out(c, "</title>");
			p += 22;
			continue;
		}
		/* gnuplot names each plot ("gnuplot_plot_1"): a tooltip of no use. */
		if (!in_tag && strncmp(p, "<title>gnuplot_plot_", 20) == 0) {
			char *end = strstr(p, "</title>");
			if (end) {
				p = end + 8;
				continue;
			}
		}
		if (in_tag && (strncmp(p, " id='", 5) == 0 || strncmp(p, " id=\"", 5) == 0 ||
			       strncmp(p, "\tid='", 5) == 0 || strncmp(p, "\tid=\"", 5) == 0 ||
			       strncmp(p, "\nid='", 5) == 0 || strncmp(p, "\nid=\"", 5) == 0)) {
			fwrite(p, 1, 5, c->fp);
			report_out(c, "%s-", ch->name);
			p += 5;
			continue;
		}
		if (in_tag && (strncmp(p, "href='#", 7) == 0 || strncmp(p, "href=\"#", 7) == 0)) {
			fwrite(p, 1, 7, c->fp);
			report_out(c, "%s-", ch->name);
			p += 7;
			continue;
		}
		if (in_tag && strncmp(p, "url(#", 5) == 0) {
			report_out(c, "url(#%s-", ch->name);
			p += 5;
			continue;
		}
		if (*p == '<')
			in_tag = 1;
		else if (*p == '>')
			in_tag = 0;
		fputc(*p, c->fp);
		p++;
	}
	free(buf);
	return 0;
}

/* ---- the page: head ---------------------------------------------------- */

static const char report_css[] =
	":root{--ink:#222;--muted:#5a5a5a;--line:#e3e3e3;--bg:#f5f5f2;--card:#fff;"
	"--good:#009E73;--bad:#D55E00;--warn:#E69F00;--blue:#0072B2}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--ink);"
	"font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
	"sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}\n"
	"header h1{font-size:1.7rem;margin:0 0 2px}\n"
	"header .sub{color:var(--muted);margin:0}\n"
	"nav{margin:10px 0 18px;font-size:.9rem}\n"
	"nav a{color:var(--blue);margin-right:14px;text-decoration:none}\n"
	"section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
	"padding:20px 24px;margin:0 0 20px}\n"
	"h2{font-size:1.25rem;margin:0 0 12px}\n"
	"h3{font-size:1.05rem;margin:0 0 6px}\n"
	".lead{font-size:1.35rem;line-height:1.4;margin:0 0 8px}\n"
	".lead strong{color:var(--blue)}\n"
	".more{margin:0 0 16px;color:#333}\n"
	".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:0 0 6px}\n"
	"@media (max-width:800px){.tiles{grid-template-columns:repeat(2,1fr)}}\n"
	".tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px;"
	"background:#fcfcfb}\n"
	".tile .k{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;"
	"color:var(--muted)}\n"
	".tile .v{font-size:1.9rem;font-weight:650;line-height:1.2}\n"
	".tile .d{font-size:.82rem;color:var(--muted)}\n"
	".tile.na .v{font-size:1.05rem;font-weight:500;color:var(--muted);padding:8px 0 6px}\n"
	".bar{height:6px;background:#ececec;border-radius:3px;margin:6px 0 4px;overflow:hidden}\n"
	".bar span{display:block;height:100%}\n"
	".bar .good{background:var(--good)}.bar .bad{background:var(--bad)}\n"
	".facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}\n"
	".facts dt{color:var(--muted)}.facts dd{margin:0}\n"
	".ok{color:#006b4f;font-weight:600}.warn{color:#a04000;font-weight:600}\n"
	"ul.warnings{margin:6px 0 0;padding-left:20px}\n"
	".charts{display:grid;grid-template-columns:1fr 1fr;gap:18px}\n"
	"@media (max-width:900px){.charts{grid-template-columns:1fr}}\n"
	"figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:12px 14px;"
	"break-inside:avoid}\n"
	"figure.wide{grid-column:1/-1}\n"
	"svg.chart{display:block;width:100%;height:auto}\n"
	"figcaption{font-size:.85rem;color:#444;margin-top:6px}\n"
	"figcaption .n{display:block;font-weight:600;color:var(--ink);margin-bottom:2px}\n"
	".empty{border:1px dashed #bbb;border-radius:6px;padding:26px 14px;text-align:center;"
	"color:var(--muted);background:#fafafa;margin:6px 0}\n"
	".notice{border-left:4px solid var(--warn);background:#fff8e6;padding:8px 12px;"
	"margin:0 0 14px}\n"
	"table{border-collapse:collapse;width:100%;font-size:.9rem;margin:4px 0 18px}\n"
	"caption{text-align:left;font-weight:600;font-size:1rem;padding:0 0 4px}\n"
	"caption small{display:block;font-weight:400;color:var(--muted);font-size:.85rem}\n"
	"th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;"
	"vertical-align:top}\n"
	"th{background:#f3f3f0;font-weight:600}\n"
	"td.r,th.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}\n"
	".sev{display:inline-block;padding:0 6px;border-radius:4px;font-size:.78rem;"
	"font-weight:600;color:#fff}\n"
	".sev.high{background:#D55E00}.sev.medium{background:#b07800}"
	".sev.low{background:#0072B2}.sev.info{background:#777}\n"
	".na-line{color:var(--muted);font-style:italic}\n"
	"footer{color:var(--muted);font-size:.8rem;text-align:center;margin-top:8px}\n"
	"@media print{body{background:#fff}section{border:none;padding:0}}\n";

static void report_head(struct report_ctx *c, const char *title)
{
	report_out(c,
		   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<meta name=\"generator\" content=\"smtptls %s\">\n<title>",
		   SMTPTLS_VERSION);
	report_esc(c, title);
	report_out(c, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", report_css);
}

/* ---- the page: summary ------------------------------------------------- */

/* A ratio for the tiles and the sentence. */
struct report_fig {
	long long num, den;
	int present;
};

static struct report_fig report_fig_ratio(json_t *snap, const char *name, const char *num,
					  const char *den)
{
	struct report_ratio r = report_snap_ratio(snap, name, num, den);
	struct report_fig f = {r.num, r.den, r.present};
	return f;
}

/* The certificate ratios: ratios.<name> when the snapshot has it, else the
 * counter over the connections with a certificate (docs/metrics.md). */
static struct report_fig report_cert_fig(json_t *snap, const char *ratio, const char *a,
					 const char *b)
{
	struct report_fig f = {0, 0, 0};
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

/* good: 1 when a high share is good news, 0 when it is bad news. */
static void report_tile(struct report_ctx *c, const char *label, struct report_fig f,
			const char *of, int good, const char *na)
{
	if (!f.present || f.den <= 0) {
		report_out(c, "<div class=\"tile na\"><div class=\"k\">");
		report_esc(c, label);
		report_out(c, "</div><div class=\"v\">%s</div><div class=\"d\">",
			   f.present ? "none to measure" : "not measured");
		report_esc(c, na);
		report_out(c, "</div></div>\n");
		return;
	}
	char pct[16];
	report_snap_pct(f.num, f.den, pct, sizeof(pct));
	long long w = (200 * f.num + f.den) / (2 * f.den);
	if (w > 100)
		w = 100;
	report_out(c, "<div class=\"tile\"><div class=\"k\">");
	report_esc(c, label);
	report_out(c,
		   "</div><div class=\"v\">%s</div><div class=\"bar\"><span class=\"%s\" "
		   "style=\"width:%lld%%\"></span></div><div class=\"d\">",
		   pct, good ? "good" : "bad", w);
	report_num(c, f.num);
	report_out(c, " of ");
	report_num(c, f.den);
	report_out(c, " ");
	report_esc(c, of);
	report_out(c, "</div></div>\n");
}

static long long report_anomaly_total(json_t *snap, long long *high, size_t *types)
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

static void report_summary(struct report_ctx *c)
{
	json_t *s = c->snap;
	long long total = report_snap_count(s, "connections.total");
	struct report_fig enc = report_fig_ratio(s, "encrypted_connections", NULL, NULL);
	struct report_fig t13 = report_fig_ratio(s, "tls13", NULL, NULL);
	struct report_fig strong = report_fig_ratio(s, "strong_or_modern_cipher", NULL, NULL);
	struct report_fig never = report_fig_ratio(s, "servers_never_encrypting", NULL, NULL);
	struct report_fig offered = report_fig_ratio(s, "starttls_offered", "smtp.starttls_offered",
						     "smtp.connections");
	struct report_fig selfsig = report_cert_fig(s, "self_signed", "self_signed", NULL);
	struct report_fig valid = report_cert_fig(s, "chain_valid", "chain_valid", "valid");
	long long neg = report_snap_count(s, "tls.negotiated");
	long long high = 0;
	size_t types = 0;
	long long anomalies = report_anomaly_total(s, &high, &types);
	char pct[16];

	report_out(c, "<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"lead\">");
	if (total == 0) {
		report_out(c, "This snapshot holds no SMTP connections: there is no mail traffic "
			      "to report on.</p>\n");
	} else if (!enc.present || enc.den == 0) {
		report_out(c, "None of the ");
		report_num(c, total);
		report_out(c, " SMTP %s has a known encryption outcome.</p>\n",
			   report_s(total, "connection", "connections"));
	} else {
		report_snap_pct(enc.num, enc.den, pct, sizeof(pct));
		if (enc.num == 0) {
			report_out(c, "<strong>None</strong> of the ");
			report_num(c, enc.den);
			report_out(c, " SMTP %s was encrypted",
				   report_s(enc.den, "connection", "connections"));
		} else {
			report_out(c, "<strong>%s</strong> of ", pct);
			report_num(c, enc.den);
			report_out(c, " SMTP %s %s encrypted (",
				   report_s(enc.den, "connection", "connections"),
				   report_s(enc.den, "was", "were"));
			report_num(c, enc.num);
			report_out(c, ")");
		}
		if (neg > 0 && t13.present) {
			report_out(c, "; ");
			report_num(c, t13.num);
			report_out(c, " of ");
			report_num(c, neg);
			report_out(c, " TLS %s used TLS 1.3",
				   report_s(neg, "connection", "connections"));
			if (strong.present) {
				report_out(c, " and ");
				report_num(c, strong.num);
				report_out(c, " a strong or modern cipher suite");
			}
		}
		report_out(c, ".</p>\n");
	}

	report_out(c, "<p class=\"more\">");
	if (total > 0 && enc.present && enc.den < total) {
		report_num(c, total - enc.den);
		report_out(c,
			   " %s with an unknown outcome (the capture missed the start) %s left "
			   "out of the shares. ",
			   report_s(total - enc.den, "connection", "connections"),
			   report_s(total - enc.den, "is", "are"));
	}
	if (offered.present && offered.den > 0) {
		report_out(c, "Servers offered STARTTLS in ");
		report_num(c, offered.num);
		report_out(c, " of ");
		report_num(c, offered.den);
		report_out(c, " SMTP dialogues. ");
	}
	if (never.present && never.den > 0) {
		report_num(c, never.num);
		report_out(c, " of ");
		report_num(c, never.den);
		report_out(c, " mail servers never encrypted a connection. ");
	}
	if (selfsig.present && selfsig.den > 0) {
		report_num(c, selfsig.num);
		report_out(c, " of ");
		report_num(c, selfsig.den);
		report_out(c, " TLS connections with a known certificate got a self-signed one. ");
	}
	if (total > 0) {
		if (anomalies > 0) {
			report_num(c, anomalies);
			report_out(c, " %s of %zu %s %s found, ",
				   report_s(anomalies, "anomaly", "anomalies"), types,
				   report_s((long long)types, "type", "types"),
				   report_s(anomalies, "was", "were"));
			report_num(c, high);
			report_out(c, " of them high severity.");
		} else {
			report_out(c, "No anomalies were found.");
		}
	}
	report_out(c, "</p>\n<div class=\"tiles\">\n");
	report_tile(c, "Encrypted connections", enc, "connections with a known outcome", 1,
		    "no connections");
	report_tile(c, "TLS 1.3", t13, "TLS connections", 1, "no TLS connections");
	report_tile(c, "Strong or modern cipher", strong, "TLS connections", 1,
		    "no TLS connections");
	report_tile(c, "STARTTLS offered", offered, "SMTP dialogues", 1, "no SMTP dialogue seen");
	report_tile(c, "Self-signed certificate", selfsig, "connections with a certificate", 0,
		    json_is_object(json_object_get(s, "cert"))
			    ? "no certificate seen"
			    : "no certificate data in the snapshot");
	report_tile(c, "Valid certificate chain", valid, "connections with a certificate", 1,
		    json_is_object(json_object_get(s, "cert"))
			    ? "no certificate seen"
			    : "no certificate data in the snapshot");
	report_tile(c, "Servers never encrypting", never, "servers", 0, "no servers");
	/* Anomalies are a count, not a share. */
	report_out(c, "<div class=\"tile%s\"><div class=\"k\">Anomalies</div>",
		   json_is_object(json_object_get(s, "anomalies")) ? "" : " na");
	if (!json_is_object(json_object_get(s, "anomalies"))) {
		report_out(c, "<div class=\"v\">not measured</div><div class=\"d\">no anomaly "
			      "section</div></div>\n");
	} else {
		report_out(c, "<div class=\"v\">");
		report_num(c, anomalies);
		report_out(c,
			   "</div><div class=\"bar\"><span class=\"bad\" style=\"width:%lld%%\">"
			   "</span></div><div class=\"d\">",
			   anomalies > 0 ? (200 * high + anomalies) / (2 * anomalies) : 0LL);
		report_num(c, high);
		report_out(c, " high severity; %zu %s</div></div>\n", types,
			   report_s((long long)types, "type", "types"));
	}
	report_out(c, "</div>\n</section>\n");
}

/* ---- the page: capture and its health ----------------------------------- */

static long long report_sum_object(json_t *o)
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

static void report_warning(struct report_ctx *c, int *nw, long long n, const char *what)
{
	if (n <= 0)
		return;
	if (*nw == 0)
		report_out(c, "<ul class=\"warnings\">\n");
	(*nw)++;
	report_out(c, "<li>");
	report_num(c, n);
	report_out(c, " ");
	report_esc(c, what);
	report_out(c, "</li>\n");
}

static void report_capture(struct report_ctx *c)
{
	json_t *s = c->snap;
	const char *first = json_string_value(report_snap_get(s, "span.first"));
	const char *last = json_string_value(report_snap_get(s, "span.last"));
	long long fus = report_snap_int(s, "span.first_us"),
		  lus = report_snap_int(s, "span.last_us");
	char a[64], b[64], d[64];

	report_out(c, "<section id=\"capture\">\n<h2>The capture</h2>\n<dl class=\"facts\">\n");
	report_out(c, "<dt>Span</dt><dd>");
	if (first && last) {
		report_when(first, a, sizeof(a));
		report_when(last, b, sizeof(b));
		report_esc(c, a);
		report_out(c, " to ");
		report_esc(c, b);
		if (fus >= 0 && lus >= fus) {
			report_duration(lus - fus, d, sizeof(d));
			report_out(c, " (%s)", d);
		}
	} else {
		report_out(c, "no packets");
	}
	report_out(c, "</dd>\n<dt>Input</dt><dd>");
	long long files = report_snap_count(s, "health.files");
	report_num(c, files);
	report_out(c, " capture %s, ", report_s(files, "file", "files"));
	report_num(c, report_snap_count(s, "health.packets"));
	report_out(c, " packets, ");
	report_num(c, report_snap_count(s, "health.wire_bytes"));
	report_out(c, " bytes on the wire; ");
	report_num(c, report_snap_count(s, "health.mail_packets"));
	report_out(c, " TCP segments on a mail port</dd>\n<dt>Connections</dt><dd>");
	report_num(c, report_snap_count(s, "connections.total"));
	report_out(c, " (");
	report_num(c, report_snap_count(s, "connections.complete"));
	report_out(c, " complete, ");
	report_num(c, report_snap_count(s, "connections.midstream"));
	report_out(c, " joined midstream, ");
	report_num(c, report_snap_count(s, "connections.with_gaps"));
	report_out(c, " with bytes lost by the capture)</dd>\n");

	json_t *dir = json_object_get(s, "by_direction");
	if (json_is_object(dir)) {
		struct report_kvs kvs;
		if (report_snap_dist(dir, "connections", &kvs) == 0 && kvs.n) {
			report_out(c, "<dt>Directions</dt><dd>");
			for (size_t i = 0; i < kvs.n; i++) {
				report_out(c, "%s", i ? ", " : "");
				report_num(c, kvs.v[i].n);
				report_out(c, " ");
				report_esc(c, kvs.v[i].key);
			}
			report_out(c, "</dd>\n");
		}
		report_kvs_free(&kvs);
	}

	report_out(c, "<dt>Health</dt><dd>");
	int nw = 0;
	report_warning(c, &nw, report_snap_count(s, "health.files_failed"),
		       "input file(s) could not be read to the end");
	report_warning(c, &nw, report_snap_count(s, "health.timestamps_backwards"),
		       "packets older than one already read (clock going backwards)");
	report_warning(c, &nw, report_sum_object(report_snap_get(s, "health.malformed")),
		       "malformed or truncated packets");
	report_warning(c, &nw, report_snap_count(s, "health.flows_evicted"),
		       "connections cut short because the flow table was full (--max-flows)");
	report_warning(c, &nw, report_snap_count(s, "health.flow_alloc_failed"),
		       "packets dropped for lack of memory");
	report_warning(c, &nw, report_snap_count(s, "health.reassembly.refused_bytes"),
		       "bytes not reassembled because a buffer limit was reached");
	report_warning(c, &nw, report_snap_count(s, "connections.gap_bytes"),
		       "bytes missing from connections (capture loss)");
	int truncated = json_is_true(report_snap_get(s, "notes.servers_truncated")) ||
			report_snap_dist_truncated(json_object_get(s, "servers")) ||
			report_snap_dist_truncated(json_object_get(s, "time"));
	report_warning(c, &nw, truncated,
		       "distribution(s) reached their key limit: totals are exact, "
		       "the per-key split is partial");
	if (nw == 0 && report_snap_count(s, "health.packets") == 0) {
		report_out(c, "nothing to check: no packets were read.");
	} else if (nw) {
		report_out(c, "</ul>\n");
		report_out(c,
			   "<span class=\"warn\">%d %s</span> about the capture: figures may "
			   "undercount what was on the wire.",
			   nw, nw == 1 ? "warning" : "warnings");
	} else {
		report_out(c, "<span class=\"ok\">no problems</span>: every packet was read and "
			      "every connection reassembled.");
	}
	report_out(c, "</dd>\n</dl>\n</section>\n");
}

/* ---- the page: charts ---------------------------------------------------- */

static void report_charts_section(struct report_ctx *c)
{
	report_out(c, "<section id=\"charts\">\n<h2>Charts</h2>\n");
	int any_data = 0;
	for (size_t i = 0; i < REPORT_NCHARTS; i++)
		any_data |= c->charts[i].state == REPORT_CHART_DATA;
	/* Draw first: a missing gnuplot is announced above the charts. */
	char svg[REPORT_NCHARTS][4200];
	int drawn[REPORT_NCHARTS] = {0};
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		const struct report_chart *ch = &c->charts[i];
		if (ch->state != REPORT_CHART_DATA)
			continue;
		snprintf(svg[i], sizeof(svg[i]), "%s/%s.svg", c->tmp, ch->name);
		drawn[i] = report_draw(c, ch, svg[i], PLOT_SVG, 0) == PLOT_OK;
	}
	if (c->no_gnuplot && any_data)
		report_out(c,
			   "<p class=\"notice\">The charts could not be drawn: gnuplot is not "
			   "available (Debian package <code>gnuplot-nox</code>). The tables below "
			   "hold the same figures.</p>\n");
	report_out(c, "<div class=\"charts\">\n");
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		const struct report_chart *ch = &c->charts[i];
		int wide = report_is_wide(ch);
		report_out(c,
			   "<figure id=\"chart-%s\" class=\"%s\" data-chart=\"%s\" "
			   "data-state=\"%s\">\n<h3>",
			   ch->name, wide ? "wide" : "narrow", ch->name,
			   ch->state == REPORT_CHART_DATA    ? (drawn[i] ? "drawn" : "failed")
			   : ch->state == REPORT_CHART_EMPTY ? "empty"
							     : "absent");
		report_esc(c, ch->title);
		report_out(c, "</h3>\n");
		if (ch->state != REPORT_CHART_DATA) {
			report_out(c, "<div class=\"empty\">");
			report_esc(c, ch->empty);
			report_out(c, "</div>\n");
		} else if (!drawn[i] || report_inline_svg(c, ch, svg[i]) != 0) {
			report_out(c, "<div class=\"empty\">Chart not drawn: %s.</div>\n",
				   c->no_gnuplot
					   ? "gnuplot is not available"
					   : "gnuplot failed (see the message on standard error)");
		}
		if (ch->state == REPORT_CHART_DATA) {
			report_out(c, "\n<figcaption><span class=\"n\">");
			report_esc(c, ch->note);
			report_out(c, "</span>");
			report_esc(c, ch->caption);
			report_out(c, "</figcaption>\n");
		}
		report_out(c, "</figure>\n");
	}
	report_out(c, "</div>\n</section>\n");
}

/* ---- the page: tables ---------------------------------------------------- */

static void report_na(struct report_ctx *c, const char *title, const char *why)
{
	report_out(c, "<h3>");
	report_esc(c, title);
	report_out(c, "</h3>\n<p class=\"na-line\">");
	report_esc(c, why);
	report_out(c, "</p>\n");
}

static void report_more_row(struct report_ctx *c, size_t shown, size_t all, int cols)
{
	if (all <= shown)
		return;
	report_out(c, "<tr><td colspan=\"%d\" class=\"na-line\">and %zu more</td></tr>\n", cols,
		   all - shown);
}

static void report_servers_table(struct report_ctx *c)
{
	json_t *servers = json_object_get(c->snap, "servers");
	const char *title = "Servers that never encrypt";
	if (!json_is_object(servers)) {
		report_na(c, title, "Not measured: the snapshot has no servers section.");
		return;
	}
	struct report_kvs kvs;
	if (report_snap_dist(servers, "connections", &kvs) != 0)
		return;
	size_t matches = 0;
	for (size_t i = 0; i < kvs.n; i++) {
		json_t *v = kvs.v[i].val;
		if (report_snap_count(v, "plaintext") > 0 &&
		    report_snap_count(v, "starttls") == 0 &&
		    report_snap_count(v, "implicit_tls") == 0)
			matches++;
	}
	struct report_fig never = report_fig_ratio(c->snap, "servers_never_encrypting", NULL, NULL);
	if (matches == 0) {
		report_na(c, title,
			  kvs.n ? "Every server that was seen encrypted at least once."
				: "No servers were seen.");
		report_kvs_free(&kvs);
		return;
	}
	report_out(c, "<table id=\"servers-never\">\n<caption>%s<small>", title);
	if (never.present && never.den > 0) {
		report_num(c, never.num);
		report_out(c, " of ");
		report_num(c, never.den);
		report_out(c, " servers had plain-text connections and never an encrypted one");
	} else {
		report_out(c, "Servers with plain-text connections and never an encrypted one");
	}
	report_out(c, "; the largest by connections. \"STARTTLS offered\" counts connections where "
		      "the server offered it and the client did not use it.</small></caption>\n"
		      "<thead><tr><th>Server</th><th class=\"r\">Connections</th>"
		      "<th class=\"r\">Plain text</th><th class=\"r\">STARTTLS offered</th>"
		      "<th class=\"r\">TLS refused or failed</th>"
		      "<th class=\"r\">Plain-text messages</th></tr></thead>\n<tbody>\n");
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n && shown < REPORT_TOP; i++) {
		json_t *v = kvs.v[i].val;
		if (!(report_snap_count(v, "plaintext") > 0 &&
		      report_snap_count(v, "starttls") == 0 &&
		      report_snap_count(v, "implicit_tls") == 0))
			continue;
		report_out(c, "<tr><td class=\"mono\">");
		report_esc(c, kvs.v[i].key);
		report_out(c, "</td><td class=\"r\">");
		report_num(c, kvs.v[i].n);
		report_out(c, "</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "plaintext"));
		report_out(c, "</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "starttls_offered"));
		report_out(c, "</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "starttls_refused") +
				      report_snap_count(v, "starttls_failed"));
		report_out(c, "</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "plaintext_messages"));
		report_out(c, "</td></tr>\n");
		shown++;
	}
	report_more_row(c, shown, matches, 6);
	report_out(c, "</tbody>\n</table>\n");
	report_kvs_free(&kvs);
}

static void report_selfsigned_table(struct report_ctx *c)
{
	const char *title = "Servers with self-signed certificates";
	if (!json_is_object(json_object_get(c->snap, "cert"))) {
		report_na(c, title, "Not measured: the snapshot has no certificate data.");
		return;
	}
	json_t *servers = json_object_get(c->snap, "servers");
	struct report_kvs kvs;
	if (report_snap_dist(servers, "self_signed", &kvs) != 0)
		return;
	size_t matches = 0;
	for (size_t i = 0; i < kvs.n; i++)
		matches += kvs.v[i].n > 0;
	if (kvs.n == 0) {
		report_na(c, title, "The snapshot does not break certificates down per server.");
	} else if (matches == 0) {
		report_na(c, title, "No server presented a self-signed certificate.");
	} else {
		report_out(c,
			   "<table id=\"servers-self-signed\">\n<caption>%s<small>Servers by "
			   "connections with a self-signed certificate.</small></caption>\n"
			   "<thead><tr><th>Server</th><th class=\"r\">Self-signed</th>"
			   "<th class=\"r\">Connections</th></tr></thead>\n<tbody>\n",
			   title);
		size_t shown = 0;
		for (size_t i = 0; i < kvs.n && shown < REPORT_TOP && kvs.v[i].n > 0;
		     i++, shown++) {
			report_out(c, "<tr><td class=\"mono\">");
			report_esc(c, kvs.v[i].key);
			report_out(c, "</td><td class=\"r\">");
			report_num(c, kvs.v[i].n);
			report_out(c, "</td><td class=\"r\">");
			report_num(c, report_snap_count(kvs.v[i].val, "connections"));
			report_out(c, "</td></tr>\n");
		}
		report_more_row(c, shown, matches, 3);
		report_out(c, "</tbody>\n</table>\n");
	}
	report_kvs_free(&kvs);
}

static void report_anomaly_table(struct report_ctx *c)
{
	const char *title = "Anomalies by type";
	json_t *per = json_object_get(c->snap, "anomalies");
	json_t *cross = json_object_get(c->snap, "anomalies_cross");
	if (!json_is_object(per) && !json_is_object(cross)) {
		report_na(c, title, "Not measured: the snapshot has no anomalies section.");
		return;
	}
	struct report_kvs a, b;
	if (report_snap_dist(per, NULL, &a) != 0)
		return;
	if (report_snap_dist(cross, NULL, &b) != 0) {
		report_kvs_free(&a);
		return;
	}
	size_t nonzero = 0;
	for (size_t i = 0; i < a.n; i++)
		nonzero += a.v[i].n > 0;
	for (size_t i = 0; i < b.n; i++)
		nonzero += b.v[i].n > 0;
	if (nonzero == 0) {
		report_na(c, title, "No anomalies were found.");
	} else {
		report_out(c,
			   "<table id=\"anomalies\">\n<caption>%s<small>Connections with each "
			   "anomaly; the catalogue with what to do about each is "
			   "docs/anomalies.md.</small></caption>\n<thead><tr><th>Anomaly</th>"
			   "<th>Severity</th><th class=\"r\">Connections</th><th>What it means"
			   "</th><th>Found by</th></tr></thead>\n<tbody>\n",
			   title);
		size_t ia = 0, ib = 0;
		while (ia < a.n || ib < b.n) {
			int from_a = ib >= b.n || (ia < a.n && a.v[ia].n >= b.v[ib].n);
			const struct report_kv *kv = from_a ? &a.v[ia++] : &b.v[ib++];
			if (kv->n == 0)
				continue;
			struct report_anomaly_info info = report_charts_anomaly(kv->key);
			report_out(c, "<tr><td class=\"mono\">");
			report_esc(c, kv->key);
			report_out(c, "</td><td>");
			if (info.severity[0]) {
				report_out(c, "<span class=\"sev %s\">%s</span>", info.severity,
					   info.severity);
			}
			report_out(c, "</td><td class=\"r\">");
			report_num(c, kv->n);
			report_out(c, "</td><td>");
			report_esc(c, info.what);
			report_out(c, "</td><td>%s</td></tr>\n", from_a ? "connection" : "history");
		}
		long long other =
			report_snap_count(per, "other") + report_snap_count(cross, "other");
		if (other > 0) {
			report_out(c, "<tr><td>other types</td><td></td><td class=\"r\">");
			report_num(c, other);
			report_out(c, "</td><td>types beyond the snapshot's key limit</td><td></td>"
				      "</tr>\n");
		}
		report_out(c, "</tbody>\n</table>\n");
	}
	report_kvs_free(&a);
	report_kvs_free(&b);
}

/* The tables of the keyed sections (by_direction, by_country, by_as). */
static void report_group_table(struct report_ctx *c, const char *key, const char *title,
			       const char *col, const char *na)
{
	json_t *sec = json_object_get(c->snap, key);
	if (!json_is_object(sec) || (report_snap_count(sec, "other.connections") == 0 &&
				     json_object_size(json_object_get(sec, "keys")) == 0 &&
				     report_snap_count(c->snap, "connections.total") > 0)) {
		report_na(c, title, na);
		return;
	}
	struct report_kvs kvs;
	if (report_snap_dist(sec, "connections", &kvs) != 0)
		return;
	size_t nonzero = 0;
	for (size_t i = 0; i < kvs.n; i++)
		nonzero += kvs.v[i].n > 0;
	if (nonzero == 0) {
		report_na(c, title, "No connections.");
		report_kvs_free(&kvs);
		return;
	}
	report_out(c, "<table id=\"%s\">\n<caption>", key);
	report_esc(c, title);
	report_out(c, "<small>Encrypted = STARTTLS or implicit TLS, as a share of the connections "
		      "whose outcome is known.</small></caption>\n<thead><tr><th>");
	report_esc(c, col);
	report_out(c, "</th><th class=\"r\">Connections</th><th class=\"r\">Encrypted</th>"
		      "<th class=\"r\">Plain text</th><th class=\"r\">TLS refused or failed</th>"
		      "<th class=\"r\">Unknown</th><th class=\"r\">Anomalies</th></tr></thead>\n"
		      "<tbody>\n");
	size_t shown = 0;
	for (size_t i = 0; i < kvs.n && shown < REPORT_TOP; i++) {
		json_t *v = kvs.v[i].val;
		if (kvs.v[i].n == 0)
			continue;
		long long unknown = report_snap_count(v, "unknown");
		long long enc =
			report_snap_count(v, "starttls") + report_snap_count(v, "implicit_tls");
		char pct[16];
		report_snap_pct(enc, kvs.v[i].n - unknown, pct, sizeof(pct));
		report_out(c, "<tr><td>");
		report_esc(c, kvs.v[i].key);
		report_out(c, "</td><td class=\"r\">");
		report_num(c, kvs.v[i].n);
		report_out(c, "</td><td class=\"r\">%s (", pct);
		report_num(c, enc);
		report_out(c, ")</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "plaintext"));
		report_out(c, "</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "starttls_refused") +
				      report_snap_count(v, "starttls_failed"));
		report_out(c, "</td><td class=\"r\">");
		report_num(c, unknown);
		report_out(c, "</td><td class=\"r\">");
		report_num(c, report_snap_count(v, "anomalies"));
		report_out(c, "</td></tr>\n");
		shown++;
	}
	report_more_row(c, shown, nonzero, 7);
	report_out(c, "</tbody>\n</table>\n");
	report_kvs_free(&kvs);
}

static void report_cipher_table(struct report_ctx *c)
{
	json_t *d = report_snap_get(c->snap, "tls.ciphers");
	long long neg = report_snap_count(c->snap, "tls.negotiated");
	struct report_kvs kvs;
	if (!json_is_object(d) || neg == 0 || report_snap_dist(d, NULL, &kvs) != 0)
		return;
	if (kvs.n) {
		report_out(c, "<table id=\"ciphers\">\n<caption>Cipher suites<small>The negotiated "
			      "suites, of ");
		report_num(c, neg);
		report_out(c,
			   " TLS %s with a ServerHello.</small></caption>\n<thead><tr>"
			   "<th>Suite</th><th class=\"r\">Connections</th><th class=\"r\">Share"
			   "</th></tr></thead>\n<tbody>\n",
			   report_s(neg, "connection", "connections"));
		size_t shown = 0;
		for (size_t i = 0; i < kvs.n && shown < REPORT_TOP; i++, shown++) {
			char pct[16];
			report_snap_pct(kvs.v[i].n, neg, pct, sizeof(pct));
			report_out(c, "<tr><td class=\"mono\">");
			report_esc(c, kvs.v[i].key);
			report_out(c, "</td><td class=\"r\">");
			report_num(c, kvs.v[i].n);
			report_out(c, "</td><td class=\"r\">%s</td></tr>\n", pct);
		}
		report_more_row(c, shown, kvs.n, 3);
		report_out(c, "</tbody>\n</table>\n");
	}
	report_kvs_free(&kvs);
}

static void report_tables(struct report_ctx *c)
{
	report_out(c, "<section id=\"tables\">\n<h2>Tables</h2>\n");
	report_servers_table(c);
	report_selfsigned_table(c);
	report_anomaly_table(c);
	report_cipher_table(c);
	report_group_table(c, "by_direction", "By direction", "Direction",
			   "Not measured: the snapshot has no by_direction section.");
	report_group_table(c, "by_country", "By country", "Country (remote peer)",
			   "Not measured: run smtptls analyze with --geoip to add countries.");
	report_group_table(c, "by_as", "By network (AS)", "Autonomous system (remote peer)",
			   "Not measured: run smtptls analyze with --asn to add networks.");
	report_out(c, "</section>\n");
}

/* ---- the whole page ------------------------------------------------------ */

static void report_page_title(struct report_ctx *c, char *buf, size_t len)
{
	if (c->o->title) {
		snprintf(buf, len, "%s", c->o->title);
		return;
	}
	const char *first = json_string_value(report_snap_get(c->snap, "span.first"));
	const char *last = json_string_value(report_snap_get(c->snap, "span.last"));
	if (first && last && strlen(first) >= 10 && strlen(last) >= 10) {
		if (strncmp(first, last, 10) == 0)
			snprintf(buf, len, "SMTP encryption report, %.10s", first);
		else
			snprintf(buf, len, "SMTP encryption report, %.10s to %.10s", first, last);
	} else {
		snprintf(buf, len, "SMTP encryption report");
	}
}

static void report_page(struct report_ctx *c)
{
	char title[512];
	report_page_title(c, title, sizeof(title));
	report_head(c, title);
	report_out(c, "<header>\n<h1>");
	report_esc(c, title);
	report_out(c, "</h1>\n<p class=\"sub\">How the mail (SMTP) connections of a packet capture "
		      "were protected: STARTTLS, implicit TLS, or none.</p>\n</header>\n"
		      "<nav><a href=\"#summary\">Summary</a><a href=\"#capture\">The capture</a>"
		      "<a href=\"#charts\">Charts</a><a href=\"#tables\">Tables</a></nav>\n");
	report_summary(c);
	report_capture(c);
	report_charts_section(c);
	report_tables(c);
	const char *base = strrchr(c->o->input, '/');
	report_out(c, "<footer>Made by smtptls %s from ", SMTPTLS_VERSION);
	report_esc(c, base ? base + 1 : c->o->input);
	report_out(c, ". Every figure is defined, with its denominator, in docs/metrics.md."
		      "</footer>\n</main>\n</body>\n</html>\n");
}

static int report_write_page(struct report_ctx *c)
{
	struct out_file out = {0};
	char err[512];
	if (out_open(&out, c->o->output, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls report: %s\n", err);
		return 2;
	}
	c->fp = out.fp;
	report_page(c);
	c->fp = NULL;
	if (ferror(out.fp)) {
		fprintf(stderr, "smtptls report: %s: write failed\n", c->o->output);
		out_abort(&out);
		return 1;
	}
	if (out_commit(&out, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls report: %s\n", err);
		return 1;
	}
	return 0;
}

/* ---- chart files ----------------------------------------------------------- */

/* Copies a chart's data file beside the chart, for those who want the
 * numbers behind it (written to a temporary name and renamed). */
static int report_copy_data(struct report_ctx *c, const struct report_chart *ch)
{
	char from[4300], tmp[4300], to[4300];
	snprintf(from, sizeof(from), "%s/%s.tsv", c->tmp, ch->name);
	int n1 = snprintf(tmp, sizeof(tmp), "%s/.%s.tsv.tmp", c->o->plots, ch->name);
	int n2 = snprintf(to, sizeof(to), "%s/%s.tsv", c->o->plots, ch->name);
	if (n1 < 0 || (size_t)n1 >= sizeof(tmp) || n2 < 0 || (size_t)n2 >= sizeof(to))
		return -1;
	FILE *in = fopen(from, "rb");
	if (!in)
		return -1;
	FILE *out = fopen(tmp, "wb");
	if (!out) {
		fclose(in);
		return -1;
	}
	char buf[8192];
	size_t r;
	int bad = 0;
	while ((r = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, r, out) != r)
			bad = 1;
	bad |= ferror(in);
	fclose(in);
	if (fclose(out) != 0 || bad || rename(tmp, to) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int report_write_plots(struct report_ctx *c)
{
	const char *dir = c->o->plots;
	const char *ext = plot_format_name(c->o->format);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "smtptls report: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "smtptls report: %s: not a folder\n", dir);
		return 2;
	}
	int rc = 0;
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		const struct report_chart *ch = &c->charts[i];
		char tmp[4300], final[4300];
		int n1 = snprintf(tmp, sizeof(tmp), "%s/.%s.%s.tmp", dir, ch->name, ext);
		int n2 = snprintf(final, sizeof(final), "%s/%s.%s", dir, ch->name, ext);
		if (n1 < 0 || (size_t)n1 >= sizeof(tmp) || n2 < 0 || (size_t)n2 >= sizeof(final)) {
			fprintf(stderr, "smtptls report: %s: path too long\n", dir);
			return 2;
		}
		int r = report_draw(c, ch, tmp, c->o->format, 1);
		if (r == PLOT_NO_GNUPLOT) {
			unlink(tmp);
			fprintf(stderr,
				"smtptls report: cannot draw charts: %s (install gnuplot, Debian "
				"package gnuplot-nox, or name it with --gnuplot)\n",
				c->gnuplot_err);
			return 1;
		}
		if (r != PLOT_OK) {
			unlink(tmp);
			rc = 1;
			continue;
		}
		if (rename(tmp, final) != 0) {
			fprintf(stderr, "smtptls report: %s: %s\n", final, strerror(errno));
			unlink(tmp);
			rc = 1;
			continue;
		}
		if (ch->state == REPORT_CHART_DATA && report_copy_data(c, ch) != 0) {
			fprintf(stderr,
				"smtptls report: %s/%s.tsv: cannot write the chart's data\n", dir,
				ch->name);
			rc = 1;
		}
	}
	return rc;
}

/* ---- the command ------------------------------------------------------------ */

static int report_parse(struct report_opts *o, int argc, char **argv)
{
	enum { OPT_TITLE = 256, OPT_GNUPLOT, OPT_TIMEOUT };
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"plots", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"title", required_argument, NULL, OPT_TITLE},
		{"gnuplot", required_argument, NULL, OPT_GNUPLOT},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->format = PLOT_SVG;
	o->gnuplot = "gnuplot";
	o->timeout_ms = REPORT_TIMEOUT_MS;
	int format_given = 0;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":o:p:f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o->output = optarg; break;
		case 'p': o->plots = optarg; break;
		case 'f':
			if (plot_format_parse(optarg, &o->format) != 0) {
				fprintf(stderr,
					"smtptls report: --format must be svg, png or pdf, "
					"not '%s'\n",
					optarg);
				return 2;
			}
			format_given = 1;
			break;
		case OPT_TITLE: o->title = optarg; break;
		case OPT_GNUPLOT: o->gnuplot = optarg; break;
		case OPT_TIMEOUT: {
			char *end;
			errno = 0;
			long s = strtol(optarg, &end, 10);
			if (errno || *end || s < 1 || s > 3600) {
				fprintf(stderr,
					"smtptls report: --timeout takes seconds (1 to 3600), "
					"not '%s'\n",
					optarg);
				return 2;
			}
			o->timeout_ms = (unsigned)s * 1000u;
			break;
		}
		case 'h': report_usage(stdout); return 0;
		case ':':
			fprintf(stderr, "smtptls report: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "smtptls report: unknown option %s\n", argv[optind - 1]);
			report_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "smtptls report: %s\n",
			optind >= argc
				? "which snapshot? (smtptls report STATS.json -o report.html)"
				: "one snapshot at a time (merge shards with smtptls merge)");
		return 2;
	}
	o->input = argv[optind];
	if (!o->output && !o->plots) {
		fprintf(stderr, "smtptls report: say where to write: -o REPORT.html and/or "
				"--plots DIR\n");
		return 2;
	}
	if (format_given && !o->plots) {
		fprintf(stderr, "smtptls report: --format applies to --plots (the page always "
				"inlines SVG)\n");
		return 2;
	}
	return -1;
}

static json_t *report_load(const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	if (!j) {
		if (jerr.line <= 0)
			fprintf(stderr, "smtptls report: %s: %s\n", path, jerr.text);
		else
			fprintf(stderr, "smtptls report: %s: not JSON: %s (line %d)\n", path,
				jerr.text, jerr.line);
		return NULL;
	}
	const char *format = json_string_value(json_object_get(j, "format"));
	json_t *ver = json_object_get(j, "version");
	if (!json_is_object(j) || !format || strcmp(format, REPORT_FORMAT) != 0) {
		fprintf(stderr,
			"smtptls report: %s: not a statistics snapshot (\"format\" is not \"%s\"; "
			"write one with smtptls analyze --stats FILE)\n",
			path, REPORT_FORMAT);
		json_decref(j);
		return NULL;
	}
	if (!json_is_integer(ver) || json_integer_value(ver) != REPORT_VERSION) {
		char v[32] = "missing";
		if (json_is_integer(ver))
			snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(ver));
		fprintf(stderr,
			"smtptls report: %s: snapshot version %s is not supported (this smtptls "
			"reads version %d)\n",
			path, v, REPORT_VERSION);
		json_decref(j);
		return NULL;
	}
	return j;
}

int report_main(int argc, char **argv)
{
	struct report_opts o;
	int rc = report_parse(&o, argc, argv);
	if (rc >= 0)
		return rc;
	struct report_ctx c;
	memset(&c, 0, sizeof(c));
	c.o = &o;
	c.snap = report_load(o.input);
	if (!c.snap)
		return 2;
	char err[600];
	rc = 0;
	if (report_mktemp(&c) != 0) {
		rc = 2;
		goto done;
	}
	if (plot_write_scripts(c.tmp, err, sizeof(err)) != 0 ||
	    report_charts_prepare(c.snap, c.tmp, c.charts, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls report: %s\n", err);
		rc = 2;
		goto done;
	}
	c.env.gnuplot = o.gnuplot;
	c.env.dir = c.tmp;
	c.env.timeout_ms = o.timeout_ms;
	if (o.plots)
		rc = report_write_plots(&c);
	if (o.output && rc != 2) {
		int r = report_write_page(&c);
		if (r > rc)
			rc = r;
		if (c.no_gnuplot && !o.plots)
			fprintf(stderr,
				"smtptls report: charts left out: %s (install gnuplot, Debian "
				"package "
				"gnuplot-nox); the page has its tables\n",
				c.gnuplot_err);
		if (c.failures && rc == 0)
			rc = 1;
	}
done:
	report_rmtemp(&c);
	json_decref(c.snap);
	return rc;
}
