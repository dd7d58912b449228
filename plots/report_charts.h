/* report_charts.h — the charts of the report: which exist, what each shows,
 * and their data files.
 *
 * report_charts_prepare() looks at a snapshot, decides for every chart
 * whether there is something to draw, writes the data file of each chart
 * that has (NAME.tsv in a folder the caller owns), and fills in the texts
 * the page and the chart files carry: title, caption, denominator. The
 * words of those texts are the chart_text section of plots/template.html;
 * this module supplies their figures.
 */
#ifndef SMTPTLS_REPORT_CHARTS_H
#define SMTPTLS_REPORT_CHARTS_H

#include <stddef.h>

#include <jansson.h>

enum report_chart_state {
	REPORT_CHART_DATA,   /* data file written: draw it */
	REPORT_CHART_EMPTY,  /* measured, but nothing to draw (e.g. no TLS at all) */
	REPORT_CHART_ABSENT, /* the snapshot does not measure it */
};

struct tpl_scope;
struct report_labels;

/* The texts are rendered from the chart_text section of plots/template.html
 * with the values the preparation computed. */
struct report_chart {
	const char *name;  /* file stem of the chart, its script and its data */
	char title[80];	   /* short title */
	char caption[640]; /* what it shows and how to read it (plain text) */
	char note[200];	   /* the denominator, e.g. "n = 32 TLS connections" */
	char empty[240];   /* why there is nothing to draw (states EMPTY, ABSENT) */
	char xtitle[120];  /* axis title for the charts over time, else "" */
	int height;	   /* pixels at 96 dpi; 0 for the default */
	enum report_chart_state state;
	struct tpl_scope *vals;		    /* while preparing: the values of the texts */
	const struct report_labels *labels; /* while preparing: the data files' labels */
};

#define REPORT_NCHARTS 11

/* Fills charts[0..REPORT_NCHARTS-1], in the order the report shows them,
 * and writes the data files into dir. Returns 0, or -1 with a message in
 * err when a file cannot be written or memory runs out. */
int report_charts_prepare(json_t *snap, const char *dir, struct report_chart *charts, char *err,
			  size_t errlen);

/* Whether a chart takes the page's full width (the policy outcomes, the
 * charts over time, post-quantum key exchange included, and the anomaly
 * list) rather than half of it. */
int report_charts_wide(const struct report_chart *ch);

/* What the anomaly catalogue (docs/anomalies.md) says about a type. */
struct report_anomaly_info {
	const char *name;
	const char *severity; /* "high", "medium", "low", "info"; "" when unknown */
	const char *what;     /* one line; "" when unknown */
};

/* The catalogue entry for name; an entry with empty texts for an unknown type. */
struct report_anomaly_info report_charts_anomaly(const char *name);

#endif
