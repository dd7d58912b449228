/* report_snap.c — reading a statistics snapshot defensively (see report_snap.h). */
#include "plots/report_snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/base/civil.h"

json_t *report_snap_get(const json_t *root, const char *path)
{
	char key[128];
	json_t *cur = NULL;
	const json_t *at = root;
	const char *p = path;
	while (at && *p) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n >= sizeof(key) || !json_is_object(at))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(at, key);
		at = cur;
		p += n;
		if (*p == '.')
			p++;
	}
	return at ? cur : NULL;
}

long long report_snap_int(const json_t *root, const char *path)
{
	const json_t *v = report_snap_get(root, path);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		return i < 0 ? -1 : (long long)i;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!(d >= 0) || d > 9e18)
			return -1;
		return (long long)(d + 0.5);
	}
	return -1;
}

long long report_snap_count(const json_t *root, const char *path)
{
	long long v = report_snap_int(root, path);
	return v < 0 ? 0 : v;
}

struct report_ratio report_snap_ratio(const json_t *root, const char *name, const char *num_path,
				      const char *den_path)
{
	struct report_ratio r = {0, 0, 0};
	const json_t *ratios = json_object_get(root, "ratios");
	const json_t *o = json_is_object(ratios) ? json_object_get(ratios, name) : NULL;
	if (json_is_object(o)) {
		long long num = report_snap_int(o, "num"), den = report_snap_int(o, "den");
		if (num >= 0 && den >= 0) {
			r.num = num;
			r.den = den;
			r.present = 1;
			return r;
		}
	}
	if (num_path && den_path) {
		long long num = report_snap_int(root, num_path),
			  den = report_snap_int(root, den_path);
		if (num >= 0 && den >= 0) {
			r.num = num;
			r.den = den;
			r.present = 1;
		}
	}
	return r;
}

static long long report_snap_value(const json_t *v, const char *field)
{
	if (field)
		return json_is_object(v) ? report_snap_int(v, field) : -1;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (long long)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e18)
		return (long long)(json_real_value(v) + 0.5);
	return -1;
}

static int report_kv_by_count(const void *a, const void *b)
{
	const struct report_kv *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

int report_snap_dist(json_t *dist, const char *field, struct report_kvs *out)
{
	out->v = NULL;
	out->n = 0;
	if (!json_is_object(dist))
		return 0;
	json_t *keys = json_object_get(dist, "keys");
	if (!json_is_object(keys))
		keys = dist;
	size_t cap = json_object_size(keys);
	if (cap == 0)
		return 0;
	out->v = calloc(cap, sizeof(*out->v));
	if (!out->v)
		return -1;
	const char *k;
	json_t *v;
	json_object_foreach(keys, k, v)
	{
		long long n = report_snap_value(v, field);
		if (n < 0)
			continue;
		out->v[out->n].key = k;
		out->v[out->n].n = n;
		out->v[out->n].val = v;
		out->n++;
	}
	qsort(out->v, out->n, sizeof(*out->v), report_kv_by_count);
	return 0;
}

void report_kvs_free(struct report_kvs *kvs)
{
	free(kvs->v);
	kvs->v = NULL;
	kvs->n = 0;
}

long long report_snap_dist_total(json_t *dist)
{
	if (!json_is_object(dist))
		return -1;
	json_t *keys = json_object_get(dist, "keys");
	if (!json_is_object(keys))
		keys = dist;
	long long sum = 0;
	const char *k;
	json_t *v;
	json_object_foreach(keys, k, v)
	{
		long long n = report_snap_value(v, NULL);
		if (n > 0)
			sum += n;
	}
	long long other = report_snap_value(json_object_get(dist, "other"), NULL);
	if (keys != dist && other > 0)
		sum += other;
	return sum;
}

int report_snap_dist_truncated(const json_t *dist)
{
	return json_is_object(dist) && json_is_true(json_object_get(dist, "truncated"));
}

void report_snap_civil(long long secs, int *year, int *month, int *day, int *hour)
{
	struct civil c = civil_from_time(secs);
	*year = (int)c.y;
	*month = (int)c.m;
	*day = (int)c.d;
	*hour = (int)(c.secs / 3600);
}

static int report_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int report_snap_time(const char *s, long long *secs)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);
	if (len < 10 || report_digits(s, 4, &y) || s[4] != '-' || report_digits(s + 5, 2, &mo) ||
	    s[7] != '-' || report_digits(s + 8, 2, &d))
		return -1;
	if (len >= 19) {
		if ((s[10] != 'T' && s[10] != ' ') || report_digits(s + 11, 2, &h) ||
		    s[13] != ':' || report_digits(s + 14, 2, &mi) || s[16] != ':' ||
		    report_digits(s + 17, 2, &se))
			return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	*secs = civil_to_time(y, mo, d, h, mi, se);
	return 0;
}

void report_snap_pct(long long num, long long den, char *buf, size_t len)
{
	if (den <= 0 || num < 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (num == 0 || num >= den) {
		snprintf(buf, len, "%lld%%", num == 0 ? 0LL : 100LL * num / den);
		return;
	}
	long long pct = (200 * num + den) / (2 * den); /* rounded half up */
	if (pct == 0)
		snprintf(buf, len, "<1%%");
	else if (pct >= 100)
		snprintf(buf, len, ">99%%");
	else
		snprintf(buf, len, "%lld%%", pct);
}

void report_snap_thousands(long long n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%lld", n < 0 ? -n : n);
	size_t o = 0;
	if (len == 0)
		return;
	if (n < 0 && o + 1 < len)
		buf[o++] = '-';
	for (int i = 0; i < nd && o + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && o + 1 < len)
			buf[o++] = ',';
		if (o + 1 < len)
			buf[o++] = digits[i];
	}
	buf[o] = '\0';
}
