/* report.c — `smtptls report`: the HTML report and the chart files (see
 * report.h). The page is one file: CSS and the SVG charts inline, no
 * scripts, nothing fetched, so it opens from disk in any browser. It
 * depends only on the snapshot: the same snapshot gives the same page.
 * This file is the command (options, working folder, drawing, files); the
 * page's figures are report_page.c's and its words plots/template.html's. */
#include "plots/report.h"

#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "plots/plot.h"
#include "plots/report_charts.h"
#include "plots/report_page.h"
#include "plots/report_snap.h"
#include "dissectors/base/out.h"

#define REPORT_FORMAT  "smtptls-stats"
#define REPORT_VERSION 2
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
	job.width = standalone ? 0 : report_charts_wide(ch) ? 900 : 470;
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

/* Draws the charts of the page (SVG, sized for it) into the working folder,
 * then writes the page. */
static int report_write_page(struct report_ctx *c)
{
	struct out_file out = {0};
	char err[512];
	if (out_open(&out, c->o->output, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls report: %s\n", err);
		return 2;
	}
	char svg[REPORT_NCHARTS][4200];
	const char *drawn[REPORT_NCHARTS] = {NULL};
	for (size_t i = 0; i < REPORT_NCHARTS; i++) {
		const struct report_chart *ch = &c->charts[i];
		if (ch->state != REPORT_CHART_DATA)
			continue;
		snprintf(svg[i], sizeof(svg[i]), "%s/%s.svg", c->tmp, ch->name);
		if (report_draw(c, ch, svg[i], PLOT_SVG, 0) == PLOT_OK)
			drawn[i] = svg[i];
	}
	struct report_page page = {
		.snap = c->snap,
		.title = c->o->title,
		.input = c->o->input,
		.charts = c->charts,
		.svg = drawn,
		.no_gnuplot = c->no_gnuplot,
	};
	if (report_page_write(&page, out.fp, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls report: the page: %s\n", err);
		out_abort(&out);
		return 1;
	}
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
