/*
 * fuzz_import.c -- libFuzzer target for the CSV text `spamtrendd import`
 * reads: nothing may crash, and a file taken without problems must be
 * consistent (rows rising by one spacing, counts within the cell limit).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/import.h"

#define FUZZ_NOW  1226448060LL
#define FUZZ_STEP 60

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

/* Parse one CSV text and check the rows of an accepted one. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_file f;
	size_t		   i, nerr;

	memset(&f, 0, sizeof(f));
	nerr = import_parse((const char *)data, size, "fuzz.csv", fuzz_cats, 4,
	    FUZZ_STEP, FUZZ_NOW, &f, NULL);
	if (nerr > 0) {
		if (f.nrows != 0 || f.known != NULL || f.counts != NULL)
			abort();
		return 0;
	}
	if (f.res == 0 || f.res % FUZZ_STEP != 0)
		abort();
	for (i = 0; i < f.nrows; i++) {
		unsigned c;

		if (f.known[i] > 1 || (i > 0 && f.lines[i] <= f.lines[i - 1]))
			abort();
		for (c = 0; c < 4; c++)
			if (f.counts[i * 4 + c] > 1000000000000000ULL ||
			    (!f.known[i] && f.counts[i * 4 + c] != 0))
				abort();
		/* Rows follow each other at one spacing; counts are not ahead. */
		if (f.known[i] &&
		    f.first_end + (int64_t)f.res * (int64_t)i >
			FUZZ_NOW + FUZZ_STEP)
			abort();
	}
	if (f.nrows > 0 && (f.first_end <= 0 || f.first_end % FUZZ_STEP != 0))
		abort();
	import_file_clear(&f);
	return 0;
}
