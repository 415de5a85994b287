/*
 * fuzz_body.c -- libFuzzer target for POST /api/v1/counts bodies: gunzip
 * (when the bytes start like gzip) and then parse and validate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api.h"
#include "collector/inflate.h"
#include "lib/source.h"
#include "collector/submission.h"

#define FUZZ_NOW 1226448060LL
#define FUZZ_CAP (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

/* The daemon's default limits. */
static const struct submission_rules fuzz_rules = {
    fuzz_cats, 4, 60, 3600, 1000, 8, 300, 0, 1000000000ULL};

/* Abort unless s is printable ASCII, as every error field must be. */
static void
fuzz_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

/* Decode one body and check what the parser promises about its output. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submission *subs = NULL;
	struct st_error	   e;
	const char	  *body = (const char *)data;
	char		  *inflated = NULL;
	size_t		   len = size, n = 0, i;
	unsigned	   c;

	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		if (inflate_gzip(data, size, FUZZ_CAP, &inflated, &len, &e) ==
		    -1) {
			if (inflated != NULL ||
			    (e.kind != ERR_BAD_INPUT &&
				e.kind != ERR_TOO_LARGE))
				abort();
			return 0;
		}
		if (len > FUZZ_CAP || inflated[len] != '\0')
			abort();
		body = inflated;
	}
	memset(&e, 0, sizeof(e));
	if (submission_parse(body, len, &fuzz_rules, FUZZ_NOW, &subs, &n, &e) ==
	    -1) {
		if (subs != NULL || n != 0 || api_error_status(e.kind) < 400 ||
		    api_error_status(e.kind) > 503 || e.code[0] == '\0')
			abort();
		fuzz_printable(e.field);
		fuzz_printable(e.detail);
		goto done;
	}
	if (n < 1 || n > fuzz_rules.max_batch)
		abort();
	for (i = 0; i < n; i++) {
		if (!source_is_valid_name(subs[i].source) ||
		    subs[i].time <= 0 ||
		    subs[i].time > FUZZ_NOW + fuzz_rules.max_future ||
		    subs[i].interval < 1 ||
		    subs[i].interval > fuzz_rules.max_interval)
			abort();
		for (c = 0; c < ST_MAX_CATEGORIES; c++)
			if (subs[i].counts[c] > fuzz_rules.max_count ||
			    (c >= fuzz_rules.ncategories &&
				subs[i].counts[c] != 0))
				abort();
		fuzz_printable(subs[i].id);
	}
done:
	free(subs);
	free(inflated);
	return 0;
}
