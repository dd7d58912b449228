/* anon.h — the keyed mappings of anonymisation (docs/research.md): IPv4 and
 * IPv6 addresses by Crypto-PAn (Xu, Fan, Ammar and Moon 2002), names and
 * free text by a keyed hash, and the key file they come from.
 *
 * Key file: exactly ANON_KEY_LEN bytes (smtptls keygen). As in the reference
 * code of Crypto-PAn, its first 16 bytes are the AES-128 key and its last 16
 * bytes, encrypted under that key, are the pad. Names are hashed with
 * HMAC-SHA-256 under a second key derived from the whole key file, so one
 * key file gives the same mapping on every machine and in every shard.
 *
 * Ownership: struct anon owns its cipher context; anon_free() releases it.
 * The functions that map take a non-const struct anon (the cipher context
 * is used for each block): one struct anon per thread.
 */
#ifndef SMTPTLS_ANON_H
#define SMTPTLS_ANON_H

#include <stddef.h>
#include <stdint.h>

#define ANON_KEY_LEN 32
#define ANON_ID_LEN  16 /* hex digits of the key's identifier */
/* A hashed name: "h-" + 16 hex digits, then ".anon" or the kept suffix. */
#define ANON_HASH_HEX 16

struct anon {
	void *aes;		      /* EVP_CIPHER_CTX: AES-128-ECB under the key's first half */
	uint8_t pad[16];	      /* the key's second half, encrypted */
	uint8_t name_key[32];	      /* HMAC-SHA-256 key of names */
	char key_id[ANON_ID_LEN + 1]; /* says which key, never the key itself */
};

/* Reads a key file: exactly ANON_KEY_LEN bytes. 0, or -1 with a message. */
int anon_read_key(const char *path, uint8_t key[ANON_KEY_LEN], char *err, size_t errlen);

/* `smtptls keygen FILE`: ANON_KEY_LEN random bytes (RAND_bytes) into a new
 * file of mode 0600; an existing file is never overwritten. 0, or -1 with a
 * message. */
int anon_keygen(const char *path, char *err, size_t errlen);

/* Sets up the mappings of a key. 0, or -1 with a message (a then holds
 * nothing to free). */
int anon_init(struct anon *a, const uint8_t key[ANON_KEY_LEN], char *err, size_t errlen);

void anon_free(struct anon *a);

/* Crypto-PAn of an IPv4 address (network byte order) into out (may be in). */
void anon_ipv4(struct anon *a, const uint8_t in[4], uint8_t out[4]);

/* Crypto-PAn of an IPv6 address: the same construction over 128 bits, so an
 * IPv4 address placed in the first 32 bits maps as anon_ipv4 maps it. */
void anon_ipv6(struct anon *a, const uint8_t in[16], uint8_t out[16]);

/* The keyed hash of a host name, written to out (NUL-terminated, truncated
 * to n): "h-" and the first 8 bytes of HMAC-SHA-256(name key, the name in
 * lower case without a final dot) in hex, then "." and keep when keep is
 * given (the name's registrable domain, kept in clear, in lower case), else
 * ".anon". A name equal to keep is kept whole (in lower case). */
void anon_name(struct anon *a, const char *name, const char *keep, char *out, size_t n);

/* The keyed hash of any other text (a certificate's organisation, a
 * mailbox's local part): "h-" and 16 hex digits, as anon_name without the
 * suffix. */
void anon_text(struct anon *a, const char *text, char *out, size_t n);

#endif
