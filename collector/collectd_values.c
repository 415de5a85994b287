/*
 * collectd_values.c -- the previous values of collectd counters kept across
 * a clean restart.
 *
 * A counter becomes a count by subtracting its previous value, which lives
 * in memory (collectd_state.c).  Without this file a restart would forget
 * every previous value, and the first sample of each counter after it
 * would only prime: the growth over the restart would be lost.  So a clean
 * stop writes the remembered values (those of accepted bodies only: the
 * HTTP server and ingest have stopped and settled every body by then) to
 * <data-dir>/collectd-values, and the next start reads them back and
 * removes the file before serving, so that it is used once: a later kill
 * -9 must not bring back values older than what the journal holds (their
 * growth would be counted twice).  After a kill -9 there is no file and
 * the first samples prime, as before.  A collector that is one of several
 * keeps none (api_collectd.c decides): while it was stopped its hosts
 * went to another collector, which counted their growth.
 *
 *	spamtrend-collectd-values 1
 *	SEEN KIND TIME VALUE HOST ID	(ID percent-escaped)
 *
 * Owns only the file; the state is collectd_state.c's.
 */
#include "collectd_values.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/limits.h"
#include "../lib/log.h"
#include "../lib/source.h"

#define CV_MAGIC  "spamtrend-collectd-values 1"
#define CV_ID_MAX 1024

/* The file of data_dir, into buf. */
static int
collectd_values_path(const char *data_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/collectd-values", data_dir);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Write s with bytes outside '!'..'~' and '%' as %XX. */
static void
collectd_values_escape(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '%')
			fprintf(fp, "%%%02X", c);
		else
			fputc(c, fp);
	}
}

/* Undo collectd_values_escape in place; -1 on a malformed escape. */
static int
collectd_values_unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		unsigned v;

		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		if (sscanf(s + 1, "%2x", &v) != 1 || s[1] == '\0' ||
		    s[2] == '\0' || v == 0)
			return -1;
		*w++ = (char)v;
		s += 2;
	}
	*w = '\0';
	return 0;
}

struct cv_write {
	FILE  *fp;
	size_t n;
};

/* collectd_state_each callback: one line. */
static void
collectd_values_line(void *arg, const char *host, const char *id,
    enum collectd_kind kind, double time, uint64_t value, int64_t seen)
{
	struct cv_write *w = arg;

	fprintf(w->fp, "%lld %d %.17g %" PRIu64 " %s ", (long long)seen,
	    (int)kind, time, value, host);
	collectd_values_escape(w->fp, id);
	fputc('\n', w->fp);
	w->n++;
}

/* Write the state's values; see collectd_values.h. */
int
collectd_values_save(const struct collectd_state *st, const char *data_dir)
{
	char		path[PATH_MAX], tmp[PATH_MAX + 8];
	struct cv_write w = {NULL, 0};
	int		fd, ok;

	if (collectd_values_path(data_dir, path, sizeof(path)) == -1)
		return -1;
	if (collectd_state_keys(st) == 0) {
		unlink(path);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp,
		 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		 0640)) == -1 ||
	    (w.fp = fdopen(fd, "w")) == NULL) {
		log_error("collectd: cannot keep the counters' previous values "
			  "for the next start: %s: %s; after it each counter's "
			  "first sample only primes",
		    tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(w.fp, "%s\n", CV_MAGIC);
	collectd_state_each(st, collectd_values_line, &w);
	ok = fflush(w.fp) == 0 && fdatasync(fd) == 0;
	if (fclose(w.fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		log_error("collectd: cannot keep the counters' previous values "
			  "for the next start: %s: %s",
		    path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	log_info("collectd: kept %zu counters' previous values for the next "
		 "start in %s",
	    w.n, path);
	return 0;
}

/* Read, restore and remove the file; see collectd_values.h. */
int
collectd_values_load(
    struct collectd_state *st, const char *data_dir, int64_t now)
{
	char	  path[PATH_MAX], line[64 + ST_SOURCE_MAX + 3 * CV_ID_MAX];
	char	  host[ST_SOURCE_MAX + 1], norm[ST_SOURCE_MAX + 1];
	char	  id[3 * CV_ID_MAX];
	FILE	 *fp;
	size_t	  lineno = 0, restored = 0, bad = 0, refused = 0;
	long long seen;
	int	  kind, r, dfd = -1;
	double	  t;
	uint64_t  value;
	struct st_error e;

	if (collectd_values_path(data_dir, path, sizeof(path)) == -1)
		return -1;
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error("collectd: %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, CV_MAGIC "\n") != 0) {
				bad++;
				break;
			}
			continue;
		}
		if (sscanf(line, "%lld %d %lf %" SCNu64 " %253s %3071s", &seen,
			&kind, &t, &value, host, id) != 6 ||
		    strchr(line, '\n') == NULL ||
		    collectd_values_unescape(id) == -1 ||
		    strlen(id) >= CV_ID_MAX ||
		    source_normalise(host, strlen(host), norm, "host", &e) ==
			-1 ||
		    strcmp(norm, host) != 0) {
			bad++;
			continue;
		}
		r = collectd_state_restore(st, host, id,
		    (enum collectd_kind)kind, t, value, (int64_t)seen, now);
		if (r == 1)
			restored++;
		else if (r == -1)
			refused++;
	}
	fclose(fp);
	if (bad > 0)
		log_warn("collectd: %s: %zu line(s) not understood and left "
			 "out",
		    path, bad);
	if (refused > 0)
		log_warn("collectd: %s: %zu value(s) over collectd_max_values "
			 "or max_sources left out",
		    path, refused);
	log_info("collectd: %zu counters' previous values read back from the "
		 "last stop",
	    restored);
	/* Used once: a later start after a kill -9 must not use them again. */
	if (unlink(path) == -1 ||
	    ((dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1 &&
		fsync(dfd) == -1)) {
		log_error(
		    "collectd: cannot remove %s: %s", path, strerror(errno));
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	if (dfd != -1)
		close(dfd);
	return 0;
}
