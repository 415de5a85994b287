/*
 * api_misc.c -- /healthz, /metrics and the web UI's static files.
 *
 * Owns the media-type table, the rules for which files of the web
 * directory may be served (plain names, known extensions, no links), the
 * libraries the UI takes from the system's JavaScript directory, and the
 * validators (ETag) that let a browser keep what it has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "api.h"
#include "conf.h"
#include "csv.h"
#include "http.h"
#include "ingest.h"
#include "sources.h"
#include "spamtrend.h"

/* What each served file extension is. */
static const struct {
	const char *ext;
	const char *ctype;
} misc_media_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

/*
 * Files the UI loads from an installed library when web_dir has no copy:
 * the name served under /assets/ and its path below js_dir.
 */
static const struct {
	const char *name;
	const char *path;
} misc_libraries[] = {
    {"dygraph.min.js", "dygraphs/dygraph.min.js"},
};

/* The media type for name, or NULL when it may not be served. */
static const char *
misc_media_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t	    i;

	if (dot == NULL)
		return NULL;
	for (i = 0; i < sizeof(misc_media_types) / sizeof(misc_media_types[0]);
	     i++)
		if (strcmp(dot, misc_media_types[i].ext) == 0)
			return misc_media_types[i].ctype;
	return NULL;
}

/* 1 when name is a plain file name: [A-Za-z0-9_.-], no leading dot. */
static int
misc_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			(name[i] >= 'A' && name[i] <= 'Z') ||
			(name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
			name[i] == '-' || name[i] == '.'))
			return 0;
	return 1;
}

/* Open name in the web directory, or an installed library's file. */
static int
misc_open(struct spamtrend *st, const char *name)
{
	char   path[4200];
	size_t i;
	int    fd;

	snprintf(path, sizeof(path), "%s/%s", st->conf->web_dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) != -1 ||
	    errno != ENOENT)
		return fd;
	for (i = 0; i < sizeof(misc_libraries) / sizeof(misc_libraries[0]);
	     i++) {
		if (strcmp(name, misc_libraries[i].name) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->conf->js_dir,
		    misc_libraries[i].path);
		return open(path, O_RDONLY | O_CLOEXEC);
	}
	return -1;
}

/*
 * Answer with the file name from the web directory (or a library), or 304
 * when the browser already has this version.
 */
static void
misc_send_file(struct http_request *r, struct spamtrend *st, const char *name)
{
	const char *ctype = misc_media_type(name);
	const char *match;
	char	    etag[64], *buf;
	struct stat sb;
	ssize_t	    got;
	int	    fd;

	if (!misc_name_ok(name) || ctype == NULL) {
		http_fail(r, 404, "not_found", "path", "no such file");
		return;
	}
	if ((fd = misc_open(st, name)) == -1) {
		http_fail(r, 404, "not_found", "path", "no such file");
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > 4 * 1024 * 1024) {
		close(fd);
		http_fail(r, 404, "not_found", "path", "no such file");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	    (unsigned long long)sb.st_mtime, (unsigned long long)sb.st_size);
	http_add_header(r, "Cache-Control", "no-cache");
	http_add_header(r, "ETag", etag);
	match = http_header(r, "If-None-Match");
	if (match != NULL && strcmp(match, etag) == 0) {
		close(fd);
		http_respond(r, 304, ctype, NULL, 0, 0);
		return;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		abort();
	got = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	if (got != sb.st_size) {
		free(buf);
		http_fail(r, 500, "internal", "", "the file could not be read");
		return;
	}
	http_respond(r, 200, ctype, buf, (size_t)got, 1);
}

/* GET / and GET /source/<name>: the single page of the UI. */
static void
misc_index(struct http_request *r, void *arg)
{
	misc_send_file(r, arg, "index.html");
}

/* GET /assets/<file> */
static void
misc_asset(struct http_request *r, void *arg)
{
	misc_send_file(r, arg, http_path(r) + strlen("/assets/"));
}

/*
 * Failing files named in /healthz and as labelled series in /metrics: when
 * every file fails (rrdcached started anew, a disk gone read-only) there
 * may be 100,000 of them, and a health check polled every few seconds must
 * stay small; the count is always given whole.
 */
#define MISC_FAILING_SHOWN 20

struct failing_ctx {
	FILE *fp;
	int   n; /* files met */
};

/* One failing file into the /healthz list (names are validated). */
static void
misc_failing_json(void *arg, const char *name, const char *error, int64_t since)
{
	struct failing_ctx *c = arg;
	struct csv_buf	    b = {0};
	char		   *text;
	size_t		    len;

	if (c->n >= MISC_FAILING_SHOWN) {
		c->n++;
		return;
	}
	csv_json_string(&b, error);
	text = csv_take(&b, &len);
	fprintf(c->fp, "%s{\"file\":\"%s.rrd\",\"since\":%lld,\"error\":%s}",
	    c->n++ > 0 ? "," : "", name, (long long)since,
	    text != NULL ? text : "\"\"");
	free(text);
}

/*
 * GET /healthz: 503 while submissions cannot be made durable; 200 with
 * status "degraded" and the files that cannot be written while some fail
 * (their counts wait, nothing is lost yet); else 200 "ok".
 */
static void
misc_healthz(struct http_request *r, void *arg)
{
	struct spamtrend  *st = arg;
	struct failing_ctx c;
	char		  *buf = NULL;
	size_t		   len = 0;

	if (ingest_degraded(st->ingest)) {
		http_respond_json(r, 503,
		    "{\"status\":\"degraded\",\"detail\":"
		    "\"the journal cannot be written\"}");
		return;
	}
	if ((c.fp = open_memstream(&buf, &len)) == NULL)
		abort();
	c.n = 0;
	fprintf(c.fp,
	    "{\"status\":\"degraded\",\"detail\":\"some files "
	    "cannot be written; their counts wait\",\"failing\":[");
	ingest_each_failing(st->ingest, misc_failing_json, &c);
	fprintf(c.fp, "],\"failing_count\":%d}", c.n);
	fclose(c.fp);
	if (c.n == 0)
		http_respond_json(r, 200, "{\"status\":\"ok\"}");
	else
		http_respond_json(r, 200, buf);
	free(buf);
}

/* Append one metric with its HELP and TYPE lines. */
static void
misc_metric(FILE *fp, const char *name, const char *type, const char *help,
    double value)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
	    type, name, value);
}

struct metrics_ctx {
	FILE		  *fp;
	const struct conf *conf;
	int		   last; /* 1: print the last-step gauge */
};

/* One source's counters (label values are validated host names). */
static void
misc_source_totals(
    void *arg, const char *source, const uint64_t *totals, int64_t last_step)
{
	struct metrics_ctx *m = arg;
	unsigned	    c;

	if (m->last) {
		fprintf(m->fp,
		    "spamtrend_source_last_step_seconds{source=\"%s\"} "
		    "%lld\n",
		    source, (long long)last_step);
		return;
	}
	for (c = 0; c < m->conf->ncategories; c++)
		fprintf(m->fp,
		    "spamtrend_source_messages_total{source=\"%s\","
		    "category=\"%s\"} %llu\n",
		    source, m->conf->categories[c],
		    (unsigned long long)totals[c]);
}

/* One failing file as a labelled gauge (names are validated). */
static void
misc_failing_metric(
    void *arg, const char *name, const char *error, int64_t since)
{
	struct failing_ctx *c = arg;

	(void)error;
	(void)since;
	if (c->n++ < MISC_FAILING_SHOWN)
		fprintf(
		    c->fp, "spamtrend_file_failing{file=\"%s.rrd\"} 1\n", name);
}

/* GET /metrics: the Prometheus text exposition format. */
static void
misc_metrics(struct http_request *r, void *arg)
{
	struct spamtrend   *st = arg;
	struct http_stats   hs;
	struct ingest_stats is;
	char		   *buf = NULL;
	size_t		    len = 0;
	FILE		   *fp;
	int		    i;

	http_get_stats(st->http, &hs);
	ingest_get_stats(st->ingest, &is);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	misc_metric(
	    fp, "spamtrend_up", "gauge", "1 while the collector runs.", 1);
	misc_metric(fp, "spamtrend_start_time_seconds", "gauge",
	    "Unix time the collector started.", (double)st->started);
	misc_metric(fp, "spamtrend_http_requests_total", "counter",
	    "HTTP requests received.", (double)hs.requests);
	fprintf(fp,
	    "# HELP spamtrend_http_responses_total HTTP responses by "
	    "status class.\n# TYPE spamtrend_http_responses_total counter\n");
	for (i = 1; i < 6; i++)
		fprintf(fp,
		    "spamtrend_http_responses_total{class=\"%dxx\"} %llu\n", i,
		    (unsigned long long)hs.responses_by_class[i]);
	misc_metric(fp, "spamtrend_http_timeouts_total", "counter",
	    "Requests ended by a timeout.", (double)hs.timeouts);
	misc_metric(fp, "spamtrend_submissions_accepted_total", "counter",
	    "Submissions made durable and counted.", (double)is.accepted);
	misc_metric(fp, "spamtrend_submissions_duplicate_total", "counter",
	    "Idempotent repeats answered without counting.",
	    (double)is.duplicates);
	misc_metric(fp, "spamtrend_submissions_late_total", "counter",
	    "Submissions accepted after a step they touch was written; their "
	    "counts are added to that step (never moved to another).",
	    (double)is.late);
	fprintf(fp,
	    "# HELP spamtrend_submissions_refused_total Submissions refused, "
	    "by reason.\n# TYPE spamtrend_submissions_refused_total "
	    "counter\n");
	fprintf(fp,
	    "spamtrend_submissions_refused_total{reason=\"too_old\"} %llu\n"
	    "spamtrend_submissions_refused_total{reason=\"id_reused\"} "
	    "%llu\n"
	    "spamtrend_submissions_refused_total{reason=\"sources\"} %llu\n"
	    "spamtrend_submissions_refused_total{reason=\"disk\"} %llu\n"
	    "spamtrend_submissions_refused_total{reason=\"journal\"} %llu\n",
	    (unsigned long long)is.refused_too_old,
	    (unsigned long long)is.refused_id_reused,
	    (unsigned long long)is.refused_sources,
	    (unsigned long long)is.refused_disk,
	    (unsigned long long)is.refused_journal);
	misc_metric(fp, "spamtrend_journal_syncs_total", "counter",
	    "Group commits (one fdatasync each).", (double)is.commits);
	misc_metric(fp, "spamtrend_journal_sync_failures_total", "counter",
	    "Group commits that failed.", (double)is.commit_failures);
	misc_metric(fp, "spamtrend_sources", "gauge", "Sources known.",
	    (double)is.sources);
	{
		struct sources *idx = ingest_sources(st->ingest);

		misc_metric(fp, "spamtrend_source_index_sources", "gauge",
		    "Sources in the in-memory index listings answer from.",
		    (double)sources_count(idx));
		misc_metric(fp, "spamtrend_source_index_files_read_total",
		    "counter", "Source files read into the index.",
		    (double)sources_files_read(idx));
		misc_metric(fp, "spamtrend_source_index_state", "gauge",
		    "0 at start-up, 1 once the index names every file, 2 "
		    "once it has read them all.",
		    (double)sources_state(idx));
	}
	misc_metric(fp, "spamtrend_idempotency_keys", "gauge",
	    "Idempotency keys remembered.", (double)is.idempotency_keys);
	misc_metric(fp, "spamtrend_open_window_start_seconds", "gauge",
	    "Steps ending at or before this time are handed to the writer.",
	    (double)is.watermark);
	misc_metric(fp, "spamtrend_flush_cycles_total", "counter",
	    "Write cycles done (one per step, and for late counts).",
	    (double)is.flush_cycles);
	misc_metric(fp, "spamtrend_flush_cycles_queued_total", "counter",
	    "Write cycles handed to the writer.", (double)is.cycles_queued);
	misc_metric(fp, "spamtrend_late_waiting", "gauge",
	    "1 while late counts wait for the next write cycle.",
	    (double)is.late_waiting);
	misc_metric(fp, "spamtrend_open_buckets", "gauge",
	    "Steps of files counted in memory, not yet written.",
	    (double)is.open_buckets);
	misc_metric(fp, "spamtrend_flush_points_total", "counter",
	    "Steps appended to RRD files.", (double)is.flush_points);
	misc_metric(fp, "spamtrend_flush_late_points_total", "counter",
	    "Late steps added to rows already written.",
	    (double)is.flush_late_points);
	misc_metric(fp, "spamtrend_flush_patched_files_total", "counter",
	    "Files rewritten to take late counts.", (double)is.flush_patches);
	misc_metric(fp, "spamtrend_flush_inexact_total", "counter",
	    "Late counts that met rows an older version left unknown.",
	    (double)is.flush_inexact);
	misc_metric(fp, "spamtrend_flush_errors_total", "counter",
	    "File writes that failed (retried every step).",
	    (double)is.flush_errors);
	misc_metric(fp, "spamtrend_flush_failing_files", "gauge",
	    "Files that cannot be written now.", (double)is.flush_failing);
	misc_metric(fp, "spamtrend_flush_parked_points", "gauge",
	    "Steps waiting for a file that cannot be written.",
	    (double)is.flush_parked);
	misc_metric(fp, "spamtrend_flush_dropped_messages_total", "counter",
	    "Messages given up after their file failed for max_late seconds.",
	    (double)is.flush_dropped_messages);
	misc_metric(fp, "spamtrend_flush_sync_failures_total", "counter",
	    "Store syncs that failed.", (double)is.flush_sync_failures);
	misc_metric(fp, "spamtrend_flush_last_step_seconds", "gauge",
	    "End of the last step handed to the writer and written.",
	    (double)is.flush_last_step);
	misc_metric(fp, "spamtrend_flush_last_seconds", "gauge",
	    "Time taken to write the last cycle.", is.flush_last_seconds);
	misc_metric(fp, "spamtrend_flush_lag_seconds", "gauge",
	    "Seconds between the end of the last written step and now.",
	    is.flush_last_step > 0
		? (double)(clock_now(st->clock) - is.flush_last_step)
		: 0);
	fprintf(fp,
	    "# HELP spamtrend_file_failing 1 for a file that cannot be "
	    "written now (at most %d are named; "
	    "spamtrend_flush_failing_files counts them all).\n"
	    "# TYPE spamtrend_file_failing gauge\n",
	    MISC_FAILING_SHOWN);
	{
		struct failing_ctx c = {fp, 0};

		ingest_each_failing(st->ingest, misc_failing_metric, &c);
	}
	{
		struct metrics_ctx m = {fp, st->conf, 0};

		fprintf(fp,
		    "# HELP spamtrend_source_messages_total Messages "
		    "written per source and category since start.\n"
		    "# TYPE spamtrend_source_messages_total counter\n");
		ingest_each_source(st->ingest, misc_source_totals, &m);
		fprintf(fp,
		    "# HELP spamtrend_source_last_step_seconds End of "
		    "the last step written for a source.\n"
		    "# TYPE spamtrend_source_last_step_seconds gauge\n");
		m.last = 1;
		ingest_each_source(st->ingest, misc_source_totals, &m);
	}
	fclose(fp);
	http_respond(
	    r, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len, 1);
}

/* Register the routes. */
void
api_misc_routes(struct http *h, struct spamtrend *st)
{
	http_route(h, "GET", "/healthz", misc_healthz, st);
	http_route(h, "GET", "/metrics", misc_metrics, st);
	http_route(h, "GET", "/", misc_index, st);
	http_route(h, "GET", "/source/*", misc_index, st);
	http_route(h, "GET", "/assets/*", misc_asset, st);
}
