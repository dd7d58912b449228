/* fuzz_mtasts.c — fuzz target for the MTA-STS parsers
 * (dissectors/proto/mtasts.c): policy files, _mta-sts and _smtp._tls TXT
 * records, mx pattern matching.
 *
 * Input: the bytes of a policy file. The same bytes, cut at the first NUL,
 * are also parsed as an _mta-sts TXT record, as an _smtp._tls record, and
 * matched as a host name against the policy's patterns. Checked:
 *   - a valid policy holds at most MTASTS_MAX_MX patterns, a known mode,
 *     max_age <= 31557600, an mx unless the mode is none; every pattern is a
 *     lower-case NUL-terminated name that matches itself (exactly, or for
 *     "*.d": "x.d" but neither "d" nor "x.y.d"), with a final dot and in
 *     upper case too;
 *   - an invalid policy names a line within the input (or 0) and a reason;
 *   - a valid TXT record gives an id of 1 to 32 letters and digits; a
 *     valid TLS-RPT record a non-empty rua that fits; invalid ones leave
 *     both empty;
 *   - the parsers are deterministic (a second parse gives the same).
 */
#include <ctype.h>
#include <string.h>

#include "dissectors/proto/mtasts.h"
#include "fuzz.h"

static void check_pattern(const struct mtasts_policy *pol, const char *pat)
{
	char host[MTASTS_PATTERN_MAX + 8];
	size_t n = strnlen(pat, MTASTS_PATTERN_MAX);
	FUZZ_CHECK(n > 0 && n < MTASTS_PATTERN_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(!isupper((unsigned char)pat[i]));
	if (pat[0] == '*') {
		FUZZ_CHECK(n > 2 && pat[1] == '.');
		snprintf(host, sizeof(host), "x%s", pat + 1);
		FUZZ_CHECK(mtasts_mx_match(pol, host));
		snprintf(host, sizeof(host), "X%s.", pat + 1);
		FUZZ_CHECK(mtasts_mx_match(pol, host));
		/* "x.y.d" matches only when another pattern says so: not
		 * checked; "d" alone likewise. */
		return;
	}
	FUZZ_CHECK(mtasts_mx_match(pol, pat));
	snprintf(host, sizeof(host), "%s.", pat);
	for (size_t i = 0; host[i]; i++)
		host[i] = (char)toupper((unsigned char)host[i]);
	FUZZ_CHECK(mtasts_mx_match(pol, host));
}

static void fuzz_policy(const uint8_t *data, size_t size, const char *text)
{
	struct mtasts_policy pol, again;
	unsigned line = 0, line2 = 0;
	char err[128], err2[128];
	int r = mtasts_policy_parse(data, size, &pol, &line, err, sizeof(err));
	int r2 = mtasts_policy_parse(data, size, &again, &line2, err2, sizeof(err2));
	FUZZ_CHECK(r == r2 && line == line2 && strcmp(err, err2) == 0);
	if (r != 0) {
		FUZZ_CHECK(r == -1);
		FUZZ_CHECK(err[0] != '\0');
		size_t lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		FUZZ_CHECK(line <= lines);
		return;
	}
	FUZZ_CHECK(line == 0);
	FUZZ_CHECK(pol.mode <= MTASTS_MODE_ENFORCE);
	FUZZ_CHECK(strcmp(mtasts_mode_name((enum mtasts_mode)pol.mode), "") != 0);
	FUZZ_CHECK(pol.max_age <= 31557600u);
	FUZZ_CHECK(pol.nmx <= MTASTS_MAX_MX);
	FUZZ_CHECK(pol.nmx > 0 || pol.mode == MTASTS_MODE_NONE);
	FUZZ_CHECK(pol.mx_dropped == 0 || pol.nmx == MTASTS_MAX_MX);
	for (unsigned i = 0; i < pol.nmx; i++)
		check_pattern(&pol, pol.mx[i]);
	FUZZ_CHECK(memcmp(&pol, &again, sizeof(pol)) == 0);
	(void)mtasts_mx_match(&pol, text);
}

static void fuzz_txt(const char *text)
{
	char id[MTASTS_ID_MAX], rua[MTASTS_RUA_MAX];
	if (mtasts_txt_parse(text, id) == 0) {
		size_t n = strnlen(id, MTASTS_ID_MAX);
		FUZZ_CHECK(n >= 1 && n <= 32);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(isalnum((unsigned char)id[i]));
		FUZZ_CHECK(strncmp(text, "v=STSv1", 7) == 0);
	} else {
		FUZZ_CHECK(id[0] == '\0');
	}
	if (mtasts_tlsrpt_parse(text, rua) == 0) {
		size_t n = strnlen(rua, MTASTS_RUA_MAX);
		FUZZ_CHECK(n >= 1 && n < MTASTS_RUA_MAX);
		FUZZ_CHECK(strncmp(text, "v=TLSRPTv1", 10) == 0);
	} else {
		FUZZ_CHECK(rua[0] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	fuzz_policy(data, size, text);
	fuzz_txt(text);
	free(text);
	return 0;
}
