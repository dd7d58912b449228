/* anon.c — Crypto-PAn over AES-128 (Xu, Fan, Ammar, Moon: "Prefix-Preserving
 * IP Address Anonymization", ICNP 2002, and the reference code published
 * with it), keyed hashes of names (HMAC-SHA-256), and the key file.
 *
 * Crypto-PAn maps bit i of the address to itself XOR the first bit of
 * AES(the address's first i bits, followed by the pad's bits from i on):
 * each output bit depends on the bits before it only, which is what keeps
 * prefixes. One AES block per bit, as the reference code does.
 */
#include "dissectors/proto/anon.h"

#include "dissectors/base/hex.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

int anon_read_key(const char *path, uint8_t key[ANON_KEY_LEN], char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	uint8_t extra;
	size_t n = fread(key, 1, ANON_KEY_LEN, f);
	int more = fread(&extra, 1, 1, f) == 1;
	fclose(f);
	if (n != ANON_KEY_LEN || more) {
		snprintf(err, errlen,
			 "%s: not a key file (%d bytes expected; smtptls keygen makes one)", path,
			 ANON_KEY_LEN);
		memset(key, 0, ANON_KEY_LEN);
		return -1;
	}
	return 0;
}

int anon_keygen(const char *path, char *err, size_t errlen)
{
	uint8_t key[ANON_KEY_LEN];
	if (RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errlen, "no random bytes for a key");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (a key file is never overwritten)" : "");
		memset(key, 0, sizeof(key));
		return -1;
	}
	/* the mode asked for may have been narrowed by the umask, never widened;
	 * fchmod makes it exactly 0600 */
	int ok = fchmod(fd, S_IRUSR | S_IWUSR) == 0 &&
		 write(fd, key, sizeof(key)) == (ssize_t)sizeof(key) && fsync(fd) == 0;
	memset(key, 0, sizeof(key));
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		snprintf(err, errlen, "%s: write failed", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static void anon_block(struct anon *a, const uint8_t in[16], uint8_t out[16])
{
	int n = 0;
	/* ECB without padding on one whole block cannot fail once set up */
	if (EVP_EncryptUpdate(a->aes, out, &n, in, 16) != 1 || n != 16)
		memset(out, 0, 16);
}

static void anon_hmac(const uint8_t *key, size_t keylen, const char *tag, const char *text,
		      size_t tlen, uint8_t md[32])
{
	/* the tag (with its NUL) keeps the derivations and hash kinds apart */
	uint8_t msg[600];
	size_t k = strlen(tag) + 1;
	if (tlen > sizeof(msg) - k)
		tlen = sizeof(msg) - k;
	memcpy(msg, tag, k);
	memcpy(msg + k, text, tlen);
	unsigned mdlen = 32;
	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, k + tlen, md, &mdlen))
		memset(md, 0, 32);
}

int anon_init(struct anon *a, const uint8_t key[ANON_KEY_LEN], char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
		EVP_CIPHER_CTX_free(c);
		snprintf(err, errlen, "AES-128 is not available");
		return -1;
	}
	a->aes = c;
	anon_block(a, key + 16, a->pad);
	/* the name key and the key's identifier, each its own derivation of
	 * the whole key file */
	anon_hmac(key, ANON_KEY_LEN, "smtptls name key", "", 0, a->name_key);
	uint8_t id[32];
	anon_hmac(key, ANON_KEY_LEN, "smtptls key id", "", 0, id);
	hex_encode(id, ANON_ID_LEN / 2, a->key_id);
	return 0;
}

void anon_free(struct anon *a)
{
	EVP_CIPHER_CTX_free(a->aes);
	memset(a, 0, sizeof(*a));
}

/* Crypto-PAn over the first nbits bits of in (nbits <= 128). */
static void anon_bits(struct anon *a, const uint8_t *in, uint8_t *out, unsigned nbits)
{
	uint8_t block[16], enc[16], res[16] = {0};
	for (unsigned pos = 0; pos < nbits; pos++) {
		unsigned full = pos / 8, rest = pos % 8;
		memcpy(block, in, full);
		memcpy(block + full, a->pad + full, 16 - full);
		if (rest) {
			uint8_t mask = (uint8_t)(0xff << (8 - rest));
			block[full] = (uint8_t)((in[full] & mask) | (a->pad[full] & ~mask));
		}
		anon_block(a, block, enc);
		res[pos / 8] |= (uint8_t)((enc[0] >> 7) << (7 - pos % 8));
	}
	for (unsigned i = 0; i < nbits / 8; i++)
		out[i] = in[i] ^ res[i];
}

void anon_ipv4(struct anon *a, const uint8_t in[4], uint8_t out[4])
{
	anon_bits(a, in, out, 32);
}

void anon_ipv6(struct anon *a, const uint8_t in[16], uint8_t out[16])
{
	anon_bits(a, in, out, 128);
}

/* "h-" and 16 hex digits of the HMAC of text (lower-cased when fold). */
static void anon_hash(struct anon *a, const char *tag, const char *text, int fold, char *out,
		      size_t n)
{
	char low[512];
	size_t len = strlen(text);
	if (len >= sizeof(low))
		len = sizeof(low) - 1;
	for (size_t i = 0; i < len; i++)
		low[i] = fold ? (char)tolower((unsigned char)text[i]) : text[i];
	if (fold && len > 1 && low[len - 1] == '.')
		len--;
	uint8_t md[32];
	anon_hmac(a->name_key, sizeof(a->name_key), tag, low, len, md);
	char hex[ANON_HASH_HEX + 1];
	hex_encode(md, ANON_HASH_HEX / 2, hex);
	snprintf(out, n, "h-%s", hex);
}

void anon_name(struct anon *a, const char *name, const char *keep, char *out, size_t n)
{
	char h[ANON_HASH_HEX + 3];
	size_t k = 0;
	if (!name[0]) {
		snprintf(out, n, "%s", "");
		return;
	}
	if (!keep || strcasecmp(name, keep) != 0) {
		anon_hash(a, "name", name, 1, h, sizeof(h));
		int w = snprintf(out, n, "%s.%s", h, keep ? "" : "anon");
		k = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
	}
	/* the kept domain in lower case, as the hash sees the name */
	for (size_t i = 0; keep && keep[i] && k + 1 < n; i++)
		out[k++] = (char)tolower((unsigned char)keep[i]);
	if (keep && k < n)
		out[k] = '\0';
}

void anon_text(struct anon *a, const char *text, char *out, size_t n)
{
	if (!text[0]) {
		snprintf(out, n, "%s", "");
		return;
	}
	anon_hash(a, "text", text, 0, out, n);
}
