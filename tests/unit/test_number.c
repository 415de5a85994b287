/*
 * test_number.c -- the bounded decimal parser: digits only, whole string,
 * range checked, no overflow, no sign.
 */
#include <stdint.h>
#include <string.h>

#include "lib/number.h"
#include "tap.h"

/* 1 when text parses (bounds min..max) to want. */
static int
parses(const char *text, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = 12345;

	return number_parse_str(text, min, max, &v) == 0 && v == want;
}

/* 1 when text is refused and *out stays as it was. */
static int
refused(const char *text, uint64_t min, uint64_t max)
{
	uint64_t v = 12345;

	return number_parse_str(text, min, max, &v) == -1 && v == 12345;
}

int
main(void)
{
	uint64_t v = 0;

	plan(16);
	ok(parses("0", 0, 10, 0) && parses("10", 0, 10, 10) &&
		parses("007", 0, 10, 7),
	    "decimals in range, leading zeros allowed");
	ok(parses("18446744073709551615", 0, UINT64_MAX, UINT64_MAX),
	    "the largest 64-bit value");
	ok(refused("18446744073709551616", 0, UINT64_MAX),
	    "one past 2^64 - 1 is refused, not wrapped");
	ok(refused("99999999999999999999999999999999", 0, UINT64_MAX),
	    "a very long number is refused");
	ok(refused("11", 0, 10) && refused("4", 5, 10),
	    "outside [min, max] is refused");
	ok(refused("", 0, 10) && refused(NULL, 0, 10), "nothing is not zero");
	ok(refused("-1", 0, 10) && refused("+1", 0, 10),
	    "no sign, either way (strtoull would take -1 as 2^64 - 1)");
	ok(refused(" 1", 0, 10) && refused("1 ", 0, 10) &&
		refused("1\n", 0, 10),
	    "no white space before or after");
	ok(refused("0x10", 0, 100) && refused("1e3", 0, 10000) &&
		refused("1.0", 0, 10),
	    "no base prefix, exponent or fraction");
	ok(refused("12abc", 0, 1000), "no trailing junk");
	ok(number_parse("123", 2, 0, 1000, &v) == 0 && v == 12,
	    "the length bounds the text");
	ok(number_parse("1\0002", 3, 0, 1000, &v) == -1,
	    "a NUL inside the length is not a digit");
	ok(number_parse("5", 0, 0, 10, &v) == -1, "a zero length is refused");
	ok(parses("5", 5, 5, 5), "min == max");
	ok(refused("6", 0, 5) && refused("9", 0, 5),
	    "a single digit above a small max");
	ok(parses("1844674407370955161", 0, UINT64_MAX, 1844674407370955161ULL),
	    "19 digits");
	return tap_done();
}
