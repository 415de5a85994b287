/*
 * test_idem.c -- idempotency keys (pending, durable, expiry, scoping).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/idem.h"
#include "lib/limits.h"
#include "tap.h"

int
main(void)
{
	struct idem		*t;
	const struct idem_entry *e;
	char k1[ST_SOURCE_MAX + ST_KEY_MAX + 2], k2[sizeof(k1)], k3[sizeof(k1)];
	char src[ST_SOURCE_MAX + 1], id[ST_KEY_MAX + 1];

	plan(21);

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

	return tap_done();
}
