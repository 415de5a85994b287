/*
 * fuzz_query.c -- libFuzzer target for the read API's query parameters:
 * the input is split into "name=value" pairs at '&', percent-decoded as the
 * HTTP layer would, and fed to query_set, then query_finish; nothing may
 * crash and an accepted query must be sane.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

/* Decode %XX and '+' in place, as the HTTP layer does before handlers run. */
static void
fuzz_unescape(char *s)
{
	char *o = s, hex[3] = {0, 0, 0};

	for (; *s != '\0'; s++) {
		if (*s == '%' && s[1] != '\0' && s[2] != '\0' &&
		    strchr("0123456789abcdefABCDEF", s[1]) != NULL &&
		    strchr("0123456789abcdefABCDEF", s[2]) != NULL) {
			hex[0] = s[1];
			hex[1] = s[2];
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			*o++ = *s == '+' ? ' ' : *s;
	}
	*o = '\0';
}

/* Feed one input through the parser. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query_settings s;
	struct query	      q;
	struct st_error	      e;
	char		     *buf, *p, *amp, *eq, key[600];
	int		      failed = 0;

	if (size > 4096)
		return 0;
	memset(&s, 0, sizeof(s));
	s.now = 1226448000;
	s.categories = cats;
	s.ncategories = 4;
	s.narchives = 4;
	s.resolutions[0] = 60;
	s.resolutions[1] = 300;
	s.resolutions[2] = 3600;
	s.resolutions[3] = 86400;
	s.retentions[0] = 2 * 86400;
	s.retentions[1] = 14 * 86400;
	s.retentions[2] = 395 * 86400;
	s.retentions[3] = 3660 * 86400LL;
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	query_init(&q, &s);
	for (p = buf; !failed; p = amp + 1) {
		amp = strchr(p, '&');
		if (amp != NULL)
			*amp = '\0';
		if ((eq = strchr(p, '=')) != NULL) {
			*eq++ = '\0';
			fuzz_unescape(eq);
		}
		fuzz_unescape(p);
		failed = query_set(&q, &s, p, eq, &e) == -1;
		if (amp == NULL)
			break;
	}
	if (!failed && query_finish(&q, &s, &e) == 0) {
		if (q.start >= q.end || q.width < 200 || q.width > 2000 ||
		    q.height < 80 || q.height > 1000 || q.ncats == 0 ||
		    q.ncats > 4 || q.step == 0)
			abort();
		query_key(&q, key, sizeof(key));
	}
	free(buf);
	return 0;
}
