/* geo.h — country and autonomous system of an address (libmaxminddb), and
 * the direction of a connection from the local networks (--local-net).
 *
 * Ownership: struct geo owns its open databases; geo_close() releases them.
 * Lookups only read the databases, so one struct geo serves every thread.
 */
#ifndef SMTPTLS_GEO_H
#define SMTPTLS_GEO_H

#include <stddef.h>
#include <stdint.h>

#include <maxminddb.h>

#include "stats/record/record.h"

#define GEO_MAX_NETS 64

struct geo_net {
	uint8_t family;
	uint8_t prefix;
	uint8_t addr[16];
};

struct geo {
	MMDB_s country;
	MMDB_s asn;
	int have_country;
	int have_asn;
	struct geo_net nets[GEO_MAX_NETS];
	int nnets;
};

enum geo_dir { GEO_DIR_INBOUND, GEO_DIR_OUTBOUND, GEO_DIR_INTERNAL, GEO_DIR_EXTERNAL };

/* Opens the databases (either path may be NULL). Returns 0, or -1 with a
 * message in err. */
int geo_open(struct geo *g, const char *country_path, const char *asn_path, char *err,
	     size_t errlen);

void geo_close(struct geo *g);

/* Adds a local network "192.0.2.0/24" or "2001:db8::/32". 0 or -1. */
int geo_add_net(struct geo *g, const char *cidr);

/* The direction of a connection: client local and server remote = outbound,
 * the reverse = inbound, both local = internal, neither = external. */
enum geo_dir geo_direction(const struct geo *g, const struct rec *r);

/* "inbound", "outbound", "internal", "external". */
const char *geo_dir_name(enum geo_dir d);

/* The remote peer of a connection: the client of an inbound connection,
 * else the server. */
const struct rec_ep *geo_remote(const struct geo *g, const struct rec *r);

/* ISO country code of an address ("US"), or "unknown". buf >= 8 bytes. */
const char *geo_country(const struct geo *g, const struct rec_ep *e, char *buf, size_t n);

/* "AS15169 Google LLC", or "unknown". */
const char *geo_asn(const struct geo *g, const struct rec_ep *e, char *buf, size_t n);

/* Takes the country, AS and local-network facts of both endpoints from
 * their addresses and keeps them in the record (struct rec_ep's geo_known),
 * so that they survive the addresses' anonymisation: every function above
 * reads the kept facts of an endpoint that has them. g may be NULL (no
 * database, no local network: "unknown" and not local). */
void geo_carry(const struct geo *g, struct rec *r);

#endif
