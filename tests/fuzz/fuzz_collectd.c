/*
 * fuzz_collectd.c -- libFuzzer target for POST /api/v1/collectd bodies:
 * the first byte picks the format (even: JSON value lists, odd: PUTVAL
 * lines) and whether ingest takes the body (bit 1); the rest is the body.
 * One state lives across inputs, with small caps and a clock that moves,
 * so caps, expiry and settling are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api.h"
#include "collector/collectd.h"
#include "lib/source.h"

#define FUZZ_NOW 1226448060LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

/* The daemon's default limits, with a small batch. */
static const struct submission_rules fuzz_rules = {
    fuzz_cats, 4, 60, 3600, 50, 8, 300, 0, 1000000000ULL};

static const struct collectd_limits fuzz_limits = {16, 8, 600};

static struct collectd_map    fuzz_map;
static struct collectd_state *fuzz_state;
static int64_t		      fuzz_clock = FUZZ_NOW;

/* Parse one body and check what the parser promises about its output. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submission      *subs = NULL;
	struct collectd_change *change = NULL;
	struct collectd_result	res;
	struct st_error		e;
	char			err[256];
	size_t			n = 0, i, keys, sources;
	unsigned		c;

	if (size < 1)
		return 0;
	if (fuzz_state == NULL) {
		if (collectd_map_parse(&fuzz_map,
			"mail_counter/spam=spam,mail_counter/ham=ham,"
			"tail/mail_counter/virus=virus:derive,"
			"mail/in:rx=rejected:counter,gauge/x=ham:gauge",
			fuzz_cats, 4, err, sizeof(err)) == -1)
			abort();
		fuzz_state = collectd_state_create(&fuzz_limits);
	}
	fuzz_clock += 7;
	keys = collectd_state_keys(fuzz_state);
	sources = collectd_state_sources(fuzz_state);
	memset(&e, 0, sizeof(e));
	if (collectd_parse((const char *)data + 1, size - 1, data[0] & 1,
		&fuzz_map, &fuzz_rules, fuzz_state, fuzz_clock, NULL, NULL,
		&subs, &n, &change, &res, &e) == -1) {
		if (subs != NULL || n != 0 || change != NULL ||
		    api_error_status(e.kind) < 400 ||
		    api_error_status(e.kind) > 503 || e.code[0] == '\0')
			abort();
		/* A refused body may expire idle state, never add any. */
		if (collectd_state_keys(fuzz_state) > keys ||
		    collectd_state_sources(fuzz_state) > sources)
			abort();
		return 0;
	}
	if (n > fuzz_rules.max_batch || (n == 0) != (subs == NULL))
		abort();
	for (i = 0; i < n; i++) {
		if (!source_is_valid_name(subs[i].source) ||
		    subs[i].time <= 0 ||
		    subs[i].time > fuzz_clock + fuzz_rules.max_future ||
		    subs[i].interval < 1 ||
		    subs[i].interval > fuzz_rules.max_interval ||
		    subs[i].hash != submission_hash(&subs[i], 4))
			abort();
		for (c = 0; c < ST_MAX_CATEGORIES; c++)
			if (subs[i].counts[c] > fuzz_rules.max_count ||
			    (c >= 4 && subs[i].counts[c] != 0))
				abort();
	}
	collectd_settle(fuzz_state, change, (data[0] & 2) == 0, fuzz_clock);
	if (collectd_state_sources(fuzz_state) > fuzz_limits.max_sources ||
	    collectd_state_keys(fuzz_state) >
		fuzz_limits.max_sources * fuzz_limits.max_values)
		abort();
	free(subs);
	return 0;
}
