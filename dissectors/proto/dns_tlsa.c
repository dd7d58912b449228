/* dns_tlsa.c — a TLSA record's association data in the form the DANE check
 * compares (dns.h, struct dns_tlsa). */
#include "dissectors/proto/dns.h"

#include <string.h>

#include <openssl/evp.h>

int dns_tlsa_set(struct dns_tlsa *t, uint8_t usage, uint8_t selector, uint8_t mtype,
		 const uint8_t *data, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->usage = usage;
	t->selector = selector;
	t->mtype = mtype;
	size_t want = mtype == 1 ? 32 : mtype == 2 ? 64 : 0;
	if (mtype == 0) {
		/* The full certificate or key: kept as its SHA-512, which equals
		 * the certificate's own SHA-512 exactly when the data does. */
		unsigned int dlen = 0;
		if (!EVP_Digest(data, len, t->data, &dlen, EVP_sha512(), NULL) || dlen != 64)
			return -1;
		t->len = 64;
		t->full_digest = 1;
		t->bad_length = len == 0;
		return 0;
	}
	t->bad_length = want != 0 && len != want;
	t->len = (uint8_t)(len < DNS_TLSA_DATA_MAX ? len : DNS_TLSA_DATA_MAX);
	if (t->len)
		memcpy(t->data, data, t->len);
	return 0;
}
