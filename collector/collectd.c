/*
 * collectd.c -- collectd write_http bodies (JSON value lists and PUTVAL
 * lines) to submissions.
 *
 * Owns the map from collectd names to categories and the two body formats.
 * Counters become counts through the previous values of collectd_state.c.
 * It does not know about HTTP, auth or the journal, and reads no clock:
 * the time of receipt is passed in.
 */
#include "collectd.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../lib/source.h"

#define CD_PUTVAL_INTERVAL 10.0 /* collectd's default Interval */
#define CD_LINE_MAX	   4096

/* One mapped data source value, read from the body. */
struct cd_sample {
	char		   host[ST_SOURCE_MAX + 1];	  /* normalised */
	char		   id[4 * COLLECTD_NAME_MAX + 8]; /* state key */
	unsigned	   category;
	enum collectd_kind kind;
	double		   time;
	double		   interval;
	int		   known;     /* 0: "U" or null */
	int		   negative;  /* the number was below zero */
	int		   decimal;   /* written with a point or exponent */
	uint64_t	   u;	      /* counter, derive (as read) */
	double		   g;	      /* gauge, absolute */
	size_t		   sub;	      /* index of its submission */
	char		   field[32]; /* where the body holds it */
};

/* A body being read: the samples found so far and the tallies. */
struct cd_parse {
	const struct collectd_map *map;
	struct cd_sample	  *samples;
	size_t			   n;
	size_t			   cap;
	struct collectd_result	  *res;
	struct st_error		  *e;
	int64_t			   now;
};

/* The names of one value list, as read. */
struct cd_names {
	const char *host;
	const char *plugin;
	const char *plugin_instance;
	const char *type;
	const char *type_instance;
};

/* The kind a name stands for, or -1. */
static int
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
static int
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

/* A string member of o, "" when absent; -1 when present but not a string. */
static int
collectd_json_str(json_t *o, const char *name, const char **out)
{
	json_t *v = json_object_get(o, name);

	*out = "";
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) >=
		(strcmp(name, "host") == 0 ? 1024 : COLLECTD_NAME_MAX))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* Read one JSON value list (element i of the body). */
static int
collectd_json_list(struct cd_parse *cp, json_t *o, size_t i)
{
	static const char *names[] = {
	    "host", "plugin", "plugin_instance", "type", "type_instance"};
	const char    **slots[5];
	struct cd_names nm;
	json_t	       *values, *dstypes, *dsnames, *jt, *ji;
	char		field[96];
	size_t		j, nv;

	slots[0] = &nm.host;
	slots[1] = &nm.plugin;
	slots[2] = &nm.plugin_instance;
	slots[3] = &nm.type;
	slots[4] = &nm.type_instance;
	if (!json_is_object(o)) {
		snprintf(field, sizeof(field), "[%zu]", i);
		return err_set(cp->e, ERR_BAD_INPUT, "bad_json", field,
		    "a value list is "
		    "a JSON object");
	}
	for (j = 0; j < 5; j++)
		if (collectd_json_str(o, names[j], slots[j]) == -1) {
			snprintf(field, sizeof(field), "[%zu].%s", i, names[j]);
			return err_set(cp->e, ERR_BAD_INPUT, "bad_json", field,
			    "expected "
			    "a short string");
		}
	values = json_object_get(o, "values");
	dstypes = json_object_get(o, "dstypes");
	dsnames = json_object_get(o, "dsnames");
	jt = json_object_get(o, "time");
	ji = json_object_get(o, "interval");
	if (!json_is_array(values) || !json_is_array(dstypes) ||
	    !json_is_array(dsnames) ||
	    json_array_size(dstypes) != json_array_size(values) ||
	    json_array_size(dsnames) != json_array_size(values)) {
		snprintf(field, sizeof(field), "[%zu].values", i);
		return err_set(cp->e, ERR_BAD_INPUT, "bad_json", field,
		    "values, dstypes "
		    "and dsnames are arrays of the same length");
	}
	if (!json_is_number(jt) || !json_is_number(ji)) {
		snprintf(field, sizeof(field), "[%zu].%s", i,
		    json_is_number(jt) ? "interval" : "time");
		return err_set(cp->e, ERR_BAD_INPUT, "bad_json", field,
		    "expected a number");
	}
	nv = json_array_size(values);
	for (j = 0; j < nv; j++) {
		json_t		*v = json_array_get(values, j);
		json_t		*t = json_array_get(dstypes, j);
		json_t		*dn = json_array_get(dsnames, j);
		struct cd_sample s;
		int		 kind;

		snprintf(field, sizeof(field), "[%zu].values[%zu]", i, j);
		if (!json_is_string(t) ||
		    (kind = collectd_kind_of(json_string_value(t),
			 strlen(json_string_value(t)))) == -1 ||
		    !json_is_string(dn) ||
		    strlen(json_string_value(dn)) >= COLLECTD_NAME_MAX)
			return err_set(cp->e, ERR_BAD_INPUT, "bad_json", field,
			    "each value "
			    "needs a dstype (gauge, derive, counter, absolute) "
			    "and a dsname");
		memset(&s, 0, sizeof(s));
		if (json_is_integer(v)) {
			json_int_t x = json_integer_value(v);

			s.known = 1;
			s.negative = x < 0;
			s.u = (uint64_t)x;
			s.g = (double)x;
		} else if (json_is_real(v)) {
			double x = json_real_value(v);

			s.known = isfinite(x);
			s.negative = x < 0;
			s.g = x;
			s.u = x >= 0 && x < 18446744073709551616.0 ? (uint64_t)x
								   : 0;
		} else if (!json_is_null(v))
			return err_set(cp->e, ERR_BAD_INPUT, "bad_json", field,
			    "a value is "
			    "a number or null");
		if (collectd_add(cp, &nm, json_string_value(dn), nv,
			(enum collectd_kind)kind, json_number_value(jt),
			json_number_value(ji), &s, field) == -1)
			return -1;
	}
	return 0;
}

/* Read a JSON body: an array of value lists (or one). */
static int
collectd_parse_json(struct cd_parse *cp, const char *body, size_t len)
{
	json_error_t je;
	json_t	    *root;
	size_t	     i;
	int	     rc = -1;

	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_set(cp->e, ERR_BAD_INPUT, "bad_json", "body",
		    "line %d: %s", je.line, je.text);
	if (json_is_object(root))
		rc = collectd_json_list(cp, root, 0);
	else if (json_is_array(root)) {
		for (i = 0; i < json_array_size(root); i++)
			if (collectd_json_list(
				cp, json_array_get(root, i), i) == -1)
				goto done;
		rc = 0;
	} else
		err_set(cp->e, ERR_BAD_INPUT, "bad_json", "body",
		    "expected an array of "
		    "value lists");
done:
	json_decref(root);
	return rc;
}

/* Parse a number of PUTVAL (integer or decimal); -1 when it is not one. */
static int
collectd_putval_number(const char *p, size_t len, struct cd_sample *s)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	memset(s, 0, sizeof(*s));
	if (strcmp(buf, "U") == 0)
		return 0;
	errno = 0;
	if (strspn(buf + (buf[0] == '-'), "0123456789") ==
	    len - (buf[0] == '-')) {
		if (buf[0] == '-') {
			long long v = strtoll(buf, &end, 10);

			s->negative = 1;
			s->u = (uint64_t)v;
			s->g = (double)v;
		} else {
			s->u = strtoull(buf, &end, 10);
			s->g = (double)s->u;
		}
		if (errno != 0)
			return -1;
		s->known = 1;
		return 0;
	}
	s->g = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || !isfinite(s->g))
		return -1;
	s->known = 1;
	s->decimal = 1;
	s->negative = s->g < 0;
	s->u = s->g >= 0 && s->g < 18446744073709551616.0 ? (uint64_t)s->g : 0;
	return 0;
}

/* Split "host/plugin[-inst]/type[-inst]" (in place) into nm. */
static int
collectd_putval_ident(char *ident, struct cd_names *nm)
{
	char *a, *b, *dash;

	if ((a = strchr(ident, '/')) == NULL ||
	    (b = strchr(a + 1, '/')) == NULL || strchr(b + 1, '/') != NULL)
		return -1;
	*a++ = '\0';
	*b++ = '\0';
	nm->host = ident;
	nm->plugin = a;
	nm->plugin_instance = "";
	nm->type = b;
	nm->type_instance = "";
	if ((dash = strchr(a, '-')) != NULL) {
		*dash = '\0';
		nm->plugin_instance = dash + 1;
	}
	if ((dash = strchr(b, '-')) != NULL) {
		*dash = '\0';
		nm->type_instance = dash + 1;
	}
	if (strlen(ident) >= 1024 || strlen(a) >= COLLECTD_NAME_MAX ||
	    strlen(b) >= COLLECTD_NAME_MAX ||
	    strlen(nm->plugin_instance) >= COLLECTD_NAME_MAX ||
	    strlen(nm->type_instance) >= COLLECTD_NAME_MAX)
		return -1;
	return nm->plugin[0] != '\0' && nm->type[0] != '\0' ? 0 : -1;
}

/* Next white-space separated word of a line, with "..." quoting; NULL at the end. */
static char *
collectd_word(char **pp)
{
	char *p = *pp, *w, *o;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	if (*p != '"') {
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		*pp = p;
		return w;
	}
	w = o = ++p;
	while (*p != '\0' && *p != '"') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		*o++ = *p++;
	}
	if (*p != '"')
		return NULL;
	*o = '\0';
	p++;
	*pp = p;
	return w;
}

/* Read one PUTVAL line (number lineno, NUL terminated, changed in place). */
static int
collectd_putval_line(struct cd_parse *cp, char *line, size_t lineno)
{
	struct cd_names nm;
	char		field[96], *p = line, *w, *ident;
	double		interval = CD_PUTVAL_INTERVAL;
	int		lists = 0;

	snprintf(field, sizeof(field), "line %zu", lineno);
	if ((w = collectd_word(&p)) == NULL)
		return 0;
	if (strcmp(w, "PUTVAL") != 0)
		return err_set(cp->e, ERR_BAD_INPUT, "bad_command", field,
		    "only PUTVAL "
		    "lines are understood");
	if ((ident = collectd_word(&p)) == NULL ||
	    collectd_putval_ident(ident, &nm) == -1)
		return err_set(cp->e, ERR_BAD_INPUT, "bad_command", field,
		    "expected "
		    "PUTVAL \"host/plugin[-instance]/type[-instance]\"");
	while ((w = collectd_word(&p)) != NULL) {
		char	   *end, dsname[24];
		const char *q, *colon;
		double	    t;
		size_t	    nv = 0, k;

		if (strchr(w, '=') != NULL) {
			if (strncmp(w, "interval=", 9) == 0) {
				interval = strtod(w + 9, &end);
				if (*end != '\0' || !isfinite(interval))
					return err_set(cp->e, ERR_BAD_INPUT,
					    "bad_command", field,
					    "bad "
					    "interval=");
			}
			continue; /* other options (meta) do not count */
		}
		if ((colon = strchr(w, ':')) == NULL)
			return err_set(cp->e, ERR_BAD_INPUT, "bad_command",
			    field, "expected TIME:VALUE[:VALUE...]");
		if (colon - w == 1 && w[0] == 'N')
			t = (double)cp->now;
		else {
			t = strtod(w, &end);
			if (end != colon || !isfinite(t))
				return err_set(cp->e, ERR_BAD_INPUT,
				    "bad_command", field, "bad time in '%.40s'",
				    w);
		}
		for (q = colon; *q != '\0'; q++)
			nv += *q == ':';
		for (q = colon + 1, k = 0; k < nv; k++) {
			size_t		 len = strcspn(q, ":");
			struct cd_sample s;

			if (collectd_putval_number(q, len, &s) == -1)
				return err_set(cp->e, ERR_BAD_INPUT,
				    "bad_command", field, "bad value '%.*s'",
				    (int)(len > 40 ? 40 : len), q);
			snprintf(dsname, sizeof(dsname), "%zu", k);
			if (collectd_add(cp, &nm, nv == 1 ? "value" : dsname,
				nv,
				s.decimal ? COLLECTD_GAUGE : COLLECTD_DERIVE, t,
				interval, &s, field) == -1)
				return -1;
			q += len + (q[len] == ':');
		}
		lists++;
	}
	if (lists == 0)
		return err_set(
		    cp->e, ERR_BAD_INPUT, "bad_command", field, "no values");
	return 0;
}

/* Read a body of PUTVAL lines. */
static int
collectd_parse_putval(struct cd_parse *cp, const char *body, size_t len)
{
	char   line[CD_LINE_MAX];
	size_t off = 0, lineno = 0;

	while (off < len) {
		const char *nl = memchr(body + off, '\n', len - off);
		size_t	    l = (nl != NULL ? (size_t)(nl - body) : len) - off;

		lineno++;
		if (l >= sizeof(line)) {
			char field[32];

			snprintf(field, sizeof(field), "line %zu", lineno);
			return err_set(cp->e, ERR_BAD_INPUT, "bad_command",
			    field, "line longer than %d bytes",
			    CD_LINE_MAX - 1);
		}
		memcpy(line, body + off, l);
		line[l] = '\0';
		if (strlen(line) != l)
			return err_set(cp->e, ERR_BAD_INPUT, "bad_command",
			    "body", "NUL byte in a line");
		if (l > 0 && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (collectd_putval_line(cp, line, lineno) == -1)
			return -1;
		off += l + 1;
	}
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
	if ((putval ? collectd_parse_putval(&cp, body, len)
		    : collectd_parse_json(&cp, body, len)) == -1)
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
