/*
 * collectd.c -- collectd write_http bodies (JSON value lists and PUTVAL
 * lines) to submissions.
 *
 * Owns the map from collectd names to categories, what a decoded value
 * counts as (its rule and kind), its checks, and the submissions it makes.
 * Decoding the two body formats into values is collectd_decode.c's
 * (collectd_int.h joins the two); counters become counts through the
 * previous values of collectd_state.c.  It does not know about HTTP, auth
 * or the journal, and reads no clock: the time of receipt is passed in.
 */
#include "collectd.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/source.h"
#include "collectd_int.h"

/* The kind a name stands for, or -1. */
int
collectd_kind_of(const char *name, size_t len)
{
	static const struct {
		const char	  *name;
		enum collectd_kind kind;
	} kinds[] = {
	    {"gauge", COLLECTD_GAUGE},
	    {"derive", COLLECTD_DERIVE},
	    {"counter", COLLECTD_COUNTER},
	    {"absolute", COLLECTD_ABSOLUTE},
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == len &&
		    strncasecmp(kinds[i].name, name, len) == 0)
			return (int)kinds[i].kind;
	return -1;
}

/* Copy the len bytes at p into a name field; -1 when too long or not printable. */
static int
collectd_copy_name(char *dst, const char *p, size_t len)
{
	size_t i;

	if (len >= COLLECTD_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)p[i]) || p[i] == ',' || p[i] == '=')
			return -1;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

/*
 * Parse one "key=category[:kind]" rule of len bytes at p into r.  Returns
 * 0, 1 when the category is not configured, or -1 with err filled.
 */
static int
collectd_rule_parse(struct collectd_rule *r, const char *p, size_t len,
    const char (*categories)[ST_CATEGORY_MAX + 1], unsigned ncategories,
    char *err, size_t errlen)
{
	const char *eq, *colon, *keyend, *part[3], *ds = NULL;
	size_t	    plen[3], nparts = 0, catlen;
	const char *cat, *q;
	unsigned    i;
	int	    kind;

	memset(r, 0, sizeof(*r));
	if ((eq = memchr(p, '=', len)) == NULL) {
		snprintf(err, errlen,
		    "collectd_map: '%.*s' is not key=category", (int)len, p);
		return -1;
	}
	keyend = eq;
	if ((colon = memchr(p, ':', (size_t)(eq - p))) != NULL) {
		ds = colon + 1;
		keyend = colon;
	}
	for (q = p; nparts < 3; nparts++) {
		const char *slash = memchr(q, '/', (size_t)(keyend - q));

		part[nparts] = q;
		plen[nparts] = (size_t)((slash != NULL ? slash : keyend) - q);
		if (slash == NULL) {
			nparts++;
			break;
		}
		q = slash + 1;
	}
	if (nparts < 2 || q > keyend ||
	    (nparts == 3 && part[2] + plen[2] != keyend) ||
	    plen[nparts - 2] == 0) {
		snprintf(err, errlen,
		    "collectd_map: '%.*s' is not type/instance "
		    "or plugin/type/instance",
		    (int)(keyend - p), p);
		return -1;
	}
	if ((nparts == 3 &&
		collectd_copy_name(r->plugin, part[0], plen[0]) == -1) ||
	    collectd_copy_name(r->type, part[nparts - 2], plen[nparts - 2]) ==
		-1 ||
	    collectd_copy_name(
		r->type_instance, part[nparts - 1], plen[nparts - 1]) == -1 ||
	    (ds != NULL &&
		(ds == eq ||
		    collectd_copy_name(r->dsname, ds, (size_t)(eq - ds)) ==
			-1))) {
		snprintf(err, errlen, "collectd_map: bad name in '%.*s'",
		    (int)(eq - p), p);
		return -1;
	}
	cat = eq + 1;
	catlen = len - (size_t)(cat - p);
	r->kind = COLLECTD_AS_SENT;
	if ((colon = memchr(cat, ':', catlen)) != NULL) {
		kind = collectd_kind_of(
		    colon + 1, catlen - (size_t)(colon + 1 - cat));
		if (kind == -1) {
			snprintf(err, errlen,
			    "collectd_map: '%.*s' is not gauge, "
			    "derive, counter or absolute",
			    (int)(catlen - (size_t)(colon + 1 - cat)),
			    colon + 1);
			return -1;
		}
		r->kind = (enum collectd_kind)kind;
		catlen = (size_t)(colon - cat);
	}
	for (i = 0; i < ncategories; i++)
		if (strlen(categories[i]) == catlen &&
		    strncmp(categories[i], cat, catlen) == 0) {
			r->category = i;
			return 0;
		}
	return 1; /* a category that is not configured */
}

/* Parse the comma-separated rules of text into m. */
int
collectd_map_parse(struct collectd_map *m, const char	   *text,
    const char (*categories)[ST_CATEGORY_MAX + 1], unsigned ncategories,
    char *err, size_t errlen)
{
	const char *p = text;
	size_t	    o;

	memset(m, 0, sizeof(*m));
	while (*p != '\0') {
		size_t len;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, ", \t");
		if (m->n == COLLECTD_MAX_RULES) {
			snprintf(err, errlen, "collectd_map: at most %d rules",
			    COLLECTD_MAX_RULES);
			return -1;
		}
		switch (collectd_rule_parse(&m->rules[m->n], p, len, categories,
		    ncategories, err, errlen)) {
		case -1:
			return -1;
		case 1:
			o = strlen(m->skipped);
			snprintf(m->skipped + o, sizeof(m->skipped) - o,
			    "%s%.*s", o > 0 ? "," : "", (int)len, p);
			break;
		default:
			m->n++;
		}
		p += len;
	}
	return 0;
}

/* 1 when a rule's plugin part matches plugin or "plugin-instance". */
static int
collectd_plugin_match(const char *want, const char *plugin, const char *inst)
{
	size_t n = strlen(plugin);

	if (strcmp(want, plugin) == 0)
		return 1;
	return inst[0] != '\0' && strncmp(want, plugin, n) == 0 &&
	    want[n] == '-' && strcmp(want + n + 1, inst) == 0;
}

/*
 * The rule for one data source, or NULL: a rule naming the plugin wins
 * over one that does not; a rule without a data source name matches only
 * single-value lists.
 */
static const struct collectd_rule *
collectd_match(const struct collectd_map *m, const struct cd_names *nm,
    const char *dsname, size_t nvalues)
{
	const struct collectd_rule *any = NULL;
	size_t			    i;

	for (i = 0; i < m->n; i++) {
		const struct collectd_rule *r = &m->rules[i];

		if (strcmp(r->type, nm->type) != 0 ||
		    strcmp(r->type_instance, nm->type_instance) != 0)
			continue;
		if (r->dsname[0] == '\0' ? nvalues != 1
					 : strcmp(r->dsname, dsname) != 0)
			continue;
		if (r->plugin[0] == '\0') {
			if (any == NULL)
				any = r;
		} else if (collectd_plugin_match(
			       r->plugin, nm->plugin, nm->plugin_instance))
			return r;
	}
	return any;
}

/*
 * Record one value of a value list: unmapped values are only tallied.
 * Returns 0, or -1 with e filled (bad host, too many values).
 */
int
collectd_add(struct cd_parse *cp, const struct cd_names *nm, const char *dsname,
    size_t nvalues, enum collectd_kind sent, double time, double interval,
    const struct cd_sample *v, const char *field)
{
	const struct collectd_rule *r;
	struct cd_sample	   *s;

	cp->res->values++;
	if ((r = collectd_match(cp->map, nm, dsname, nvalues)) == NULL)
		return 0;
	cp->res->mapped++;
	if (cp->n == COLLECTD_MAX_VALUES)
		return err_set(cp->e, ERR_TOO_LARGE, "batch_too_large", field,
		    "at most %d "
		    "mapped values in one body",
		    COLLECTD_MAX_VALUES);
	if (cp->n == cp->cap) {
		size_t		  cap = cp->cap == 0 ? 16 : cp->cap * 2;
		struct cd_sample *ns;

		if ((ns = reallocarray(cp->samples, cap, sizeof(*ns))) == NULL)
			abort();
		cp->samples = ns;
		cp->cap = cap;
	}
	s = &cp->samples[cp->n];
	*s = *v;
	if (source_normalise(
		nm->host, strlen(nm->host), s->host, field, cp->e) == -1)
		return -1;
	snprintf(s->id, sizeof(s->id), "%s-%s/%s-%s:%s", nm->plugin,
	    nm->plugin_instance, nm->type, nm->type_instance, dsname);
	snprintf(s->field, sizeof(s->field), "%s", field);
	s->category = r->category;
	s->kind = r->kind != COLLECTD_AS_SENT ? r->kind : sent;
	s->time = time;
	s->interval = interval;
	cp->n++;
	return 0;
}

/*
 * Check a sample's time, interval and (for per-interval kinds) value, and
 * find or add its submission.  -1 with e filled.
 */
static int
collectd_place(struct cd_sample *s, const struct submission_rules *rules,
    int64_t now, struct submission *subs, size_t *nsubs, struct st_error *e)
{
	int64_t t;
	long	iv;
	size_t	i;

	if (!isfinite(s->time) || s->time < 1 || s->time > 1e12)
		return err_set(e, ERR_INVALID, "bad_time", "time",
		    "the time %.3f is "
		    "not a unix time",
		    s->time);
	t = llround(s->time);
	if (t > now + (int64_t)rules->max_future)
		return err_set(e, ERR_INVALID, "time_in_future", "time",
		    "the time %" PRId64 " is more than %u s ahead of the clock",
		    t, rules->max_future);
	if (!isfinite(s->interval) || s->interval <= 0 ||
	    s->interval > rules->max_interval)
		return err_set(e, ERR_INVALID, "bad_interval", "interval",
		    "an interval "
		    "is more than 0 and at most %u s",
		    rules->max_interval);
	if ((iv = lround(s->interval)) < 1)
		iv = 1;
	/*
	 * Compared as a double before any rounding: llround of 1e300 or
	 * 9.3e18 does not fit a long long (and came back negative).
	 */
	if (s->known &&
	    (s->kind == COLLECTD_GAUGE || s->kind == COLLECTD_ABSOLUTE) &&
	    !(s->g >= 0 && s->g < (double)rules->max_count + 0.5))
		return err_set(e, ERR_INVALID, "bad_count", "values",
		    "a %s count is "
		    "from 0 to %llu",
		    s->kind == COLLECTD_GAUGE ? "gauge" : "absolute",
		    (unsigned long long)rules->max_count);
	for (i = 0; i < *nsubs; i++)
		if (subs[i].time == t && subs[i].interval == (uint32_t)iv &&
		    strcmp(subs[i].source, s->host) == 0) {
			s->sub = i;
			return 0;
		}
	if (*nsubs == rules->max_batch)
		return err_set(e, ERR_TOO_LARGE, "batch_too_large", "body",
		    "the values "
		    "make more than %u submissions",
		    rules->max_batch);
	memcpy(subs[i].source, s->host, sizeof(s->host));
	subs[i].time = t;
	subs[i].interval = (uint32_t)iv;
	s->sub = i;
	(*nsubs)++;
	return 0;
}

/*
 * The count a sample adds: a gauge or absolute value as it is, a counter or
 * derive through the state.  1 with *out set, 0 when it adds nothing, -1
 * with e filled (a cap of the state, or a value held by another body).
 */
static int
collectd_count(struct collectd_state *st, struct collectd_change **ch,
    const struct cd_sample *s, uint64_t max_count, int64_t now,
    struct collectd_result *res, uint64_t *out, struct st_error *e)
{
	struct collectd_counter c;

	if (!s->known)
		return 0;
	if (s->kind == COLLECTD_GAUGE || s->kind == COLLECTD_ABSOLUTE) {
		*out = (uint64_t)llround(s->g); /* checked in collectd_place */
		return 1;
	}
	c.host = s->host;
	c.id = s->id;
	c.field = s->field;
	c.kind = s->kind;
	c.time = s->time;
	/* A derive below zero counts as zero: counts are never negative. */
	c.value = s->kind == COLLECTD_DERIVE && s->negative ? 0 : s->u;
	return collectd_state_offer(st, ch, &c, max_count, now, res, out, e);
}

/* Parse a write_http body into submissions; see collectd.h. */
int
collectd_parse(const char *body, size_t len, int putval,
    const struct collectd_map *m, const struct submission_rules *rules,
    struct collectd_state *st, int64_t now,
    int (*allow)(
	void *arg, const struct submission *subs, size_t n, struct st_error *e),
    void *allow_arg, struct submission **out, size_t *n,
    struct collectd_change **change, struct collectd_result *res,
    struct st_error *e)
{
	struct cd_parse	   cp;
	struct submission *subs = NULL;
	unsigned char	  *live = NULL;
	size_t		   nsubs = 0, i, kept;
	int		   rc = -1, k;

	*out = NULL;
	*n = 0;
	*change = NULL;
	memset(res, 0, sizeof(*res));
	memset(&cp, 0, sizeof(cp));
	cp.map = m;
	cp.res = res;
	cp.e = e;
	cp.now = now;
	if ((putval ? collectd_decode_putval(&cp, body, len)
		    : collectd_decode_json(&cp, body, len)) == -1)
		goto done;
	if (cp.n > 0) {
		size_t cap = cp.n < rules->max_batch ? cp.n : rules->max_batch;

		if ((subs = calloc(cap, sizeof(*subs))) == NULL ||
		    (live = calloc(cap, 1)) == NULL)
			abort();
	}
	/*
	 * The body's own checks come before the state is touched; a refusal
	 * by the state (a cap, a value held by another body) is rolled back.
	 */
	for (i = 0; i < cp.n; i++)
		if (collectd_place(
			&cp.samples[i], rules, now, subs, &nsubs, e) == -1)
			goto done;
	if (allow != NULL && nsubs > 0 &&
	    allow(allow_arg, subs, nsubs, e) == -1)
		goto done;
	for (i = 0; i < cp.n; i++) {
		struct cd_sample  *s = &cp.samples[i];
		struct submission *sub = &subs[s->sub];
		uint64_t	   d, *c;

		if ((k = collectd_count(st, change, s, rules->max_count, now,
			 res, &d, e)) == -1) {
			collectd_settle(st, *change, 0, now);
			*change = NULL;
			goto done;
		}
		if (k == 0)
			continue;
		/* Several values of one category add up, to max_count. */
		c = &sub->counts[s->category];
		if (d > rules->max_count - *c) {
			res->clamped++;
			*c = rules->max_count;
		} else
			*c += d;
		live[s->sub] = 1;
	}
	/* A submission made only of first samples says nothing: drop it. */
	for (i = 0, kept = 0; i < nsubs; i++)
		if (live[i]) {
			if (kept != i)
				subs[kept] = subs[i];
			subs[kept].hash =
			    submission_hash(&subs[kept], rules->ncategories);
			kept++;
		}
	if (kept > 0) {
		*out = subs;
		subs = NULL;
	}
	*n = kept;
	rc = 0;
done:
	free(cp.samples);
	free(subs);
	free(live);
	return rc;
}
