/*
 * conf.c -- the option table and its parsers.
 *
 * Owns the names, bounds, defaults and help text of every option, and
 * parsing of the command line's values and the config file.  It does not
 * know what the options do; main.c applies them.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/number.h"

enum conf_type { CT_STR, CT_UINT, CT_SIZE };

struct conf_option {
	const char	  *name;
	enum conf_type	   type;
	size_t		   offset;
	unsigned long long min;
	unsigned long long max;
	const char	  *def;
	const char	  *help;
};

#define OFF(f) offsetof(struct conf, f)

static const struct conf_option conf_options[] = {
    {"listen", CT_STR, OFF(listen), 0, 0, "127.0.0.1:8080",
	"address and port to serve on (ADDR:PORT, [V6]:PORT; port 0 picks a "
	"free one)"},
    {"data_dir", CT_STR, OFF(data_dir), 0, 0, "./spamtrend-data",
	"directory for the RRD files and the journal"},
    {"web_dir", CT_STR, OFF(web_dir), 0, 0, WEB_DIR_DEFAULT,
	"directory of the web UI's static files"},
    {"js_dir", CT_STR, OFF(js_dir), 0, 0, "/usr/share/javascript",
	"where the JavaScript libraries the UI uses are installed (Debian's "
	"libjs-dygraphs puts dygraphs/ there); web_dir is looked at first"},
    {"categories", CT_STR, OFF(categories_list), 0, 0,
	"spam,ham,virus,rejected",
	"comma-separated categories that may be counted ([a-z0-9_], not "
	"starting with _ nor named coverage, at most "
	"16)"},
    {"step", CT_UINT, OFF(step), 10, 3600, "60",
	"seconds per step (fixed when a file is created)"},
    {"lateness", CT_UINT, OFF(lateness), 1, 60, "2",
	"steps the counts of a step are gathered in memory before it is "
	"written (a later count is still added to it: see max_late)"},
    {"max_late", CT_UINT, OFF(max_late), 0, 3660U * 86400, "0",
	"seconds back a count is still placed in its own step (0: the span "
	"of the finest archive less a few steps, about two days at step "
	"60); older counts are refused"},
    {"max_future", CT_UINT, OFF(max_future), 0, 3600, "300",
	"seconds a submission's time may be ahead of the clock"},
    {"max_interval", CT_UINT, OFF(max_interval), 1, 86400, "3600",
	"largest interval a submission may cover, in seconds"},
    {"max_body", CT_SIZE, OFF(max_body), 64, 1ULL << 30, "1048576",
	"largest request body on the wire, in bytes"},
    {"max_inflated", CT_SIZE, OFF(max_inflated), 64, 1ULL << 30, "1048576",
	"largest request body after gzip decoding, in bytes"},
    {"max_batch", CT_UINT, OFF(max_batch), 1, 100000, "1000",
	"most submissions in one batch"},
    {"max_depth", CT_UINT, OFF(max_depth), 2, 64, "8",
	"deepest JSON nesting accepted"},
    {"max_count", CT_SIZE, OFF(max_count), 1, 1000000000000ULL, "1000000000",
	"largest count per category in one submission"},
    {"max_connections", CT_UINT, OFF(max_connections), 1, 1000000, "4096",
	"most simultaneous connections"},
    {"max_per_ip", CT_UINT, OFF(max_per_ip), 0, 1000000, "512",
	"most simultaneous connections from one address (0: no limit)"},
    {"idle_timeout", CT_UINT, OFF(idle_timeout), 1, 3600, "30",
	"seconds a connection may stay silent"},
    {"request_timeout", CT_UINT, OFF(request_timeout), 1, 3600, "60",
	"seconds a whole request may take to arrive (ends a slow drip)"},
    {"max_sources", CT_UINT, OFF(max_sources), 1, 10000000, "100000",
	"most distinct sources"},
    {"new_sources_per_minute", CT_UINT, OFF(new_sources_per_minute), 1,
	10000000, "1000", "most sources first seen in one minute"},
    {"min_free_disk", CT_SIZE, OFF(min_free_disk), 0, ULLONG_MAX, "104857600",
	"refuse new sources (507) when the data directory has less free space, "
	"in bytes"},
    {"idempotency_ttl", CT_UINT, OFF(idempotency_ttl), 60, 7 * 86400, "600",
	"seconds an idempotency key is remembered"},
    {"journal_segment", CT_SIZE, OFF(journal_segment), 4096, 1ULL << 34,
	"67108864", "bytes before the journal starts a new segment"},
    {"tokens_file", CT_STR, OFF(tokens_file), 0, 0, "",
	"reporter tokens file (mode 0600); without it only loopback may "
	"submit"},
    {"admin_token", CT_STR, OFF(admin_token), 0, 0, "",
	"bearer token for admin actions (events)"},
    {"read_password", CT_STR, OFF(read_password), 0, 0, "",
	"password for reading the UI and API (HTTP basic auth, any user name)"},
    {"tls_cert", CT_STR, OFF(tls_cert), 0, 0, "",
	"PEM certificate file: serve HTTPS"},
    {"tls_key", CT_STR, OFF(tls_key), 0, 0, "",
	"PEM private key file for tls_cert"},
    {"rrdcached", CT_STR, OFF(rrdcached), 0, 0, "",
	"send RRD updates through rrdcached at unix:/path or host:port"},
    {"reserve_disk", CT_UINT, OFF(reserve_disk), 0, 1, "1",
	"1: an RRD file's blocks are reserved when it is made (without "
	"writing them), so a full disk refuses a new file instead of killing "
	"the process that writes into it later; 0: rows not yet written stay "
	"holes (files take space as they fill)"},
    {"collector_id", CT_STR, OFF(collector_id), 0, 0, "",
	"name of this collector when several share one data directory "
	"([a-z0-9-], at most 32): its own journal, state and partial _total"},
    {"http_threads", CT_UINT, OFF(http_threads), 1, 64, "2",
	"threads serving HTTP (each with its own connections)"},
    {"event_loop", CT_STR, OFF(event_loop), 0, 0, "poll",
	"how connections are watched: poll or epoll"},
    {"render_threads", CT_UINT, OFF(render_threads), 1, 64, "1",
	"threads rendering graphs and exports"},
    {"render_queue", CT_UINT, OFF(render_queue), 1, 10000, "32",
	"graphs and exports that may wait; beyond, 503"},
    {"stale_after", CT_UINT, OFF(stale_after), 60, 30 * 86400, "600",
	"seconds without data before a source is marked stale"},
    {"log_target", CT_STR, OFF(log_target), 0, 0, "stderr",
	"stderr (for systemd's journal or a supervisor) or syslog"},
    {"log_level", CT_STR, OFF(log_level), 0, 0, "info",
	"error, warning, info or debug"},
    {"collectd_map", CT_STR, OFF(collectd_map), 0, 0,
	"derive/spam=spam,derive/ham=ham,derive/virus=virus,"
	"derive/rejected=rejected,counter/spam=spam,counter/ham=ham,"
	"counter/virus=virus,counter/rejected=rejected,mail_counter/"
	"spam=spam,mail_counter/ham=ham,mail_counter/virus=virus,"
	"mail_counter/rejected=rejected",
	"collectd values counted at /api/v1/collectd: "
	"[plugin/]type/type_instance[:dsname]=category[:kind], "
	"comma-separated"},
    {"notify_url", CT_STR, OFF(notify_url), 0, 0, "",
	"POST a JSON message to this http:// URL when a drop is found or "
	"comes back and when a source goes stale or reports again"},
    {"notify_command", CT_STR, OFF(notify_command), 0, 0, "",
	"run this with /bin/sh -c, the same message on its standard input"},
    {"notify_sources", CT_STR, OFF(notify_sources), 0, 0, "_total",
	"sources whose drops are notified, comma-separated (each costs a "
	"detection an hour)"},
    {"collectd_max_values", CT_UINT, OFF(collectd_max_values), 1, 100000, "64",
	"counter values remembered per collectd host; more new ones are "
	"refused (429) until one is silent for max_interval"},
};

#define NOPTIONS (sizeof(conf_options) / sizeof(conf_options[0]))

/* Find an option by name, accepting '-' for '_'. */
static const struct conf_option *
conf_find(const char *name)
{
	char   norm[64];
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(norm) - 1; i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	for (i = 0; i < NOPTIONS; i++)
		if (strcmp(conf_options[i].name, norm) == 0)
			return &conf_options[i];
	return NULL;
}

/* Parse a decimal number with an optional K/M/G suffix (sizes only). */
static int
conf_parse_number(const char *s, int sizes, unsigned long long *out)
{
	unsigned long long mul = 1;
	uint64_t	   v;
	size_t		   n = strspn(s, "0123456789");
	const char	  *end = s + n;

	if (number_parse(s, n, 0, ULLONG_MAX, &v) == -1)
		return -1;
	if (sizes && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k':
		case 'K':
			mul = 1ULL << 10;
			end++;
			break;
		case 'm':
		case 'M':
			mul = 1ULL << 20;
			end++;
			break;
		case 'g':
		case 'G':
			mul = 1ULL << 30;
			end++;
			break;
		}
	}
	if (*end != '\0' || v > ULLONG_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* Store value into the field described by o. */
static int
conf_apply(struct conf *c, const struct conf_option *o, const char *value,
    char *err, size_t errlen)
{
	unsigned long long v;
	char		  *p = (char *)c + o->offset;

	if (o->type == CT_STR) {
		char **sp = (char **)(void *)p;
		char  *dup;

		if (strlen(value) > 4096) {
			snprintf(
			    err, errlen, "value of %s is too long", o->name);
			return -1;
		}
		if ((dup = strdup(value)) == NULL)
			abort();
		free(*sp);
		*sp = dup;
		return 0;
	}
	if (conf_parse_number(value, o->type == CT_SIZE, &v) == -1 ||
	    v < o->min || v > o->max) {
		snprintf(err, errlen,
		    "bad value '%s' for %s (a number from %llu to %llu)", value,
		    o->name, o->min, o->max);
		return -1;
	}
	if (o->type == CT_UINT)
		*(unsigned *)(void *)p = (unsigned)v;
	else
		*(unsigned long long *)(void *)p = v;
	return 0;
}

/* Fill c with the built-in defaults (strings are malloc'd). */
void
conf_defaults(struct conf *c)
{
	char   err[256];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NOPTIONS; i++)
		if (conf_apply(c, &conf_options[i], conf_options[i].def, err,
			sizeof(err)) == -1)
			abort();
}

/* Free the strings of c. */
void
conf_clear(struct conf *c)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (conf_options[i].type == CT_STR) {
			char **sp = (char **)(void *)((char *)c +
			    conf_options[i].offset);

			free(*sp);
			*sp = NULL;
		}
}

/* Set option name to value; -1 with err filled on an unknown name or bad value. */
int
conf_set(struct conf *c, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct conf_option *o;

	if ((o = conf_find(name)) == NULL) {
		snprintf(err, errlen, "unknown option '%s'", name);
		return -1;
	}
	return conf_apply(c, o, value, err, errlen);
}

/* Strip leading and trailing white space in place. */
static char *
conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Read "name = value" lines from path; the first bad line stops the read. */
int
conf_load_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	char	 line[8192], why[512];
	FILE	*fp;
	unsigned lineno = 0;
	int	 rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s, *eq, *name, *value;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(
			    err, errlen, "%s:%u: line too long", path, lineno);
			goto done;
		}
		s = conf_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'name = value'",
			    path, lineno);
			goto done;
		}
		*eq = '\0';
		name = conf_trim(s);
		value = conf_trim(eq + 1);
		if (strlen(value) >= 2 && value[0] == '"' &&
		    value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		if (conf_set(c, name, value, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto done;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto done;
	}
	rc = 0;
done:
	fclose(fp);
	return rc;
}

/* A collector id is empty or 1..32 of [a-z0-9-]. */
static int
conf_check_id(const char *id, char *err, size_t errlen)
{
	size_t n = strlen(id), i;

	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)id[i]) ||
			isdigit((unsigned char)id[i]) || id[i] == '-'))
			break;
	if (n <= ST_COLLECTOR_ID_MAX && i == n)
		return 0;
	snprintf(err, errlen,
	    "collector_id: '%s' must be at most %d of a-z, 0-9 and -", id,
	    ST_COLLECTOR_ID_MAX);
	return -1;
}

/* Split the categories list into c->categories; names must suit RRD. */
static int
conf_parse_categories(struct conf *c, char *err, size_t errlen)
{
	const char *p = c->categories_list;
	unsigned    n = 0, i;

	while (*p != '\0') {
		size_t len = strcspn(p, ", ");

		if (len == 0) {
			p++;
			continue;
		}
		if (n == ST_MAX_CATEGORIES || len > ST_CATEGORY_MAX) {
			snprintf(err, errlen,
			    "categories: at most %d names of at "
			    "most %d characters",
			    ST_MAX_CATEGORIES, ST_CATEGORY_MAX);
			return -1;
		}
		for (i = 0; i < len; i++)
			if (!(islower((unsigned char)p[i]) ||
				isdigit((unsigned char)p[i]) || p[i] == '_')) {
				snprintf(err, errlen,
				    "categories: '%.*s' may use "
				    "only a-z, 0-9 and _",
				    (int)len, p);
				return -1;
			}
		if (p[0] == '_' ||
		    (len == 8 && strncmp(p, "coverage", 8) == 0)) {
			snprintf(err, errlen,
			    "categories: '%.*s' is reserved (names starting "
			    "with _ and \"coverage\" are the collector's own "
			    "columns)",
			    (int)len, p);
			return -1;
		}
		memcpy(c->categories[n], p, len);
		c->categories[n][len] = '\0';
		for (i = 0; i < n; i++)
			if (strcmp(c->categories[i], c->categories[n]) == 0) {
				snprintf(err, errlen,
				    "categories: '%s' is listed "
				    "twice",
				    c->categories[n]);
				return -1;
			}
		n++;
		p += len;
	}
	if (n == 0) {
		snprintf(err, errlen, "categories: at least one is needed");
		return -1;
	}
	c->ncategories = n;
	return 0;
}

/* Check the rules that span options and fill the derived fields. */
int
conf_finish(struct conf *c, char *err, size_t errlen)
{
	static const char *levels[] = {"error", "warning", "info", "debug"};
	size_t		   i;

	if (conf_check_id(c->collector_id, err, errlen) == -1)
		return -1;
	if (conf_parse_categories(c, err, errlen) == -1)
		return -1;
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		snprintf(err, errlen, "tls_cert and tls_key go together");
		return -1;
	}
	if (c->data_dir[0] == '\0') {
		snprintf(err, errlen, "data_dir must not be empty");
		return -1;
	}
	if (strcmp(c->event_loop, "poll") != 0 &&
	    strcmp(c->event_loop, "epoll") != 0) {
		snprintf(err, errlen, "event_loop: expected poll or epoll");
		return -1;
	}
	if (strcmp(c->log_target, "stderr") != 0 &&
	    strcmp(c->log_target, "syslog") != 0) {
		snprintf(err, errlen, "log_target: expected stderr or syslog");
		return -1;
	}
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(c->log_level, levels[i]) == 0)
			return 0;
	snprintf(
	    err, errlen, "log_level: expected error, warning, info or debug");
	return -1;
}

/* Print the option table for --help. */
void
conf_usage(FILE *fp)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		char   flag[64];
		size_t j;

		snprintf(flag, sizeof(flag), "--%s", conf_options[i].name);
		for (j = 2; flag[j] != '\0'; j++)
			if (flag[j] == '_')
				flag[j] = '-';
		fprintf(fp, "  %-26s %s", flag, conf_options[i].help);
		if (conf_options[i].def[0] != '\0')
			fprintf(fp, " [%s]", conf_options[i].def);
		fputc('\n', fp);
	}
}

/* Print the effective configuration as a config file. */
void
conf_dump(const struct conf *c, FILE *fp)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		const struct conf_option *o = &conf_options[i];
		const char		 *p = (const char *)c + o->offset;

		if (o->type == CT_STR) {
			const char *v = *(char *const *)(const void *)p;

			if (strcmp(o->name, "admin_token") == 0 ||
			    strcmp(o->name, "read_password") == 0)
				v = v[0] != '\0' ? "(set)" : "";
			fprintf(fp, "%s = %s\n", o->name, v);
		} else if (o->type == CT_UINT)
			fprintf(fp, "%s = %u\n", o->name,
			    *(const unsigned *)(const void *)p);
		else
			fprintf(fp, "%s = %llu\n", o->name,
			    *(const unsigned long long *)(const void *)p);
	}
}
