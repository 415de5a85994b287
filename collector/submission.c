/*
 * submission.c -- decoding and validating POST /api/v1/counts bodies.
 *
 * The only ingest module that includes <jansson.h>.  It owns the JSON rules
 * (shape, names, bounds) and the retry hash; it does not know about HTTP,
 * journals or quotas, and it reads no clock: the time of receipt is passed in.
 */
#include "submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../lib/random.h"
#include "../lib/source.h"

#define SUB_NAME_SHOWN 32 /* bytes of an untrusted name put in a field */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

/* Fold len bytes into the FNV-1a state h. */
static uint64_t
submission_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t		     i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Fold v into h as 8 little-endian bytes, so the hash is the same everywhere. */
static uint64_t
submission_fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char b[8];
	int	      i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return submission_fnv(h, b, sizeof(b));
}

/* The hash of one submission's content, from its parts. */
static uint64_t
submission_fnv_parts(const char *source, int64_t time, uint32_t interval,
    const uint64_t *counts, unsigned ncategories)
{
	uint64_t h = FNV_OFFSET;
	unsigned i;

	h = submission_fnv(h, source, strlen(source) + 1);
	h = submission_fnv_u64(h, (uint64_t)time);
	h = submission_fnv_u64(h, interval);
	if (ncategories > ST_MAX_CATEGORIES)
		ncategories = ST_MAX_CATEGORIES;
	for (i = 0; i < ncategories; i++)
		h = submission_fnv_u64(h, counts[i]);
	return h;
}

/* Hash s as it stands; see submission.h for how it relates to s->hash. */
uint64_t
submission_hash(const struct submission *s, unsigned ncategories)
{
	return submission_fnv_parts(
	    s->source, s->time, s->interval, s->counts, ncategories);
}

/* Write prefix then name (both trusted) to dst; cheap, for the hot path. */
static void
submission_join(char *dst, size_t dstlen, const char *prefix, const char *name)
{
	size_t a = strlen(prefix), b = strlen(name);

	if (a >= dstlen)
		a = dstlen - 1;
	memcpy(dst, prefix, a);
	if (b > dstlen - 1 - a)
		b = dstlen - 1 - a;
	memcpy(dst + a, name, b);
	dst[a + b] = '\0';
}

/*
 * Write prefix followed by untrusted text to dst, with bytes outside
 * printable ASCII shown as \xNN and the text cut after max bytes, so what
 * reaches the client stays short and printable.
 */
static void
submission_escape(
    char *dst, size_t dstlen, const char *prefix, const char *name, size_t max)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t		     o, shown = 0;
	int		     n;

	n = snprintf(dst, dstlen, "%s", prefix);
	if (n < 0 || (size_t)n >= dstlen)
		return;
	o = (size_t)n;
	for (; *p != '\0'; p++) {
		if (shown == max) {
			snprintf(dst + o, dstlen - o, "...");
			return;
		}
		if (*p < 0x20 || *p >= 0x7f)
			n = snprintf(dst + o, dstlen - o, "\\x%02x", *p);
		else
			n = snprintf(dst + o, dstlen - o, "%c", *p);
		if (n < 0 || (size_t)n >= dstlen - o)
			return;
		o += (size_t)n;
		shown++;
	}
}

/* Write prefix and an untrusted JSON key to dst as a printable field path. */
static void
submission_path(char *dst, size_t dstlen, const char *prefix, const char *name)
{
	submission_escape(dst, dstlen, prefix, name, SUB_NAME_SHOWN);
}

/* Refuse a tree nested deeper than max (the top level is depth 1). */
static int
submission_check_depth(
    json_t *j, unsigned depth, unsigned max, struct st_error *e)
{
	const char *key;
	json_t	   *v;
	size_t	    i;

	if (!json_is_object(j) && !json_is_array(j))
		return 0;
	if (depth > max)
		return err_set(e, ERR_BAD_INPUT, "too_deep", "body",
		    "JSON nested deeper than %u levels", max);
	if (json_is_object(j)) {
		json_object_foreach(j, key, v)
		{
			if (submission_check_depth(v, depth + 1, max, e) == -1)
				return -1;
		}
	} else {
		json_array_foreach(j, i, v)
		{
			if (submission_check_depth(v, depth + 1, max, e) == -1)
				return -1;
		}
	}
	return 0;
}

/* Validate the "counts" object v into s->counts. */
static int
submission_counts(json_t *v, const struct submission_rules *r,
    const char *prefix, struct submission *s, struct st_error *e)
{
	char	    field[sizeof(e->field)], base[sizeof(e->field)];
	uint64_t    max = r->max_count;
	const char *key;
	json_int_t  c;
	json_t	   *cv;
	unsigned    i;

	if (max > ST_COUNT_MAX)
		max = ST_COUNT_MAX;
	submission_join(base, sizeof(base), prefix, "counts.");
	if (!json_is_object(v)) {
		submission_join(field, sizeof(field), prefix, "counts");
		return err_set(e, ERR_INVALID, "bad_count", field,
		    "counts must be an object of category: count");
	}
	json_object_foreach(v, key, cv)
	{
		for (i = 0; i < r->ncategories; i++)
			if (strcmp(key, r->categories[i]) == 0)
				break;
		if (i == r->ncategories || i >= ST_MAX_CATEGORIES) {
			submission_path(field, sizeof(field), base, key);
			return err_set(e, ERR_INVALID, "unknown_category",
			    field, "not one of the configured categories");
		}
		c = json_is_integer(cv) ? json_integer_value(cv) : -1;
		if (c < 0 || (uint64_t)c > max) {
			submission_path(field, sizeof(field), base, key);
			if (!json_is_integer(cv))
				return err_set(e, ERR_INVALID, "bad_count",
				    field, "a count must be a whole number");
			return err_set(e, ERR_INVALID, "bad_count", field,
			    "a count must be between 0 and %llu",
			    (unsigned long long)max);
		}
		s->counts[i] = (uint64_t)c;
	}
	return 0;
}

/* Validate the "id" string v into s->id. */
static int
submission_id(
    json_t *v, const char *field, struct submission *s, struct st_error *e)
{
	const char *p;
	size_t	    len, i;

	if (!json_is_string(v))
		return err_set(
		    e, ERR_INVALID, "bad_id", field, "id must be a string");
	p = json_string_value(v);
	len = json_string_length(v);
	if (len < 1 || len > ST_KEY_MAX)
		return err_set(e, ERR_INVALID, "bad_id", field,
		    "id must be 1 to %d bytes", ST_KEY_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return err_set(e, ERR_INVALID, "bad_id", field,
			    "id may hold only printable ASCII without spaces");
	memcpy(s->id, p, len);
	s->id[len] = '\0';
	return 0;
}

/* Validate one submission object o; prefix is "" or "[i].". */
static int
submission_one(json_t *o, const struct submission_rules *r, int64_t now,
    const char *prefix, struct submission *s, struct st_error *e)
{
	char	    field[sizeof(e->field)];
	json_t	   *src, *tm, *iv, *counts, *id, *v;
	json_int_t  t = 0, ival = 0;
	const char *key;

	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "source") != 0 && strcmp(key, "time") != 0 &&
		    strcmp(key, "interval") != 0 &&
		    strcmp(key, "counts") != 0 && strcmp(key, "id") != 0) {
			submission_path(field, sizeof(field), prefix, key);
			return err_set(e, ERR_INVALID, "unknown_field", field,
			    "not a submission field");
		}
	}
	src = json_object_get(o, "source");
	tm = json_object_get(o, "time");
	iv = json_object_get(o, "interval");
	counts = json_object_get(o, "counts");
	id = json_object_get(o, "id");

	submission_join(field, sizeof(field), prefix, "source");
	if (src == NULL)
		return err_set(e, ERR_INVALID, "missing_field", field,
		    "source is required");
	if (!json_is_string(src))
		return err_set(e, ERR_INVALID, "bad_source", field,
		    "source must be a string");
	if (source_normalise(json_string_value(src), json_string_length(src),
		s->source, field, e) == -1)
		return -1;

	submission_join(field, sizeof(field), prefix, "time");
	if (tm != NULL) {
		if (!json_is_integer(tm) || (t = json_integer_value(tm)) <= 0)
			return err_set(e, ERR_INVALID, "bad_time", field,
			    "time must be a positive whole number of seconds");
		if (t > now + (int64_t)r->max_future)
			return err_set(e, ERR_INVALID, "time_in_future", field,
			    "time is more than %u s ahead of the server clock",
			    r->max_future);
		if (r->max_past != 0 && t < now - (int64_t)r->max_past)
			return err_set(e, ERR_INVALID, "time_too_old", field,
			    "time is more than %u s in the past", r->max_past);
		s->time = t;
	} else
		s->time = now;

	submission_join(field, sizeof(field), prefix, "interval");
	if (iv != NULL) {
		if (!json_is_integer(iv) ||
		    (ival = json_integer_value(iv)) < 1 ||
		    (unsigned long long)ival > r->max_interval)
			return err_set(e, ERR_INVALID, "bad_interval", field,
			    "interval must be 1 to %u seconds",
			    r->max_interval);
		s->interval = (uint32_t)ival;
	} else
		s->interval = r->step;

	submission_join(field, sizeof(field), prefix, "counts");
	if (counts == NULL)
		return err_set(e, ERR_INVALID, "missing_field", field,
		    "counts is required");
	if (submission_counts(counts, r, prefix, s, e) == -1)
		return -1;

	if (id != NULL) {
		submission_join(field, sizeof(field), prefix, "id");
		if (submission_id(id, field, s, e) == -1)
			return -1;
	}

	s->hash = submission_fnv_parts(
	    s->source, t, (uint32_t)ival, s->counts, r->ncategories);
	return 0;
}

/* Parse body as one submission object or a batch of them. */
int
submission_parse(const char *body, size_t len,
    const struct submission_rules *rules, int64_t now, struct submission **out,
    size_t *n, struct st_error *e)
{
	struct submission *subs = NULL;
	char		   prefix[32], why[sizeof(e->detail) / 2];
	json_error_t	   jerr;
	json_t		  *root, *el;
	size_t		   count, i;
	int		   rc = -1;

	*out = NULL;
	*n = 0;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson quotes the offending bytes, which may be anything. */
		submission_escape(why, sizeof(why), "", jerr.text, 120);
		return err_set(e, ERR_BAD_INPUT, "bad_json", "body",
		    "%s at line %d, column %d (byte %d)", why, jerr.line,
		    jerr.column, jerr.position);
	}
	if (submission_check_depth(root, 1, rules->max_depth, e) == -1)
		goto fail;
	if (json_is_object(root))
		count = 1;
	else {
		count = json_array_size(root);
		if (count == 0) {
			err_set(e, ERR_INVALID, "empty_batch", "body",
			    "the batch holds no submissions");
			goto fail;
		}
		if (count > rules->max_batch) {
			err_set(e, ERR_TOO_LARGE, "batch_too_large", "body",
			    "a batch holds at most %u submissions",
			    rules->max_batch);
			goto fail;
		}
	}
	if ((subs = calloc(count, sizeof(*subs))) == NULL) {
		err_set(e, ERR_UNAVAILABLE, "out_of_memory", "body",
		    "cannot allocate the submissions");
		goto fail;
	}
	if (json_is_object(root)) {
		if (submission_one(root, rules, now, "", &subs[0], e) == -1)
			goto fail;
	} else {
		json_array_foreach(root, i, el)
		{
			snprintf(prefix, sizeof(prefix), "[%zu]", i);
			if (!json_is_object(el)) {
				err_set(e, ERR_INVALID, "bad_submission",
				    prefix,
				    "each batch element must be an object");
				goto fail;
			}
			snprintf(prefix, sizeof(prefix), "[%zu].", i);
			if (submission_one(
				el, rules, now, prefix, &subs[i], e) == -1)
				goto fail;
		}
	}
	*out = subs;
	*n = count;
	subs = NULL;
	rc = 0;
fail:
	free(subs);
	json_decref(root);
	return rc;
}

/* Seed jansson's object hashing with a secret; see submission.h. */
void
submission_seed(void)
{
	uint32_t seed;

	do
		random_bytes(&seed, sizeof(seed));
	while (seed == 0); /* 0 asks jansson to pick one itself */
	json_object_seed(seed);
}
