/*
 * jsonstr.c -- JSON string literals (see jsonstr.h).
 *
 * Owns the escaping rules.  It builds no objects and knows no buffer type:
 * callers size their buffer with a first call (cap 0) or accept a cut.
 */
#include "jsonstr.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"

/* Write \uXXXX for cp (at most U+FFFF) to piece; returns 6. */
static size_t
jsonstr_u(char *piece, uint32_t cp)
{
	static const char hex[] = "0123456789abcdef";

	piece[0] = '\\';
	piece[1] = 'u';
	piece[2] = hex[(cp >> 12) & 0xf];
	piece[3] = hex[(cp >> 8) & 0xf];
	piece[4] = hex[(cp >> 4) & 0xf];
	piece[5] = hex[cp & 0xf];
	return 6;
}

/* The text of one character (n bytes at p, decoded as cp) in a literal. */
static size_t
jsonstr_piece(const unsigned char *p, size_t n, uint32_t cp, char *piece)
{
	if (cp == UTF8_INVALID)
		return jsonstr_u(piece, 0xfffd);
	if (cp == '"' || cp == '\\') {
		piece[0] = '\\';
		piece[1] = (char)cp;
		return 2;
	}
	if (cp < 0x20 || cp == 0x7f || cp == '<' || cp == '>' || cp == '&' ||
	    cp == 0x2028 || cp == 0x2029)
		return jsonstr_u(piece, cp);
	memcpy(piece, p, n);
	return n;
}

/* Write s[0..len) as a JSON string literal; see jsonstr.h. */
size_t
jsonstr_quote(char *out, size_t cap, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char		     piece[8];
	size_t		     need = 2, o = 0, i = 0, n, k;
	uint32_t	     cp;
	int		     full = cap < 3;

	if (!full)
		out[o++] = '"';
	while (i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		k = jsonstr_piece(p + i, n, cp, piece);
		i += n;
		need += k;
		/* Room for the piece, the closing quote and the NUL. */
		if (full || o + k + 2 > cap) {
			full = 1;
			continue;
		}
		memcpy(out + o, piece, k);
		o += k;
	}
	if (cap >= 3) {
		out[o++] = '"';
		out[o] = '\0';
	} else if (cap > 0)
		out[0] = '\0';
	return need;
}
