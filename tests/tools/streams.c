/* streams.c — test tool: prints, per connection and direction, the length,
 * the gaps and an FNV-1a 64 hash of the reassembled byte stream, so that two
 * captures of the same traffic (clean, and reordered/duplicated) can be shown
 * to yield the same streams. Usage: streams FILE.pcap */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/app/cli.h"
#include "analyzer/session/engine.h"
#include "analyzer/app/pipeline.h"
#include "analyzer/capture/source.h"

struct stream {
	uint64_t bytes, gaps, hash;
};

struct streams {
	struct stream s[1024][2];
};

static void st_data(void *ctx, uint64_t id, int dir, const uint8_t *p, size_t n)
{
	struct streams *t = ctx;
	if (id >= 1024)
		return;
	struct stream *s = &t->s[id][dir];
	for (size_t i = 0; i < n; i++) {
		s->hash ^= p[i];
		s->hash *= 1099511628211ull;
	}
	s->bytes += n;
}

static void st_gap(void *ctx, uint64_t id, int dir, uint64_t n)
{
	struct streams *t = ctx;
	if (id < 1024)
		t->s[id][dir].gaps += n;
}

static void st_record(void *ctx, const struct rec *r)
{
	(void)ctx;
	(void)r;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: streams FILE\n");
		return 2;
	}
	struct streams *t = calloc(1, sizeof(*t));
	struct eng_cfg *cfg = calloc(1, sizeof(*cfg));
	struct engine *e = calloc(1, sizeof(*e));
	if (!t || !cfg || !e)
		return 2;
	for (int i = 0; i < 1024; i++)
		for (int d = 0; d < 2; d++)
			t->s[i][d].hash = 14695981039346656037ull;
	char err[256];
	cli_parse_ports(CLI_DEFAULT_PORTS, cfg->mail_ports, err, sizeof(err));
	cli_default_limits(cfg);
	cfg->max_flows = 1000;
	if (eng_init(e, cfg) != 0)
		return 2;
	struct sess_tap tap = {st_data, st_gap, t};
	e->tap = &tap;
	eng_add_sink(e, st_record, NULL);
	struct src_opts o = {NULL, NULL, 1};
	struct src_sink source;
	pipeline_engine_source(&source, e);
	int rc = src_read_file(&source, argv[1], &o, err, sizeof(err));
	if (rc)
		fprintf(stderr, "streams: %s\n", err);
	uint64_t n = e->flows.created;
	eng_free(e);
	for (uint64_t i = 0; i < n && i < 1024; i++)
		for (int d = 0; d < 2; d++)
			printf("conn %" PRIu64 " %s bytes %" PRIu64 " gaps %" PRIu64
			       " fnv %016" PRIx64 "\n",
			       i, d ? "server" : "client", t->s[i][d].bytes, t->s[i][d].gaps,
			       t->s[i][d].hash);
	free(t);
	free(cfg);
	free(e);
	return rc ? 1 : 0;
}
