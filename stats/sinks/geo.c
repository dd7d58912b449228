/* geo.c — MaxMind DB lookups and local-network matching. */
#include "stats/sinks/geo.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int geo_open(struct geo *g, const char *country_path, const char *asn_path, char *err,
	     size_t errlen)
{
	memset(g, 0, sizeof(*g));
	if (country_path) {
		int rc = MMDB_open(country_path, MMDB_MODE_MMAP, &g->country);
		if (rc != MMDB_SUCCESS) {
			snprintf(err, errlen, "%s: %s", country_path, MMDB_strerror(rc));
			return -1;
		}
		g->have_country = 1;
	}
	if (asn_path) {
		int rc = MMDB_open(asn_path, MMDB_MODE_MMAP, &g->asn);
		if (rc != MMDB_SUCCESS) {
			snprintf(err, errlen, "%s: %s", asn_path, MMDB_strerror(rc));
			geo_close(g);
			return -1;
		}
		g->have_asn = 1;
	}
	return 0;
}

void geo_close(struct geo *g)
{
	if (g->have_country)
		MMDB_close(&g->country);
	if (g->have_asn)
		MMDB_close(&g->asn);
	g->have_country = g->have_asn = 0;
}

int geo_add_net(struct geo *g, const char *cidr)
{
	if (g->nnets == GEO_MAX_NETS)
		return -1;
	char addr[64];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, cidr, n);
	addr[n] = '\0';
	struct geo_net *net = &g->nets[g->nnets];
	memset(net, 0, sizeof(*net));
	unsigned max;
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = 6;
		max = 128;
	} else {
		return -1;
	}
	unsigned prefix = max;
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (*end || slash[1] == '\0' || v > max)
			return -1;
		prefix = (unsigned)v;
	}
	net->prefix = (uint8_t)prefix;
	g->nnets++;
	return 0;
}

static int geo_in(const struct geo_net *net, const struct rec_ep *e)
{
	if (net->family != e->family)
		return 0;
	unsigned full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp(net->addr, e->addr, full) != 0)
		return 0;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (e->addr[full] & mask);
}

static int geo_local(const struct geo *g, const struct rec_ep *e)
{
	if (e->geo_known)
		return e->local;
	for (int i = 0; i < g->nnets; i++)
		if (geo_in(&g->nets[i], e))
			return 1;
	return 0;
}

enum geo_dir geo_direction(const struct geo *g, const struct rec *r)
{
	int c = geo_local(g, &r->client), s = geo_local(g, &r->server);
	if (c && s)
		return GEO_DIR_INTERNAL;
	if (c)
		return GEO_DIR_OUTBOUND;
	if (s)
		return GEO_DIR_INBOUND;
	return GEO_DIR_EXTERNAL;
}

const char *geo_dir_name(enum geo_dir d)
{
	static const char *const names[] = {"inbound", "outbound", "internal", "external"};
	return (unsigned)d < 4 ? names[d] : "external";
}

const struct rec_ep *geo_remote(const struct geo *g, const struct rec *r)
{
	return geo_direction(g, r) == GEO_DIR_INBOUND ? &r->client : &r->server;
}

static int geo_lookup(const MMDB_s *db, const struct rec_ep *e, MMDB_lookup_result_s *res)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (e->family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, e->addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, e->addr, 16);
	}
	int err = 0;
	*res = MMDB_lookup_sockaddr(db, (const struct sockaddr *)&ss, &err);
	return err == MMDB_SUCCESS && res->found_entry ? 0 : -1;
}

const char *geo_country(const struct geo *g, const struct rec_ep *e, char *buf, size_t n)
{
	snprintf(buf, n, "unknown");
	if (e->geo_known) {
		snprintf(buf, n, "%s", e->country);
		return buf;
	}
	if (!g || !g->have_country)
		return buf;
	MMDB_lookup_result_s res;
	if (geo_lookup(&g->country, e, &res) != 0)
		return buf;
	MMDB_entry_data_s d;
	if (MMDB_get_value(&res.entry, &d, "country", "iso_code", NULL) != MMDB_SUCCESS ||
	    !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING) {
		/* some databases carry only the registered country, others (the
		 * CC0 ip-location-db ones) a flat country_code */
		if ((MMDB_get_value(&res.entry, &d, "registered_country", "iso_code", NULL) !=
			     MMDB_SUCCESS ||
		     !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING) &&
		    (MMDB_get_value(&res.entry, &d, "country_code", NULL) != MMDB_SUCCESS ||
		     !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING))
			return buf;
	}
	snprintf(buf, n, "%.*s", (int)d.data_size, d.utf8_string);
	return buf;
}

const char *geo_asn(const struct geo *g, const struct rec_ep *e, char *buf, size_t n)
{
	snprintf(buf, n, "unknown");
	if (e->geo_known) {
		snprintf(buf, n, "%s", e->asn);
		return buf;
	}
	if (!g || !g->have_asn)
		return buf;
	MMDB_lookup_result_s res;
	if (geo_lookup(&g->asn, e, &res) != 0)
		return buf;
	MMDB_entry_data_s num, org;
	if (MMDB_get_value(&res.entry, &num, "autonomous_system_number", NULL) != MMDB_SUCCESS ||
	    !num.has_data || num.type != MMDB_DATA_TYPE_UINT32)
		return buf;
	if (MMDB_get_value(&res.entry, &org, "autonomous_system_organization", NULL) ==
		    MMDB_SUCCESS &&
	    org.has_data && org.type == MMDB_DATA_TYPE_UTF8_STRING)
		snprintf(buf, n, "AS%u %.*s", num.uint32, (int)org.data_size, org.utf8_string);
	else
		snprintf(buf, n, "AS%u", num.uint32);
	return buf;
}

/* One endpoint's facts, looked up before its address is replaced. */
static void geo_carry_ep(const struct geo *g, struct rec_ep *e)
{
	char buf[160];
	if (e->geo_known)
		return;
	e->local = (uint8_t)(g && geo_local(g, e));
	snprintf(e->country, sizeof(e->country), "%s", geo_country(g, e, buf, sizeof(buf)));
	snprintf(e->asn, sizeof(e->asn), "%s", geo_asn(g, e, buf, sizeof(buf)));
	e->geo_known = 1;
}

void geo_carry(const struct geo *g, struct rec *r)
{
	geo_carry_ep(g, &r->client);
	geo_carry_ep(g, &r->server);
}
