/* fuzz_pipeline.c — fuzz target for the whole analysis path: the input is a
 * capture file (pcap or pcapng) read by libpcap from memory, every packet goes
 * through the engine (decode, flow table, reassembly, session, SMTP and TLS
 * dissectors) and every record is serialised to JSON, as `smtptls analyze`
 * does with its default ports and small limits.
 *
 * The read loop is src_read_file()'s (analyzer/capture/source.c), which takes a path;
 * a capture held in memory goes through fmemopen() and pcap_fopen_offline().
 * Checked: the engine frees everything it allocated and returns every byte of
 * its reassembly budget; a record always serialises, and the direct writer
 * (rec_json_head + rec_json_anomalies) writes byte for byte what the tree
 * writer (jsonw_dump of rec_to_json) and jansson's json_dumps() write.
 */
#include <string.h>

#include <pcap/pcap.h>

#include "analyzer/app/cli.h"
#include "analyzer/net/decode.h"
#include "analyzer/session/engine.h"
#include "fuzz.h"
#include "dissectors/base/jsonw.h"
#include "stats/record/record.h"

struct out {
	uint64_t records;
	uint64_t json_bytes;
};

static void on_record(void *ctx, const struct rec *r)
{
	struct out *o = ctx;
	json_t *j = rec_to_json(r);
	FUZZ_CHECK(j != NULL);
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
	FUZZ_CHECK(s != NULL);
	struct jsonw ref = {0}, direct = {0};
	FUZZ_CHECK(jsonw_dump(&ref, j) == 0);
	FUZZ_CHECK(strcmp(ref.buf, s) == 0);
	FUZZ_CHECK(rec_json_head(&direct, r) == 0);
	FUZZ_CHECK(rec_json_anomalies(&direct, r, NULL) == 0);
	FUZZ_CHECK(direct.len == ref.len && memcmp(direct.buf, ref.buf, ref.len) == 0);
	o->json_bytes += strlen(s);
	o->records++;
	jsonw_free(&ref);
	jsonw_free(&direct);
	free(s);
	json_decref(j);
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
	struct out o = {0, 0};
	FUZZ_CHECK(eng_add_sink(e, on_record, &o) == 0);
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
