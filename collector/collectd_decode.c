/*
 * collectd_decode.c -- the two body formats of collectd's write_http
 * plugin read into values: Format "JSON" (an array of value lists) and
 * Format "Command" (PUTVAL lines).
 *
 * Owns the syntax of both formats and their limits (short names, lines of
 * at most CD_LINE_MAX bytes, no NUL); each value read is handed to
 * collectd_add (collectd.c), which maps, checks and counts it.  jansson is
 * used here as in the other body parsers (submission.c, events.c), and
 * nowhere else.
 */
#include "collectd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "collectd_int.h"

#define CD_PUTVAL_INTERVAL 10.0 /* collectd's default Interval */
#define CD_LINE_MAX	   4096

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
int
collectd_decode_json(struct cd_parse *cp, const char *body, size_t len)
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
int
collectd_decode_putval(struct cd_parse *cp, const char *body, size_t len)
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
