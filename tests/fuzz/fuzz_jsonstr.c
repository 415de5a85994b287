/*
 * fuzz_jsonstr.c -- libFuzzer target for the JSON string renderer: any
 * bytes, at any buffer size, give a literal that a JSON parser accepts,
 * that holds no raw <, > or &, and that reads back as the input when the
 * input was well-formed UTF-8 without NUL.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonstr.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when the len bytes at p are well-formed UTF-8 without NUL. */
static int
fuzz_clean(const uint8_t *p, size_t len)
{
	size_t	 i, n;
	uint32_t cp;

	for (i = 0; i < len; i += n) {
		n = utf8_decode(p + i, len - i, &cp);
		if (cp == UTF8_INVALID || cp == 0)
			return 0;
	}
	return 1;
}

/* Render the input whole and cut, and parse both back. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t	    *v;
	char	    *out;
	size_t	     need, cap, len;

	need = jsonstr_quote(NULL, 0, (const char *)data, size);
	if ((out = malloc(need + 1)) == NULL)
		return 0;
	for (cap = need + 1;; cap = cap / 2 + 1) {
		len = jsonstr_quote(out, cap, (const char *)data, size);
		if (len != need || strlen(out) >= cap ||
		    strpbrk(out, "<>&") != NULL)
			abort();
		if (cap >= 3) {
			if ((v = json_loadb(out, strlen(out),
				 JSON_DECODE_ANY | JSON_ALLOW_NUL, &je)) ==
				NULL ||
			    !json_is_string(v))
				abort();
			if (cap == need + 1 && fuzz_clean(data, size) &&
			    (json_string_length(v) != size ||
				memcmp(json_string_value(v), data, size) != 0))
				abort();
			json_decref(v);
		}
		if (cap <= 3)
			break;
	}
	free(out);
	return 0;
}
