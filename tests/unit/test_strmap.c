/*
 * test_strmap.c -- the keyed hash (SipHash-2-4 against the reference
 * vectors) and the string map: growth, replacement, deletion, sweeping,
 * and keys chosen to collide under the old unkeyed hash (FNV-1a).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/siphash.h"
#include "lib/strmap.h"
#include "tap.h"

#define NFLOOD	      20000
#define FLOOD_BUCKETS 32768 /* the table size 20,000 keys grow a map to */

/*
 * SipHash-2-4 of the messages 00, 00 01, 00 01 02, ... (0 to 63 bytes)
 * under the key 00 01 .. 0f: the reference implementation's vectors.
 */
static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ULL,
    0x74f839c593dc67fdULL,
    0x0d6c8009d9a94f5aULL,
    0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL,
    0x18765564cd99a68dULL,
    0xcbc9466e58fee3ceULL,
    0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL,
    0x9e0082df0ba9e4b0ULL,
    0x7a5dbbc594ddb9f3ULL,
    0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL,
    0x14ea5627c0843d90ULL,
    0xf723ca908e7af2eeULL,
    0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL,
    0x699ae9f52cbe4794ULL,
    0x4bc1b3f0968dd39cULL,
    0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL,
    0xd0f2cbb02e3b67c7ULL,
    0x93536795e3a33e88ULL,
    0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL,
    0xbce192de8a85b8eaULL,
    0x17d835b85bbb15f3ULL,
    0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL,
    0xa6a2506687956571ULL,
    0xad87a3535c49ef28ULL,
    0x32d892fad841c342ULL,
    0x7127512f72f27cceULL,
    0xa7f32346f95978e3ULL,
    0x12e0b01abb051238ULL,
    0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL,
    0x027990f029623981ULL,
    0xcadcd4e59ef40c4dULL,
    0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL,
    0xad0c42d6fc585992ULL,
    0x187306c89bc215a9ULL,
    0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL,
    0xa9538f0419755787ULL,
    0xdb9acddff56ca510ULL,
    0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL,
    0xc766e62cfcadaf96ULL,
    0xee64435a9752fe72ULL,
    0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL,
    0x81b3e73d20b49b6fULL,
    0x7fa8220ba3b2eceaULL,
    0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL,
    0xea1ad565322a1a0bULL,
    0x60e61c23a3795013ULL,
    0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL,
    0x9f626da15c9625f3ULL,
    0xe51b38608ef25f57ULL,
    0x958a324ceb064572ULL,
};

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

/* FNV-1a 64 of s: the unkeyed hash strmap used before, as a reference. */
static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Key number i, with a three-character suffix chosen so that its FNV-1a
 * hash is 0 in the low 15 bits: bucket 0 of a 32768-bucket table.  The low
 * bits of FNV-1a depend only on the low bits of its state, so the suffix is
 * found by trying two characters and solving for the third.
 */
static int
flood_key(char *key, size_t len, size_t i)
{
	const uint64_t prime = 0x100000001b3ULL;
	uint64_t       h, t;
	int	       a, b, n;

	n = snprintf(
	    key, len, "mx1.example.com tail-%zu/mail_counter-spam:", i);
	h = fnv1a(key);
	for (a = 0x21; a < 0x7f; a++)
		for (b = 0x21; b < 0x7f; b++) {
			t = ((h ^ (uint64_t)a) * prime ^ (uint64_t)b) * prime;
			t &= FLOOD_BUCKETS - 1;
			/* (t ^ c) * prime is 0 mod 2^15 exactly when c == t. */
			if (t < 0x21 || t > 0x7e)
				continue;
			key[n] = (char)a;
			key[n + 1] = (char)b;
			key[n + 2] = (char)t;
			key[n + 3] = '\0';
			return 0;
		}
	return -1;
}

/* Keys that all share one bucket under FNV-1a spread under the keyed hash. */
static void
test_flood(void)
{
	struct strmap *m = strmap_create();
	char(*keys)[64];
	size_t i, same = 0, wrong = 0;

	if ((keys = calloc(NFLOOD, sizeof(*keys))) == NULL)
		abort();
	for (i = 0; i < NFLOOD; i++) {
		if (flood_key(keys[i], sizeof(keys[i]), i) == -1)
			abort();
		same += (fnv1a(keys[i]) & (FLOOD_BUCKETS - 1)) == 0;
	}
	is_int(same, NFLOOD,
	    "20000 chosen keys all fall in bucket 0 of 32768 under FNV-1a");
	for (i = 0; i < NFLOOD; i++)
		strmap_put(m, keys[i], keys[i]);
	is_int(strmap_buckets(m), FLOOD_BUCKETS,
	    "the map grew to the table size the keys were chosen for");
	ok(strmap_longest_chain(m) <= 12,
	    "under the keyed hash no chain is longer than 12 (FNV-1a: 20000)");
	diag("  longest chain %zu", strmap_longest_chain(m));
	for (i = 0; i < NFLOOD; i++)
		if (strmap_get(m, keys[i]) != keys[i])
			wrong++;
	is_int(wrong, 0, "every chosen key finds its value");
	strmap_free(m);
	free(keys);
}

/* SipHash-2-4 against the 64 reference vectors. */
static void
test_siphash(void)
{
	uint8_t key[SIPHASH_KEY_LEN], msg[64];
	size_t	i, wrong = 0;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < 64; i++)
		if (siphash24(key, msg, i) != sip_vectors[i]) {
			diag("  length %zu: got %016llx", i,
			    (unsigned long long)siphash24(key, msg, i));
			wrong++;
		}
	is_int(wrong, 0, "SipHash-2-4 matches the 64 reference vectors");
	key[0] ^= 1;
	ok(siphash24(key, msg, 15) != sip_vectors[15],
	    "another key gives another hash");
}

int
main(void)
{
	plan(22);
	test_siphash();
	test_strmap();
	test_flood();
	return tap_done();
}
