/*
 * test_jsonstr.c -- the UTF-8 decoder and the JSON string renderer: every
 * literal is valid UTF-8, escapes what HTML cares about, replaces
 * ill-formed bytes with U+FFFD, and is cut only between characters.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/jsonstr.h"
#include "lib/utf8.h"
#include "tap.h"

/* The literal of s (whole, in a large buffer). */
static const char *
lit(const char *s, size_t len)
{
	static char buf[1024];

	jsonstr_quote(buf, sizeof(buf), s, len);
	return buf;
}

#define LIT(s) lit((s), sizeof(s) - 1)

/* 1 when the len bytes at s decode as one character cp of n bytes. */
static int
decodes(const char *s, size_t len, size_t n, uint32_t cp)
{
	uint32_t got;

	return utf8_decode((const unsigned char *)s, len, &got) == n &&
	    got == cp;
}

int
main(void)
{
	char   small[16];
	size_t n;

	plan(23);
	ok(decodes("a", 1, 1, 'a') && decodes("\xc3\xa9", 2, 2, 0xe9) &&
		decodes("\xe2\x80\xae", 3, 3, 0x202e) &&
		decodes("\xf0\x9f\x93\xa7", 4, 4, 0x1f4e7),
	    "one to four byte characters decode");
	ok(decodes("\xc0\xaf", 2, 1, UTF8_INVALID) &&
		decodes("\xe0\x80\xaf", 3, 1, UTF8_INVALID) &&
		decodes("\xf0\x80\x80\xaf", 4, 1, UTF8_INVALID),
	    "overlong forms are ill-formed");
	ok(decodes("\xed\xa0\x80", 3, 1, UTF8_INVALID),
	    "a surrogate (U+D800) is ill-formed");
	ok(decodes("\xf4\x90\x80\x80", 4, 1, UTF8_INVALID) &&
		decodes("\xf5\x80\x80\x80", 4, 1, UTF8_INVALID),
	    "past U+10FFFF is ill-formed");
	ok(decodes("\xe2\x80", 2, 2, UTF8_INVALID) &&
		decodes("\xe2\x80x", 3, 2, UTF8_INVALID) &&
		decodes("\x80", 1, 1, UTF8_INVALID) &&
		decodes("\xff", 1, 1, UTF8_INVALID),
	    "truncated sequences and stray bytes: the maximal subpart");
	ok(utf8_is_bidi_control(0x202e) && utf8_is_bidi_control(0x2066) &&
		utf8_is_bidi_control(0x200f) && utf8_is_bidi_control(0x061c) &&
		!utf8_is_bidi_control(0x2028) && !utf8_is_bidi_control('a'),
	    "the bidirectional controls are known");

	is_str(LIT("plain"), "\"plain\"", "plain text is quoted");
	is_str(LIT("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash");
	is_str(LIT("\n\x01\x1f\x7f"), "\"\\u000a\\u0001\\u001f\\u007f\"",
	    "control characters and DEL as \\u");
	is_str(LIT("<b>&amp;</b>"),
	    "\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\"",
	    "<, > and & are escaped");
	is_str(LIT("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x93\xa7"),
	    "\"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x93\xa7\"",
	    "well-formed UTF-8 is copied");
	is_str(LIT("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"",
	    "the JavaScript line separators are escaped");
	is_str(LIT("\xff\xfe"), "\"\\ufffd\\ufffd\"",
	    "each stray byte becomes U+FFFD");
	is_str(LIT("a\xe2\x80z"), "\"a\\ufffdz\"",
	    "a truncated sequence becomes one U+FFFD");
	is_str(LIT("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "a surrogate's three bytes become three U+FFFD");
	is_str(lit("a\0b", 3), "\"a\\u0000b\"", "a NUL inside the length");
	is_str(LIT(""), "\"\"", "the empty string");

	n = jsonstr_quote(NULL, 0, "<x>", 3);
	is_int(n, 15, "a cap of 0 measures the whole literal");
	n = jsonstr_quote(
	    small, sizeof(small), "abcdefghijklmnopqrstuvwxyz", 26);
	ok(n == 28 && strcmp(small, "\"abcdefghijklm\"") == 0,
	    "a cut literal is closed and NUL terminated");
	n = jsonstr_quote(small, sizeof(small), "abcdefghijk<", 12);
	is_str(small, "\"abcdefghijk\"",
	    "an escape that does not fit is left out");
	n = jsonstr_quote(small, sizeof(small), "abcdefghijk\xe2\x80\x94", 14);
	is_str(small, "\"abcdefghijk\"",
	    "a character that does not fit is left out whole");
	n = jsonstr_quote(small, sizeof(small), "ab<cdefghijklmn", 15);
	is_str(small, "\"ab\\u003ccdefg\"",
	    "the cut falls after the last character that fits");
	n = jsonstr_quote(small, 2, "abc", 3);
	ok(n == 5 && small[0] == '\0', "a cap too small for \"\" gets \"\"");
	return tap_done();
}
