/*
 * number.c -- bounded decimal parsing (see number.h).
 *
 * Owns the digits-only rule and the overflow check that every hand-rolled
 * loop used to repeat.  It does not know what a number means: callers give
 * the bounds and word their own errors.
 */
#include "number.h"

#include <string.h>

/* Parse s[0..len) as a decimal in [min, max]. */
int
number_parse(
    const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (s == NULL || len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -1;
		/* v * 10 + d > max, tested without overflowing. */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

/* Parse the whole string s as a decimal in [min, max]. */
int
number_parse_str(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (s == NULL)
		return -1;
	return number_parse(s, strlen(s), min, max, out);
}
