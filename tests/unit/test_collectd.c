/*
 * test_collectd.c -- collectd write_http bodies (JSON and PUTVAL) to
 * submissions: the map, deltas of cumulative values, resets, refusals,
 * and the bounds of the previous values: per-host caps, hosts kept apart,
 * expiry, and values that advance only when ingest took the body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api.h"
#include "collector/collectd.h"
#include "tap.h"

#define NOW 1226448060LL

static const char cats[4][ST_CATEGORY_MAX + 1] = {
    "spam", "ham", "virus", "rejected"};

static struct submission_rules rules = {
    cats, 4, 60, 3600, 3, 8, 300, 0, 1000000000ULL};

static const struct collectd_limits limits = {100, 100, 3600};

static struct collectd_map     map;
static struct collectd_state  *state;
static struct collectd_change *change;
static struct submission      *subs;
static size_t		       nsubs;
static struct collectd_result  res;
static struct st_error	       err;

/*
 * Parse one body against the shared map and state at now, leaving its
 * change unsettled in change; returns the parser's rc.
 */
static int
parse_at(const char *body, int putval, int64_t now)
{
	free(subs);
	subs = NULL;
	memset(&err, 0, sizeof(err));
	return collectd_parse(body, strlen(body), putval, &map, &rules, state,
	    now, NULL, NULL, &subs, &nsubs, &change, &res, &err);
}

/* Parse one body at NOW as if ingest accepted it; returns the parser's rc. */
static int
run(const char *body, int putval)
{
	int rc = parse_at(body, putval, NOW);

	collectd_settle(state, change, 1, NOW);
	change = NULL;
	return rc;
}

/* A one-value JSON list of type mail_counter. */
static const char *
json1(char *buf, size_t len, const char *host, const char *ti,
    const char *dstype, const char *value, double t)
{
	snprintf(buf, len,
	    "[{\"values\":[%s],\"dstypes\":[\"%s\"],"
	    "\"dsnames\":[\"value\"],\"time\":%.3f,\"interval\":10.0,"
	    "\"host\":\"%s\",\"plugin\":\"tail\",\"plugin_instance\":"
	    "\"postfix\","
	    "\"type\":\"mail_counter\",\"type_instance\":\"%s\"}]",
	    value, dstype, t, host, ti);
	return buf;
}

/* Check that body is refused with status and code. */
static void
refused(const char *body, int putval, int status, const char *code,
    const char *name)
{
	int rc = run(body, putval);

	ok(rc == -1 && api_error_status(err.kind) == status &&
		strcmp(err.code, code) == 0 && subs == NULL,
	    "%s: %d %s", name, status, code);
	if (rc != -1 || api_error_status(err.kind) != status)
		diag("  got rc %d, %d %s (%s)", rc, api_error_status(err.kind),
		    err.code, err.detail);
}

/* A PUTVAL line of a derive value of host, named ti, with value v at t. */
static const char *
putval(char *buf, size_t len, const char *host, const char *ti,
    unsigned long long v, long long t)
{
	snprintf(buf, len, "PUTVAL %s/tail-postfix/mail_counter-%s %lld:%llu\n",
	    host, ti, t, v);
	return buf;
}

/* The bounds of the state: caps per host, hosts apart, expiry, settling. */
static void
test_bounds(void)
{
	static const struct collectd_limits small = {3, 4, 3600};
	char				    b[4096], line[256];
	size_t				    i, keys;
	int				    rc;

	collectd_map_parse(
	    &map, "tail/mail_counter/spam=spam", cats, 4, b, sizeof(b));
	state = collectd_state_create(&small);

	/* One host, ever new value names (plugin instances): its own cap. */
	b[0] = '\0';
	for (i = 0; i < 5; i++) {
		snprintf(line, sizeof(line),
		    "PUTVAL mx1.example/tail-i%zu/mail_counter-spam "
		    "1226448000:%zu\n",
		    i, i);
		strcat(b, line);
	}
	rc = run(b, 1);
	ok(rc == -1 && api_error_status(err.kind) == 429 &&
		strcmp(err.code, "too_many_values") == 0 &&
		strcmp(err.field, "line 5") == 0,
	    "a fifth new value of one host: 429 too_many_values naming line 5");
	ok(collectd_state_keys(state) == 0 &&
		collectd_state_sources(state) == 0,
	    "and the refused body left nothing behind");
	strstr(b, "PUTVAL mx1.example/tail-i4")[0] = '\0';
	ok(run(b, 1) == 0 && collectd_state_keys(state) == 4,
	    "four values fill mx1's table");
	ok(run("PUTVAL mx1.example/tail-i9/mail_counter-spam 1226448010:1\n",
	       1) == -1 &&
		strcmp(err.code, "too_many_values") == 0,
	    "a fifth is refused");
	ok(run(putval(
		   line, sizeof(line), "mx2.example", "spam", 100, 1226448000),
	       1) == 0 &&
		run(putval(line, sizeof(line), "mx2.example", "spam", 130,
			1226448010),
		    1) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 30,
	    "another host is not affected by mx1's full table");
	ok(run("PUTVAL mx1.example/tail-i0/mail_counter-spam 1226448010:7\n",
	       1) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 7,
	    "mx1 still counts the values it has");

	/* Hosts: at most three remembered. */
	ok(run(putval(line, sizeof(line), "mx3.example", "spam", 1, 1226448000),
	       1) == 0 &&
		collectd_state_sources(state) == 3,
	    "a third host is remembered");
	ok(run(putval(line, sizeof(line), "mx4.example", "spam", 1, 1226448000),
	       1) == -1 &&
		api_error_status(err.kind) == 429 &&
		strcmp(err.code, "too_many_sources") == 0,
	    "a fourth host: 429 too_many_sources");
	ok(run("PUTVAL mx4.example/tail-x/mail_counter-spam N:5.0\n", 1) == 0 &&
		nsubs == 1,
	    "its gauges still count: only counter state is bounded");

	/* A body refused by ingest does not use up its growth. */
	keys = collectd_state_keys(state);
	ok(parse_at(putval(line, sizeof(line), "mx2.example", "spam", 150,
			1226448020),
	       1, NOW) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 20,
	    "mx2 grows by 20");
	collectd_settle(state, change, 0, NOW);
	change = NULL;
	ok(run(putval(
		   line, sizeof(line), "mx2.example", "spam", 160, 1226448030),
	       1) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 30,
	    "refused by ingest: the next body counts 30, the refused growth "
	    "too");
	is_int(collectd_state_keys(state), keys, "no value was added or lost");

	/* While a body is in flight its values are its own. */
	ok(parse_at(putval(line, sizeof(line), "mx2.example", "spam", 170,
			1226448040),
	       1, NOW) == 0,
	    "a body in flight");
	{
		struct collectd_change *held = change;

		change = NULL;
		ok(parse_at(putval(line, sizeof(line), "mx2.example", "spam",
				180, 1226448050),
		       1, NOW) == -1 &&
			api_error_status(err.kind) == 503 &&
			strcmp(err.code, "busy") == 0,
		    "a second body with the same value: 503 busy");
		collectd_settle(state, held, 1, NOW);
	}
	ok(run(putval(
		   line, sizeof(line), "mx2.example", "spam", 180, 1226448050),
	       1) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 10,
	    "once settled the next body counts from the first");

	/* A jump past max_count is a glitch, not a count. */
	ok(run(putval(line, sizeof(line), "mx2.example", "spam",
		   180 + 5000000000ULL, 1226448060),
	       1) == 0 &&
		nsubs == 0 && res.jumps == 1,
	    "a counter growing past max_count at once counts nothing");

	/* Idle values and hosts are forgotten. */
	ok(parse_at(
	       putval(line, sizeof(line), "mx3.example", "spam", 5, 1226448100),
	       1, NOW + 3000) == 0 &&
		nsubs == 1,
	    "mx3 speaks again later");
	collectd_settle(state, change, 1, NOW + 3000);
	change = NULL;
	ok(parse_at(
	       putval(line, sizeof(line), "mx4.example", "spam", 1, 1226449000),
	       1, NOW + 3601) == 0 &&
		collectd_state_sources(state) == 2,
	    "an hour later mx1 and mx2 are forgotten and mx4 has room");
	collectd_settle(state, change, 1, NOW + 3601);
	change = NULL;
	ok(parse_at(
	       putval(line, sizeof(line), "mx1.example", "spam", 9, 1226449000),
	       1, NOW + 3602) == 0 &&
		nsubs == 0 && res.primed == 1,
	    "a forgotten host starts again by priming");
	collectd_settle(state, change, 1, NOW + 3602);
	change = NULL;
	free(subs);
	subs = NULL;
	collectd_state_free(state);
}

int
main(void)
{
	char		    b[2048], e[256];
	struct collectd_map m2;

	plan(68);

	/* The map. */
	ok(collectd_map_parse(&map,
	       "mail_counter/spam=spam,mail_counter/ham=ham,"
	       "mail_counter/virus=virus,mail_counter/rejected=rejected",
	       cats, 4, e, sizeof(e)) == 0 &&
		map.n == 4,
	    "the default map parses");
	ok(collectd_map_parse(&m2, "postfix/mail/in:rx=ham:gauge", cats, 4, e,
	       sizeof(e)) == 0 &&
		m2.n == 1 && strcmp(m2.rules[0].plugin, "postfix") == 0 &&
		strcmp(m2.rules[0].type, "mail") == 0 &&
		strcmp(m2.rules[0].type_instance, "in") == 0 &&
		strcmp(m2.rules[0].dsname, "rx") == 0 &&
		m2.rules[0].category == 1 && m2.rules[0].kind == COLLECTD_GAUGE,
	    "plugin/type/instance:ds=category:kind parses into its parts");
	ok(collectd_map_parse(&m2, "spam", cats, 4, e, sizeof(e)) == -1,
	    "a rule without = is refused");
	ok(collectd_map_parse(
	       &m2, "mail_counter=spam", cats, 4, e, sizeof(e)) == -1,
	    "a key without type/instance is refused");
	ok(collectd_map_parse(&m2, "a/b=spam:bogus", cats, 4, e, sizeof(e)) ==
		-1,
	    "an unknown kind is refused");
	ok(collectd_map_parse(&m2, "a/b/c/d=spam", cats, 4, e, sizeof(e)) == -1,
	    "four parts are refused");
	ok(collectd_map_parse(
	       &m2, "a/b=spam,a/c=eggs", cats, 4, e, sizeof(e)) == 0 &&
		m2.n == 1 && strcmp(m2.skipped, "a/c=eggs") == 0,
	    "a rule for a category not configured is left out and named");
	ok(collectd_map_parse(&m2, "", cats, 4, e, sizeof(e)) == 0 && m2.n == 0,
	    "an empty map is empty");

	state = collectd_state_create(&limits);

	/* Cumulative values: prime, delta, repeat, reset. */
	ok(run(json1(b, sizeof(b), "MX1.Example.com", "spam", "derive", "100",
		   NOW - 20.2),
	       0) == 0 &&
		nsubs == 0 && res.primed == 1 && res.values == 1 &&
		res.mapped == 1,
	    "the first derive sample only primes");
	ok(run(json1(b, sizeof(b), "mx1.example.com", "spam", "derive", "107",
		   NOW - 10.4),
	       0) == 0 &&
		nsubs == 1,
	    "the second sample submits");
	is_str(subs[0].source, "mx1.example.com",
	    "the host becomes the source, lowercased");
	is_int(subs[0].counts[0], 7, "a derive submits the delta");
	is_int(subs[0].time, NOW - 10, "the time is the sample time rounded");
	is_int(subs[0].interval, 10, "the interval is the sample interval");
	ok(subs[0].hash == submission_hash(&subs[0], 4),
	    "the retry hash is set");
	ok(run(json1(b, sizeof(b), "mx1.example.com", "spam", "derive", "107",
		   NOW - 10.4),
	       0) == 0 &&
		nsubs == 0 && res.repeats == 1,
	    "a sample not newer than the last adds nothing");
	ok(run(json1(b, sizeof(b), "mx1.example.com", "spam", "derive", "3",
		   NOW - 0.4),
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 3 && res.resets == 1,
	    "a derive going backwards is a reset: the new value counts");
	run(json1(b, sizeof(b), "mx1.example.com", "virus", "counter",
		"4294967290", NOW - 20),
	    0);
	ok(run(json1(b, sizeof(b), "mx1.example.com", "virus", "counter", "5",
		   NOW - 10),
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[2] == 5,
	    "a counter going backwards is a reset too, never a huge count");

	/* Per-interval kinds need no priming. */
	ok(run(json1(b, sizeof(b), "mx2.example.com", "ham", "gauge", "41.6",
		   NOW - 5),
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[1] == 42,
	    "a gauge counts as sent (rounded)");
	ok(run(json1(b, sizeof(b), "mx2.example.com", "rejected", "absolute",
		   "9", NOW - 5),
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[3] == 9,
	    "an absolute counts as sent");
	ok(run(json1(b, sizeof(b), "mx2.example.com", "ham", "gauge", "null",
		   NOW - 5),
	       0) == 0 &&
		nsubs == 0,
	    "a null value adds nothing");

	/* Unmapped values. */
	ok(run("[{\"values\":[0.5,1.5],\"dstypes\":[\"gauge\",\"gauge\"],"
	       "\"dsnames\":[\"shortterm\",\"midterm\"],\"time\":1226448000,"
	       "\"interval\":10,\"host\":\"mx1\",\"plugin\":\"load\","
	       "\"plugin_instance\":\"\",\"type\":\"load\",\"type_instance\":"
	       "\"\"}]",
	       0) == 0 &&
		nsubs == 0 && res.values == 2 && res.mapped == 0,
	    "values outside the map are read and ignored");

	/* Several hosts and categories in one body. */
	ok(run("[{\"values\":[5],\"dstypes\":[\"gauge\"],\"dsnames\":["
	       "\"value\"],"
	       "\"time\":1226448000,\"interval\":60,\"host\":\"a.example\","
	       "\"plugin\":\"p\",\"type\":\"mail_counter\",\"type_instance\":"
	       "\"spam\"},"
	       "{\"values\":[6],\"dstypes\":[\"gauge\"],\"dsnames\":[\"value\"]"
	       ","
	       "\"time\":1226448000,\"interval\":60,\"host\":\"a.example\","
	       "\"plugin\":\"p\",\"type\":\"mail_counter\",\"type_instance\":"
	       "\"ham\"},"
	       "{\"values\":[7],\"dstypes\":[\"gauge\"],\"dsnames\":[\"value\"]"
	       ","
	       "\"time\":1226448000,\"interval\":60,\"host\":\"b.example\","
	       "\"plugin\":\"p\",\"type\":\"mail_counter\",\"type_instance\":"
	       "\"spam\"}]",
	       0) == 0 &&
		nsubs == 2,
	    "one submission per host and time");
	ok(nsubs == 2 && subs[0].counts[0] == 5 && subs[0].counts[1] == 6 &&
		subs[1].counts[0] == 7 &&
		strcmp(subs[1].source, "b.example") == 0,
	    "categories of one host and time share a submission");

	/* Rules with a plugin and with a data source name. */
	collectd_map_parse(&map,
	    "mail_counter/spam=spam,other/mail_counter/spam="
	    "virus,mail/in:rx=ham",
	    cats, 4, e, sizeof(e));
	ok(run("{\"values\":[3],\"dstypes\":[\"gauge\"],\"dsnames\":[\"value\"]"
	       ","
	       "\"time\":1226448000,\"interval\":60,\"host\":\"c.example\","
	       "\"plugin\":\"other\",\"type\":\"mail_counter\",\"type_"
	       "instance\":"
	       "\"spam\"}",
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[2] == 3 && subs[0].counts[0] == 0,
	    "a rule naming the plugin wins");
	ok(run("[{\"values\":[3,4],\"dstypes\":[\"gauge\",\"gauge\"],"
	       "\"dsnames\":"
	       "[\"rx\",\"tx\"],\"time\":1226448000,\"interval\":60,\"host\":"
	       "\"c.example\",\"plugin\":\"x\",\"type\":\"mail\",\"type_"
	       "instance\":"
	       "\"in\"}]",
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[1] == 3 && res.mapped == 1,
	    "a :dsname rule picks one value of a list");

	/* PUTVAL. */
	collectd_map_parse(&map, "mail_counter/spam=spam,mail_counter/ham=ham",
	    cats, 4, e, sizeof(e));
	ok(run("PUTVAL \"mx3.example.com/tail-postfix/mail_counter-spam\" "
	       "interval=10 1226448000:50\n",
	       1) == 0 &&
		nsubs == 0 && res.primed == 1,
	    "a PUTVAL integer is cumulative: the first primes");
	ok(run("PUTVAL \"mx3.example.com/tail-postfix/mail_counter-spam\" "
	       "interval=10 1226448010:62\r\n"
	       "PUTVAL mx3.example.com/tail-postfix/mail_counter-ham "
	       "interval=10 "
	       "1226448010:U\n\n",
	       1) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 12 &&
		subs[0].interval == 10 && subs[0].time == 1226448010,
	    "the next PUTVAL submits the delta");
	ok(run("PUTVAL mx3.example.com/tail-postfix/mail_counter-ham "
	       "interval=30 N:4.0\n",
	       1) == 0 &&
		nsubs == 1 && subs[0].time == NOW && subs[0].interval == 30 &&
		subs[0].counts[1] == 4,
	    "N is now, and a decimal value is a gauge");
	ok(run("PUTVAL mx3.example.com/cpu-0/cpu-idle interval=10 N:99\n", 1) ==
		    0 &&
		nsubs == 0 && res.values == 1 && res.mapped == 0,
	    "an unmapped PUTVAL is ignored");

	/* Refusals, and the state stays as it was. */
	refused("[{", 0, 400, "bad_json", "malformed JSON");
	refused("[{\"values\":[1],\"dstypes\":[\"gauge\"],\"dsnames\":[]}]", 0,
	    400, "bad_json", "arrays of different lengths");
	refused("[{\"values\":[\"x\"],\"dstypes\":[\"gauge\"],\"dsnames\":"
		"[\"value\"],\"time\":1,\"interval\":1,\"type\":\"t\"}]",
	    0, 400, "bad_json", "a string value");
	refused(json1(b, sizeof(b), "bad_host!", "spam", "gauge", "1", NOW), 0,
	    422, "bad_source", "a host that is not a DNS name");
	refused(
	    json1(b, sizeof(b), "mx9.example", "spam", "gauge", "1", NOW + 301),
	    0, 422, "time_in_future", "a time too far ahead");
	refused(json1(b, sizeof(b), "mx9.example", "spam", "gauge", "-1", NOW),
	    0, 422, "bad_count", "a negative gauge");
	refused("PUTNOTIF severity=okay time=1 message=x\n", 1, 400,
	    "bad_command", "a command other than PUTVAL");
	refused("PUTVAL onlyhost interval=10 N:1\n", 1, 400, "bad_command",
	    "an identifier without three parts");
	refused("PUTVAL a/b/mail_counter-spam interval=10 N:abc\n", 1, 400,
	    "bad_command", "a value that is not a number");
	refused("PUTVAL \"m4.example/p/mail_counter-spam\" 1226448000:5\n"
		"PUTVAL \"m4.example/p/mail_counter-spam\" 1226448000:x\n",
	    1, 400, "bad_command", "a bad second line");
	ok(run("PUTVAL \"m4.example/p/mail_counter-spam\" 1226448010:9\n", 1) ==
		    0 &&
		res.primed == 1 && nsubs == 0,
	    "a refused body left no previous value behind");
	refused("PUTVAL a.example/p/mail_counter-spam N:1.5\n"
		"PUTVAL b.example/p/mail_counter-spam N:1.5\n"
		"PUTVAL c.example/p/mail_counter-spam N:1.5\n"
		"PUTVAL d.example/p/mail_counter-spam N:1.5\n",
	    1, 413, "batch_too_large", "more submissions than max_batch");
	is_int(collectd_state_keys(state), 4,
	    "the state remembers each cumulative value once");

	/* Gauges past 2^63 once came back from llround as LLONG_MIN. */
	refused(
	    json1(b, sizeof(b), "mx9.example", "spam", "gauge", "1e300", NOW),
	    0, 422, "bad_count", "a JSON gauge of 1e300");
	refused(
	    json1(b, sizeof(b), "mx9.example", "spam", "gauge", "9.3e18", NOW),
	    0, 422, "bad_count", "a JSON gauge of 9.3e18");
	refused(json1(b, sizeof(b), "mx9.example", "spam", "absolute",
		    "1000000000.5", NOW),
	    0, 422, "bad_count", "an absolute just past max_count");
	refused("PUTVAL mx9.example/p/mail_counter-spam N:1e300\n", 1, 422,
	    "bad_count", "a PUTVAL gauge of 1e300");
	refused("PUTVAL mx9.example/p/mail_counter-spam N:9.3e18\n", 1, 422,
	    "bad_count", "a PUTVAL gauge of 9.3e18");
	ok(run(json1(b, sizeof(b), "mx9.example", "spam", "gauge",
		   "1000000000.4", NOW),
	       0) == 0 &&
		nsubs == 1 && subs[0].counts[0] == 1000000000ULL,
	    "a gauge that rounds to max_count is taken");

	free(subs);
	subs = NULL;
	collectd_state_free(state);
	test_bounds();
	return tap_done();
}
