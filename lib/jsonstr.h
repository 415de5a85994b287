/*
 * jsonstr.h -- the one renderer of JSON string literals.
 *
 * Every string the collector puts in a JSON body goes through here, so
 * every body is valid UTF-8 and safe to embed in HTML: '"' and '\' are
 * escaped, as are the control characters, DEL, '<', '>', '&', U+2028 and
 * U+2029 (as \u00XX / \u20XX); well-formed UTF-8 is copied; each
 * ill-formed part (see utf8.h) becomes \ufffd, the replacement character,
 * so a client that sent bytes that are not UTF-8 reads back a visible
 * marker instead of a body that no JSON parser accepts.  Pure.
 */
#ifndef ST_JSONSTR_H
#define ST_JSONSTR_H

#include <stddef.h>

/*
 * Write s[0..len) as a JSON string literal, quotes included, to out (cap
 * bytes; out may be NULL when cap is 0).  Returns the length of the whole
 * literal without the NUL, as snprintf does.  When that is cap or more the
 * literal is cut before the first character that does not fit, still
 * closed by its quote and NUL terminated (cap >= 3; a smaller cap gets "").
 */
size_t jsonstr_quote(char *out, size_t cap, const char *s, size_t len);

#endif
