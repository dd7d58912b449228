/* fuzz_pipeline.c — fuzz target for the whole analysis path: the input is a
 * capture file (pcap or pcapng) read by libpcap from memory, every packet goes
 * through the engine (decode, flow table, reassembly, session, SMTP and TLS
 * dissectors) and every record is serialised to JSON, as `smtptls analyze`
 * does with its default ports and small limits.
 *
 * The read loop is src_read_file()'s (analyzer/capture/source.c), which takes a path;
 * a capture held in memory goes through fmemopen() and pcap_fopen_offline().
 * Checked: the engine frees everything it allocated and returns every byte of
 * its reassembly budget (a capture whose snap length is at most
 * ENG_HEAD_SNAPLEN is read by packet heads, as the command reads it); a record always serialises, and what the writer
 * (rec_json_head + rec_json_anomalies) writes, read back by jansson, is
 * exactly what json_dumps() writes and holds every field of the record's
 * list with the record's value (tests/tools/reccheck.h).
 */
#include <string.h>

#include <pcap/pcap.h>

#include "analyzer/app/cli.h"
#include "analyzer/net/decode.h"
#include "analyzer/session/engine.h"
#include "fuzz.h"
#include "dissectors/base/jsonw.h"
#include "stats/record/record.h"
#include "../tools/reccheck.h"

struct out {
	uint64_t records;
	uint64_t json_bytes;
	struct jsonw line; /* owned */
};

static void on_record(void *ctx, const struct rec *r)
{
	struct out *o = ctx;
	char msg[600];
	int rc = rc_check(&o->line, r, NULL, msg, sizeof(msg));
	if (rc < 0)
		fprintf(stderr, "record %llu: %s\n", (unsigned long long)o->records, msg);
	FUZZ_CHECK(rc == 1); /* the engine's texts are UTF-8 where the record needs it */
	o->json_bytes += o->line.len;
	o->records++;
}

static void run_capture(pcap_t *p, const struct eng_cfg *cfg)
{
	int dlt = pcap_datalink(p);
	if (!dec_link_supported(dlt))
		return; /* src_read_file() refuses the file */
	struct engine *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	if (eng_init(e, cfg) != 0) {
		free(e);
		return;
	}
	struct out o = {0, 0, {0}};
	FUZZ_CHECK(eng_add_sink(e, on_record, &o) == 0);
	/* As src_read_file() does: a short snap length reads by heads. */
	int snap = pcap_snapshot(p);
	eng_set_snaplen(e, snap > 0 ? (uint32_t)snap : 0);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	for (;;) {
		int r = pcap_next_ex(p, &hdr, &data);
		if (r == PCAP_ERROR_BREAK || r == PCAP_ERROR)
			break;
		if (r != 1)
			continue;
		uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
		eng_packet(e, dlt, ts, data, hdr->caplen, hdr->len);
		FUZZ_CHECK(e->flows.count <= cfg->max_flows);
		FUZZ_CHECK(e->budget.held <= cfg->max_reassembly);
	}
	eng_end_input(e);
	eng_free(e);
	jsonw_free(&o.line);
	FUZZ_CHECK(e->mem.in_use == 0);
	FUZZ_CHECK(e->budget.held == 0);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* fmemopen() wants a writable buffer; the fuzzer's input is const. */
	uint8_t *copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	struct eng_cfg *cfg = calloc(1, sizeof(*cfg));
	char err[128];
	FILE *fp = NULL;
	pcap_t *p = NULL;
	if (!cfg)
		goto done;
	FUZZ_CHECK(cli_parse_ports(CLI_DEFAULT_PORTS, cfg->mail_ports, err, sizeof(err)) == 0);
	FUZZ_CHECK(cli_parse_ports(CLI_DEFAULT_TLS_PORTS, cfg->tls_ports, err, sizeof(err)) == 0);
	cli_default_limits(cfg);
	cfg->max_flows = 64;
	cfg->max_buffer = 16u * 1024u;
	cfg->max_reassembly = 256u * 1024u;

	fp = fmemopen(copy, size, "rb");
	if (!fp)
		goto done;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		fclose(fp);
		goto done;
	}
	run_capture(p, cfg);
	pcap_close(p); /* closes fp */
done:
	free(cfg);
	free(copy);
	return 0;
}
