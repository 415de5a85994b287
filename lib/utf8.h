/*
 * utf8.h -- strict UTF-8 decoding, for checking and escaping text that
 * came from a client.
 *
 * Strict as in RFC 3629 and Unicode 15 section 3.9: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing past U+10FFFF.  Pure.
 */
#ifndef ST_UTF8_H
#define ST_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_INVALID 0xffffffffU

/*
 * Decode the character at p, of which len > 0 bytes are available.
 * Returns how many bytes it takes (1 to 4) and sets *cp.  For ill-formed
 * bytes *cp is UTF8_INVALID and the return is the length of the maximal
 * ill-formed subpart (at least 1), so that replacing each such part with
 * U+FFFD follows Unicode's recommended practice.
 */
size_t utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);

/*
 * 1 when cp is a bidirectional formatting control (U+061C, U+200E,
 * U+200F, U+202A..U+202E, U+2066..U+2069): characters that reorder the
 * text around them on screen (the "Trojan Source" trick).
 */
int utf8_is_bidi_control(uint32_t cp);

#endif
