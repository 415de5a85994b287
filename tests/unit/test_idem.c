/*
 * test_idem.c -- idempotency keys (pending, durable, expiry, scoping) and
 * the string map underneath them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/idem.h"
#include "lib/limits.h"
#include "lib/strmap.h"
#include "tap.h"

#define NKEYS 100000

/* The value stored for key number i (never NULL). */
#define VAL(i) ((void *)(uintptr_t)((i) + 1))

/* Sweep callback: delete entries with an odd number, count visits. */
static int
sweep_odd(void *arg, const char *key, void *value)
{
	size_t *visits = arg;

	(*visits)++;
	return ((uintptr_t)value - 1) % 2 == 1;
}

/* Sweep callback counting visits and keeping everything. */
static int
sweep_count(void *arg, const char *key, void *value)
{
	(*(size_t *)arg)++;
	return 0;
}

/* Run the string map through growth, replacement, deletion and sweeping. */
static void
test_strmap(void)
{
	struct strmap *m = strmap_create();
	char	       key[32], scratch[32];
	const char    *copy, *copy2;
	size_t	       i, wrong, visits;

	ok(strmap_hash("") == 0xcbf29ce484222325ULL &&
		strmap_hash("a") == 0xaf63dc4c8601ec8cULL &&
		strmap_hash("foobar") == 0x85944171f73967e8ULL,
	    "strmap_hash is FNV-1a 64 (published test vectors)");
	ok(strmap_get(m, "missing") == NULL && strmap_count(m) == 0,
	    "an empty map finds nothing");

	snprintf(scratch, sizeof(scratch), "volatile");
	copy = strmap_put(m, scratch, VAL(7));
	memset(scratch, 'x', 8);
	ok(strmap_get(m, "volatile") == VAL(7) && copy != scratch &&
		strcmp(copy, "volatile") == 0,
	    "the key is copied into the map");
	copy2 = strmap_put(m, "volatile", VAL(8));
	ok(copy2 == copy && strmap_get(m, "volatile") == VAL(8) &&
		strmap_count(m) == 1,
	    "put on an existing key replaces the value and keeps the key copy");
	ok(strmap_put(m, "", VAL(9)) != NULL && strmap_get(m, "") == VAL(9),
	    "the empty string is a key");
	ok(strmap_del(m, "volatile") == VAL(8) && strmap_del(m, "") == VAL(9) &&
		strmap_count(m) == 0,
	    "del returns the values and empties the map");
	ok(strmap_del(m, "volatile") == NULL,
	    "del of a missing key returns NULL");

	for (i = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "key-%zu", i);
		strmap_put(m, key, VAL(i));
	}
	is_int(strmap_count(m), NKEYS, "100000 keys are counted");
	for (i = 0, wrong = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "key-%zu", i);
		if (strmap_get(m, key) != VAL(i))
			wrong++;
	}
	is_int(wrong, 0, "every key finds its own value after growth");
	ok(strmap_get(m, "key-100000") == NULL &&
		strmap_get(m, "key-") == NULL &&
		strmap_get(m, "key-00") == NULL,
	    "near misses are not found");

	for (i = 0; i < NKEYS; i += 4) {
		snprintf(key, sizeof(key), "key-%zu", i);
		if (strmap_del(m, key) != VAL(i))
			wrong++;
	}
	is_int(wrong, 0, "deleting every fourth key returns its value");
	is_int(
	    strmap_count(m), NKEYS - NKEYS / 4, "the count drops by a quarter");
	for (i = 0, wrong = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "key-%zu", i);
		if (strmap_get(m, key) != (i % 4 == 0 ? NULL : VAL(i)))
			wrong++;
	}
	is_int(wrong, 0, "deleted keys are gone, the others stay");

	visits = 0;
	strmap_sweep(m, sweep_odd, &visits);
	is_int(
	    visits, NKEYS - NKEYS / 4, "sweep visits every entry exactly once");
	is_int(strmap_count(m), NKEYS / 4, "sweep deleted the odd entries");
	for (i = 0, wrong = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "key-%zu", i);
		if (strmap_get(m, key) != (i % 4 == 2 ? VAL(i) : NULL))
			wrong++;
	}
	is_int(wrong, 0, "exactly the kept entries remain after the sweep");
	visits = 0;
	strmap_sweep(m, sweep_count, &visits);
	ok(visits == NKEYS / 4 && strmap_count(m) == NKEYS / 4,
	    "a sweep that keeps everything changes nothing");
	strmap_free(m);
}

int
main(void)
{
	struct idem		*t;
	const struct idem_entry *e;
	char k1[ST_SOURCE_MAX + ST_KEY_MAX + 2], k2[sizeof(k1)], k3[sizeof(k1)];
	char src[ST_SOURCE_MAX + 1], id[ST_KEY_MAX + 1];

	plan(38);

	/* Keys are scoped by source. */
	idem_key(k1, sizeof(k1), "mx1.example.com", "retry-1");
	idem_key(k2, sizeof(k2), "mx2.example.com", "retry-1");
	idem_key(k3, sizeof(k3), "mx1.example.com", "retry-2");
	ok(strcmp(k1, k2) != 0, "the same id from two sources gives two keys");
	ok(strcmp(k1, k3) != 0, "two ids from one source give two keys");
	memset(src, 'a', ST_SOURCE_MAX);
	src[ST_SOURCE_MAX] = '\0';
	memset(id, 'b', ST_KEY_MAX);
	id[ST_KEY_MAX] = '\0';
	{
		char big[ST_SOURCE_MAX + ST_KEY_MAX + 2];

		idem_key(big, sizeof(big), src, id);
		ok(strlen(big) == ST_SOURCE_MAX + 1 + ST_KEY_MAX &&
			big[strlen(big) - 1] == 'b',
		    "the longest source and id fit the documented buffer size");
	}

	t = idem_create();
	ok(idem_find(t, k1) == NULL && idem_count(t) == 0,
	    "a new table is empty");

	/* PENDING, then DURABLE. */
	idem_add_pending(t, k1, 42);
	e = idem_find(t, k1);
	ok(e != NULL && e->state == IDEM_PENDING && e->hash == 42,
	    "add_pending records the hash as PENDING");
	ok(idem_find(t, k2) == NULL,
	    "the same id from another source is not found");
	idem_commit(t, k1, 42, 1000);
	e = idem_find(t, k1);
	ok(e != NULL && e->state == IDEM_DURABLE && e->expires == 1000,
	    "commit makes it DURABLE with its expiry");
	idem_commit(t, k1, 42, 900);
	is_int(idem_find(t, k1)->expires, 1000,
	    "a later commit never shortens the expiry");
	idem_commit(t, k1, 42, 1100);
	is_int(idem_find(t, k1)->expires, 1100, "a later commit may extend it");
	idem_abort(t, k1);
	ok(idem_find(t, k1) != NULL && idem_find(t, k1)->state == IDEM_DURABLE,
	    "abort leaves a DURABLE key alone");

	/* Abort forgets only a PENDING key. */
	idem_add_pending(t, k2, 7);
	is_int(idem_count(t), 2, "two keys");
	idem_abort(t, k2);
	ok(idem_find(t, k2) == NULL && idem_count(t) == 1,
	    "abort forgets a PENDING key");
	idem_abort(t, "never.example.com x");
	is_int(idem_count(t), 1, "abort of an unknown key changes nothing");

	/* Commit without pending (replay) adds the key. */
	idem_commit(t, k2, 9, 500);
	e = idem_find(t, k2);
	ok(e != NULL && e->state == IDEM_DURABLE && e->hash == 9 &&
		e->expires == 500,
	    "commit of an unknown key adds it as DURABLE (replay)");

	/* Expiry. */
	idem_add_pending(t, k3, 5);
	is_int(idem_expire(t, 500), 0, "a key expiring at now is kept");
	is_int(idem_expire(t, 501), 1, "a key expired before now is removed");
	ok(idem_find(t, k2) == NULL && idem_find(t, k1) != NULL,
	    "only the expired key went");
	is_int(idem_expire(t, INT64_MAX), 1,
	    "at the end of time only DURABLE keys expire");
	ok(idem_find(t, k3) != NULL &&
		idem_find(t, k3)->state == IDEM_PENDING && idem_count(t) == 1,
	    "expire keeps PENDING entries");

	/* A retry of a durable key that is written again becomes PENDING. */
	idem_commit(t, k1, 1, 100);
	idem_add_pending(t, k1, 2);
	e = idem_find(t, k1);
	ok(e != NULL && e->state == IDEM_PENDING && e->hash == 2 &&
		e->expires == 0,
	    "add_pending replaces a DURABLE entry");
	is_int(idem_expire(t, INT64_MAX), 0,
	    "and it no longer expires while PENDING");
	idem_free(t);

	test_strmap();
	return tap_done();
}
