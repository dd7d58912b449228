/* bench_floor: the least any libpcap program must do to read a capture.
 *
 * Opens each file with pcap_open_offline(), calls pcap_next_ex() for every
 * packet and adds up the captured lengths. libpcap copies every record into
 * its buffer, so the whole file is read. The time this takes is the floor
 * the benchmark compares smtptls against (see bench/README.md).
 *
 * Usage: bench_floor FILE...
 * Prints: "packets N bytes N" (captured bytes, without record headers).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

/* Reads one capture to its end; adds to *packets and *bytes. */
static int floor_read(const char *path, uint64_t *packets, uint64_t *bytes)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *p;
	int rc;

	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		fprintf(stderr, "bench_floor: %s: %s\n", path, errbuf);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		*packets += 1;
		*bytes += hdr->caplen;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bench_floor: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t packets = 0, bytes = 0;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_floor FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (floor_read(argv[i], &packets, &bytes) != 0)
			status = 1;
	}
	printf("packets %" PRIu64 " bytes %" PRIu64 "\n", packets, bytes);
	return status;
}
