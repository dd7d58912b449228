/* fuzz_decode.c — fuzz target for analyzer/net/decode.c (dec_packet).
 *
 * Input: byte 0 picks the link type, byte 1 how the captured length relates
 * to the length on the wire, the rest is the frame:
 *
 *   +--------+--------+----------------------------+
 *   | link   | length | frame ...                  |
 *   +--------+--------+----------------------------+
 *
 * The frame is copied to a buffer of exactly caplen bytes so that a read past
 * the captured length is caught by AddressSanitizer. Checked: the result is
 * one of four (a UDP datagram is counted as not TCP and handed up), a used segment counts at most that the snap length cut it and
 * a refused packet exactly one counter (malformed iff DEC_BAD), and the
 * payload lies inside the frame.
 */
#include <string.h>

#include <pcap/dlt.h>

#include "analyzer/net/decode.h"
#include "fuzz.h"

static const int fuzz_links[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
};
#define NLINKS (sizeof(fuzz_links) / sizeof(fuzz_links[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 > UINT32_MAX / 2)
		return 0;
	/* One value in 32 is a link type we do not decode, to cover that path. */
	int dlt = data[0] % 32 == 31 ? 147 /* DLT_USER0 */ : fuzz_links[data[0] % NLINKS];
	uint8_t mode = data[1];
	uint32_t len = (uint32_t)(size - 2);
	uint32_t caplen = len, wirelen = len;
	switch (mode >> 6) {
	case 0: break;						    /* whole frame */
	case 1: wirelen = len + (uint32_t)(mode & 63) * 97u; break; /* snap length cut */
	case 2: caplen = len > (mode & 63u) ? len - (mode & 63u) : 0; break;
	default: /* a broken pcap header: wire length below the captured one */
		wirelen = len > (mode & 63u) ? len - (mode & 63u) : 0;
		break;
	}

	uint8_t *frame = malloc(caplen ? caplen : 1);
	if (!frame)
		return 0;
	if (caplen)
		memcpy(frame, data + 2, caplen);

	struct dec_stats st;
	memset(&st, 0, sizeof(st));
	struct pkt pk;
	memset(&pk, 0, sizeof(pk));
	enum dec_result r = dec_packet(dlt, frame, caplen, wirelen, &pk, &st);

	uint64_t counted = 0;
	for (int c = 0; c < DEC_C_COUNT; c++) {
		counted += st.c[c];
		FUZZ_CHECK(dec_counter_name((enum dec_counter)c) != NULL);
	}
	FUZZ_CHECK(r == DEC_TCP || r == DEC_UDP || r == DEC_SKIP || r == DEC_BAD);
	FUZZ_CHECK(dec_link_supported(dlt) == (dlt != 147));
	if (r == DEC_TCP) {
		/* A used segment may count only that its payload, or its TCP
		 * options, were cut by the snap length. */
		uint64_t cut = st.c[DEC_C_PAYLOAD_TRUNCATED], opts = st.c[DEC_C_TCP_TRUNCATED];
		FUZZ_CHECK(counted == cut + opts);
		FUZZ_CHECK(counted <= 1);
		FUZZ_CHECK(pk.family == 4 || pk.family == 6);
		FUZZ_CHECK(pk.caplen <= pk.paylen);
		if (cut)
			FUZZ_CHECK(pk.caplen < pk.paylen);
		if (opts)
			FUZZ_CHECK(pk.caplen == 0);
		if (!counted)
			FUZZ_CHECK(pk.caplen == pk.paylen);
		if (pk.caplen) {
			FUZZ_CHECK(pk.payload != NULL);
			FUZZ_CHECK(pk.payload >= frame);
			FUZZ_CHECK((size_t)(pk.payload - frame) + pk.caplen <= caplen);
			/* Touch every payload byte: out of bounds would be reported. */
			volatile uint8_t sum = 0;
			for (uint32_t i = 0; i < pk.caplen; i++)
				sum = (uint8_t)(sum + pk.payload[i]);
		}
	} else if (r == DEC_UDP) {
		/* counted as not TCP, handed up whole or cut by the snap length */
		FUZZ_CHECK(counted == 1 && st.c[DEC_C_NOT_TCP] == 1);
		FUZZ_CHECK(pk.proto == 17);
		FUZZ_CHECK(pk.family == 4 || pk.family == 6);
		FUZZ_CHECK(pk.caplen <= pk.paylen);
		if (pk.caplen) {
			FUZZ_CHECK(pk.payload != NULL && pk.payload >= frame);
			FUZZ_CHECK((size_t)(pk.payload - frame) + pk.caplen <= caplen);
			volatile uint8_t sum = 0;
			for (uint32_t i = 0; i < pk.caplen; i++)
				sum = (uint8_t)(sum + pk.payload[i]);
		}
	} else {
		FUZZ_CHECK(counted == 1);
		for (int c = 0; c < DEC_C_COUNT; c++)
			if (st.c[c])
				FUZZ_CHECK(dec_counter_is_malformed((enum dec_counter)c) ==
					   (r == DEC_BAD));
		if (dlt == 147)
			FUZZ_CHECK(st.c[DEC_C_LINK_UNSUPPORTED] == 1);
	}
	free(frame);
	return 0;
}
