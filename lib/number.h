/*
 * number.h -- the one parser of decimal numbers in untrusted text.
 *
 * Like OpenBSD's strtonum(3), but unsigned and over a length: every byte
 * must be a digit 0-9 (no sign, no white space, no base prefix, no
 * suffix), there must be at least one, and the value must lie in
 * [min, max].  Pure: no locale, no errno.
 */
#ifndef ST_NUMBER_H
#define ST_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse s[0..len) into *out.  Returns 0, or -1 (and *out untouched) when
 * a byte is not a digit, len is 0, or the value is outside [min, max]
 * (however many digits it has: no overflow).
 */
int number_parse(
    const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

/* number_parse over the whole NUL-terminated string s. */
int number_parse_str(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
