/*
 * fuzz_source.c -- libFuzzer target for source name normalisation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Normalise the bytes and check that the result is a stable, valid name. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		out[ST_SOURCE_MAX + 1], again[ST_SOURCE_MAX + 1], *copy;
	struct st_error e;
	size_t		i, len;

	if (source_normalise((const char *)data, size, out, "source", &e) ==
	    -1) {
		if (e.kind != ERR_INVALID || strcmp(e.code, "bad_source") != 0)
			abort();
	} else {
		len = strlen(out);
		if (len == 0 || len > ST_SOURCE_MAX || len > size)
			abort();
		for (i = 0; i < len; i++)
			if (!((out[i] >= 'a' && out[i] <= 'z') ||
				(out[i] >= '0' && out[i] <= '9') ||
				out[i] == '-' || out[i] == '.'))
				abort();
		if (!source_is_valid_name(out))
			abort();
		if (source_normalise(out, len, again, "source", &e) == -1 ||
		    strcmp(out, again) != 0)
			abort();
	}
	/*
	 * The same bytes as a C string must not crash the quick check, and a
	 * valid name other than the totals (which no reporter may send)
	 * normalises to itself.
	 */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (source_is_valid_name(copy) && !source_is_total(copy) &&
	    (source_normalise(copy, strlen(copy), out, "source", &e) == -1 ||
		strcmp(out, copy) != 0))
		abort();
	free(copy);
	return 0;
}
