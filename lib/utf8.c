/*
 * utf8.c -- the UTF-8 decoder behind event texts and JSON output.
 *
 * Owns the table of well-formed byte sequences (Unicode 15, table 3-7) and
 * the list of bidirectional controls.  It does not decide what a caller
 * does with a bad sequence: the JSON renderer replaces it, the events
 * check refuses it.
 */
#include "utf8.h"

/* Decode one character; see utf8.h. */
size_t
utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf, c = p[0];
	size_t	      need, i;
	uint32_t      v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* no overlong forms */
		else if (c == 0xf4)
			hi = 0x8f; /* nothing past U+10FFFF */
	} else {
		*cp = UTF8_INVALID; /* a continuation byte, C0, C1, F5..FF */
		return 1;
	}
	for (i = 1; i < need; i++) {
		if (i >= len || p[i] < lo || p[i] > hi) {
			*cp = UTF8_INVALID;
			return i;
		}
		v = (v << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need;
}

/* 1 when cp reorders text on screen. */
int
utf8_is_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}
