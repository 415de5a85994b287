/*
 * notify.c -- notifications of drops and of stale sources.
 *
 * Owns what the notifier has seen (the findings and stale sources of its
 * last hour, in memory: after a restart the first hour only takes note),
 * the messages (one JSON object each, a finding in the form of
 * /api/v1/drops), and their delivery: an HTTP/1.1 POST to a plain http://
 * URL with a deadline, and a command run by /bin/sh with the message on
 * its standard input, killed at the same deadline.  It does not detect
 * (drops.c and detect.c do) and reads the time only through the clock it
 * is given.
 */
#include "notify.h"

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/limits.h"
#include "../lib/log.h"
#include "../lib/source.h"
#include "../rrd/store.h"
#include "csv.h"
#include "drops.h"

#define NOTIFY_MAX_SOURCES 64		/* watched for drops */
#define NOTIFY_REACH	   (35 * 86400) /* past settling (28 days) */
#define NOTIFY_RECENT	   3600		/* the first call tells this much */
#define NOTIFY_DELAY	   300		/* seconds after the hour */

extern char **environ;

/* A finding the notifier has told about (or taken note of). */
struct notify_seen {
	char		  source[ST_SOURCE_MAX + 1];
	char		  category[ST_CATEGORY_MAX + 1];
	enum detect_kind  kind;
	int64_t		  start;
	enum detect_state state;
	int		  mark; /* still listed at this call */
};

struct notify {
	char		      *url, *command;
	char		       host[256], port[8], path[1024];
	char		       sources[NOTIFY_MAX_SOURCES][ST_SOURCE_MAX + 1];
	size_t		       nsources;
	unsigned	       stale_after, timeout;
	int		       first; /* no call yet */
	struct notify_seen    *seen;
	size_t		       nseen, capseen;
	char		     **stale; /* sources stale at the last call */
	size_t		       nstale;
	pthread_t	       thread;
	int		       running, stop;
	pthread_mutex_t	       lock;
	pthread_cond_t	       cond;
	struct store	      *st;
	const struct st_clock *clock;
};

/*
 * Split "http://host[:port]/path" into n's host, port and path.  Returns 0,
 * or -1 with err filled.
 */
static int
notify_parse_url(struct notify *n, const char *url, char *err, size_t errlen)
{
	const char *p = url + 7, *slash, *colon, *close;
	size_t	    hl;

	if (strncmp(url, "http://", 7) != 0) {
		snprintf(err, errlen,
		    "notify_url: only http:// URLs (for https, use "
		    "notify_command with curl)");
		return -1;
	}
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	if (*p == '[') {
		close = memchr(p, ']', (size_t)(slash - p));
		if (close == NULL)
			goto bad;
		hl = (size_t)(close - p - 1);
		if (hl == 0 || hl >= sizeof(n->host))
			goto bad;
		memcpy(n->host, p + 1, hl);
		n->host[hl] = '\0';
		colon = close + 1 < slash && close[1] == ':' ? close + 1 : NULL;
		if (colon == NULL && close + 1 != slash)
			goto bad;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hl = (size_t)((colon != NULL ? colon : slash) - p);
		if (hl == 0 || hl >= sizeof(n->host))
			goto bad;
		memcpy(n->host, p, hl);
		n->host[hl] = '\0';
	}
	if (colon != NULL) {
		size_t pl = (size_t)(slash - colon - 1);

		if (pl == 0 || pl >= sizeof(n->port) ||
		    strspn(colon + 1, "0123456789") < pl)
			goto bad;
		memcpy(n->port, colon + 1, pl);
		n->port[pl] = '\0';
	} else
		snprintf(n->port, sizeof(n->port), "80");
	if (snprintf(n->path, sizeof(n->path), "%s", *slash ? slash : "/") >=
	    (int)sizeof(n->path))
		goto bad;
	if (strpbrk(n->path, " \r\n") != NULL)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "notify_url: not http://host[:port]/path");
	return -1;
}

/* Check the settings and make a notifier. */
struct notify *
notify_create(const struct notify_settings *s, char *err, size_t errlen)
{
	struct notify  *n;
	const char     *p = s->sources, *comma;
	char		name[ST_SOURCE_MAX + 1];
	struct st_error e;
	size_t		len;

	err[0] = '\0';
	if ((s->url == NULL || s->url[0] == '\0') &&
	    (s->command == NULL || s->command[0] == '\0'))
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->first = 1;
	n->stale_after = s->stale_after;
	n->timeout = s->timeout > 0 ? s->timeout : 10;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	if (s->url != NULL && s->url[0] != '\0' &&
	    (notify_parse_url(n, s->url, err, errlen) == -1 ||
		(n->url = strdup(s->url)) == NULL))
		goto fail;
	if (s->command != NULL && s->command[0] != '\0' &&
	    (n->command = strdup(s->command)) == NULL)
		goto fail;
	for (; p != NULL && *p != '\0'; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0)
			continue;
		if (n->nsources == NOTIFY_MAX_SOURCES) {
			snprintf(err, errlen, "notify_sources: at most %d",
			    NOTIFY_MAX_SOURCES);
			goto fail;
		}
		if (len == strlen(ST_TOTAL_SOURCE) &&
		    memcmp(p, ST_TOTAL_SOURCE, len) == 0)
			snprintf(name, sizeof(name), "%s", ST_TOTAL_SOURCE);
		else if (source_normalise(p, len, name, "notify_sources", &e) ==
		    -1) {
			snprintf(err, errlen, "notify_sources: '%.*s': %s",
			    (int)(len < 64 ? len : 64), p, e.detail);
			goto fail;
		}
		snprintf(
		    n->sources[n->nsources++], ST_SOURCE_MAX + 1, "%s", name);
	}
	return n;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	notify_free(n);
	return NULL;
}

/* Free what the last calls saw. */
static void
notify_forget(struct notify *n)
{
	size_t i;

	for (i = 0; i < n->nstale; i++)
		free(n->stale[i]);
	free(n->stale);
	free(n->seen);
	n->stale = NULL;
	n->seen = NULL;
	n->nstale = n->nseen = n->capseen = 0;
}

/* Stop the thread and free the notifier. */
void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->running) {
		pthread_mutex_lock(&n->lock);
		n->stop = 1;
		pthread_cond_broadcast(&n->cond);
		pthread_mutex_unlock(&n->lock);
		pthread_join(n->thread, NULL);
	}
	notify_forget(n);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	free(n->url);
	free(n->command);
	free(n);
}

/* Milliseconds left until deadline (a CLOCK_MONOTONIC time); 0 when past. */
static int
notify_left(const struct timespec *deadline)
{
	struct timespec now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)(ms > 60000 ? 60000 : ms) : 0;
}

/* Wait until fd is ready for events or the deadline; 1 ready, 0 not. */
static int
notify_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int	      r;

	do
		r = poll(&p, 1, notify_left(deadline));
	while (r == -1 && errno == EINTR);
	return r == 1;
}

/* Connect to n's host by the deadline; the socket, or -1. */
static int
notify_connect(const struct notify *n, const struct timespec *deadline)
{
	struct addrinfo hints, *res = NULL, *a;
	int		fd = -1, soerr;
	socklen_t	sl = sizeof(soerr);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(n->host, n->port, &hints, &res) != 0)
		return -1;
	for (a = res; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family,
		    a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    a->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS &&
			notify_wait(fd, POLLOUT, deadline) &&
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ==
			    0 &&
			soerr == 0))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * POST body to n's URL; 0 on a 2xx answer by the deadline, -1 otherwise
 * (with why in err).
 */
static int
notify_post(const struct notify *n, const char *body, size_t len,
    const struct timespec *deadline, char *err, size_t errlen)
{
	char	head[1600], answer[256];
	size_t	hl, off = 0, got = 0;
	ssize_t w;
	int	fd, code = 0, ret = -1;

	if ((fd = notify_connect(n, deadline)) == -1) {
		snprintf(
		    err, errlen, "cannot connect to %s:%s", n->host, n->port);
		return -1;
	}
	hl = (size_t)snprintf(head, sizeof(head),
	    "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: spamtrendd\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    n->path, n->host, n->port, len);
	while (off < hl + len) {
		if (!notify_wait(fd, POLLOUT, deadline))
			goto timeout;
		w = off < hl
		    ? send(fd, head + off, hl - off, MSG_NOSIGNAL)
		    : send(fd, body + off - hl, hl + len - off, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto done;
		}
		off += w > 0 ? (size_t)w : 0;
	}
	while (got < sizeof(answer) - 1 && memchr(answer, '\n', got) == NULL) {
		if (!notify_wait(fd, POLLIN, deadline))
			goto timeout;
		w = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
		if (w == 0)
			break;
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			goto done;
		}
		got += w > 0 ? (size_t)w : 0;
	}
	answer[got] = '\0';
	if (sscanf(answer, "HTTP/1.%*d %d", &code) != 1 || code < 200 ||
	    code > 299)
		snprintf(err, errlen, "answered %.40s",
		    got > 0 ? strtok(answer, "\r\n") : "nothing");
	else
		ret = 0;
	goto done;
timeout:
	snprintf(err, errlen, "no answer within %u s", n->timeout);
done:
	close(fd);
	return ret;
}

/*
 * Run n's command with body on its standard input and the event, source
 * and category in SPAMTREND_EVENT, SPAMTREND_SOURCE, SPAMTREND_CATEGORY;
 * killed at the deadline.  0 when it exited 0, -1 otherwise (why in err).
 */
static int
notify_run(const struct notify *n, const char *body, size_t len,
    const char *event, const char *source, const char *category,
    const struct timespec *deadline, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t	   attr;
	sigset_t		   none, all;
	char			  *argv[] = {"sh", "-c", n->command, NULL};
	char			 **envp = NULL, vars[3][ST_SOURCE_MAX + 32];
	size_t			   ne = 0, i, off = 0;
	pid_t			   pid = -1;
	int			   fds[2] = {-1, -1}, status = 0, ret = -1;
	ssize_t			   w;

	while (environ[ne] != NULL)
		ne++;
	if ((envp = calloc(ne + 4, sizeof(*envp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < ne; i++)
		envp[i] = environ[i];
	snprintf(vars[0], sizeof(vars[0]), "SPAMTREND_EVENT=%s", event);
	snprintf(vars[1], sizeof(vars[1]), "SPAMTREND_SOURCE=%s", source);
	snprintf(vars[2], sizeof(vars[2]), "SPAMTREND_CATEGORY=%s", category);
	for (i = 0; i < 3; i++)
		envp[ne + i] = vars[i];
	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(envp);
		return -1;
	}
	/* The daemon's threads block every signal; the command must not. */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(
	    &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	errno = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(envp);
	close(fds[0]);
	if (errno != 0) {
		snprintf(
		    err, errlen, "cannot run /bin/sh: %s", strerror(errno));
		close(fds[1]);
		return -1;
	}
	/* A message is far smaller than a pipe's buffer: no waiting here. */
	while (off < len &&
	    ((w = write(fds[1], body + off, len - off)) > 0 || errno == EINTR))
		off += w > 0 ? (size_t)w : 0;
	close(fds[1]);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (notify_left(deadline) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, errlen, "killed after %u s", n->timeout);
			return -1;
		}
		poll(NULL, 0, 20);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ret = 0;
	else
		snprintf(err, errlen, "exited with %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return ret;
}

/*
 * Deliver one message both ways n is set up for; 1 when either took it.
 * The message is {"event":event,"time":now, ...fields}: fields is the
 * rest of the members.
 */
static int
notify_send(struct notify *n, const char *event, int64_t now,
    const char *source, const char *category, const char *fields)
{
	struct csv_buf	b = {0};
	struct timespec deadline;
	char	       *body, err[320], iso[32];
	size_t		len;
	int		ok = 0;

	csv_iso8601(now, iso, sizeof(iso));
	csv_printf(&b,
	    "{\"event\":\"%s\",\"time\":%lld,\"time_iso8601\":\"%s\","
	    "%s}\n",
	    event, (long long)now, iso, fields);
	if ((body = csv_take(&b, &len)) == NULL)
		return 0;
	if (n->url != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += n->timeout;
		if (notify_post(n, body, len, &deadline, err, sizeof(err)) == 0)
			ok = 1;
		else
			log_warn("notify: %s %s: POST %s: %s", event, source,
			    n->url, err);
	}
	if (n->command != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += n->timeout;
		if (notify_run(n, body, len, event, source, category, &deadline,
			err, sizeof(err)) == 0)
			ok = 1;
		else
			log_warn(
			    "notify: %s %s: command: %s", event, source, err);
	}
	if (ok)
		log_info("notify: %s %s %s", event, source, category);
	free(body);
	return ok;
}

/* Tell about one finding: event is "found", "ended" or "settled". */
static int
notify_finding(
    struct notify *n, const char *event, int64_t now, const struct drop *d)
{
	struct csv_buf b = {0};
	char	      *fields;
	size_t	       len;
	int	       r;

	drops_json(&b, d);
	if ((fields = csv_take(&b, &len)) == NULL)
		return 0;
	r = notify_send(n, event, now, d->source, d->category, fields);
	free(fields);
	return r;
}

/* The seen entry of d, added when new (NULL when out of memory). */
static struct notify_seen *
notify_entry(struct notify *n, const struct drop *d, int *fresh)
{
	struct notify_seen *s, *nv;
	size_t		    i;

	*fresh = 0;
	for (i = 0; i < n->nseen; i++) {
		s = &n->seen[i];
		if (s->kind == d->f.kind && s->start == d->f.start &&
		    strcmp(s->source, d->source) == 0 &&
		    strcmp(s->category, d->category) == 0)
			return s;
	}
	if (n->nseen == n->capseen) {
		n->capseen = n->capseen ? n->capseen * 2 : 16;
		if ((nv = realloc(n->seen, n->capseen * sizeof(*nv))) == NULL)
			return NULL;
		n->seen = nv;
	}
	s = &n->seen[n->nseen++];
	memset(s, 0, sizeof(*s));
	snprintf(s->source, sizeof(s->source), "%s", d->source);
	snprintf(s->category, sizeof(s->category), "%s", d->category);
	s->kind = d->f.kind;
	s->start = d->f.start;
	s->state = DETECT_ONGOING;
	*fresh = 1;
	return s;
}

/* The drops of the watched sources against what was seen; -1 out of memory. */
static int
notify_drops(struct notify *n, struct store *st, int64_t now, int *sent)
{
	unsigned	    cats[ST_MAX_CATEGORIES], ncat, i;
	struct drop	   *d = NULL;
	struct st_error	    e;
	struct notify_seen *s;
	size_t		    nd, k, x, j;
	int		    fresh;

	(void)store_categories(st, &ncat);
	if (ncat > ST_MAX_CATEGORIES)
		ncat = ST_MAX_CATEGORIES;
	for (i = 0; i < ncat; i++)
		cats[i] = i;
	for (x = 0; x < n->nseen; x++)
		n->seen[x].mark = 0;
	for (x = 0; x < n->nsources; x++) {
		if (drops_find(st, n->sources[x], cats, ncat,
			now - NOTIFY_REACH, now + 1, NULL, &d, &nd, &e) == -1) {
			if (e.kind != ERR_NOT_FOUND)
				log_warn("notify: drops of %s: %s",
				    n->sources[x], e.detail);
			continue;
		}
		for (k = 0; k < nd; k++) {
			const struct detect_finding *f = &d[k].f;

			if (f->kind != DETECT_FALL && f->kind != DETECT_RISE &&
			    f->kind != DETECT_OUTAGE)
				continue;
			if ((s = notify_entry(n, &d[k], &fresh)) == NULL) {
				free(d);
				return -1;
			}
			s->mark = 1;
			/* After a start, only what is new enough is told. */
			if (fresh &&
			    (!n->first || now - f->confirmed <= NOTIFY_RECENT))
				*sent += notify_finding(n, "found", now, &d[k]);
			if (f->state != s->state &&
			    f->state != DETECT_ONGOING &&
			    (!n->first || now - f->end <= NOTIFY_RECENT))
				*sent += notify_finding(n,
				    f->state == DETECT_ENDED ? "ended"
							     : "settled",
				    now, &d[k]);
			s->state = f->state;
		}
		free(d);
		d = NULL;
	}
	/* What no longer shows (past the reach, or withdrawn) is forgotten. */
	for (x = j = 0; x < n->nseen; x++)
		if (n->seen[x].mark)
			n->seen[j++] = n->seen[x];
	n->nseen = j;
	return 0;
}

/* Was name stale at the last call? */
static int
notify_was_stale(const struct notify *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->nstale; i++)
		if (strcmp(n->stale[i], name) == 0)
			return 1;
	return 0;
}

/* Sources gone stale or back since the last call; -1 out of memory. */
static int
notify_stale(struct notify *n, struct store *st, int64_t now, int *sent)
{
	char	     **names = NULL, **stale = NULL, fields[512], iso[32];
	struct csv_buf b = {0};
	size_t	       nn = 0, ns = 0, i, len;
	int64_t	       last;
	int	       was, is;
	char	      *q;

	if (store_list_sources(st, &names, &nn) == -1)
		return 0;
	if (nn > 0 && (stale = calloc(nn, sizeof(*stale))) == NULL) {
		store_names_free(names, nn);
		return -1;
	}
	for (i = 0; i < nn; i++) {
		if (store_last(st, names[i], &last) == -1 || last == 0)
			continue;
		is = now - last > (int64_t)n->stale_after;
		was = notify_was_stale(n, names[i]);
		if (is && (stale[ns++] = strdup(names[i])) == NULL) {
			ns--;
			continue;
		}
		if (is == was ||
		    (n->first &&
			(!is ||
			    now - last - (int64_t)n->stale_after >
				NOTIFY_RECENT)))
			continue;
		csv_iso8601(last, iso, sizeof(iso));
		csv_printf(&b, "\"source\":");
		csv_json_string(&b, names[i]);
		csv_printf(&b, ",\"last\":%lld,\"last_iso8601\":\"%s\"",
		    (long long)last, iso);
		if ((q = csv_take(&b, &len)) == NULL)
			continue;
		snprintf(fields, sizeof(fields), "%s", q);
		free(q);
		*sent += notify_send(
		    n, is ? "stale" : "back", now, names[i], "", fields);
	}
	store_names_free(names, nn);
	for (i = 0; i < n->nstale; i++)
		free(n->stale[i]);
	free(n->stale);
	n->stale = stale;
	n->nstale = ns;
	return 0;
}

/* The work of one hour. */
int
notify_hour(struct notify *n, struct store *st, int64_t now)
{
	int sent = 0;

	if (notify_drops(n, st, now, &sent) == -1 ||
	    notify_stale(n, st, now, &sent) == -1)
		return -1;
	n->first = 0;
	return sent;
}

/* The thread: notify_hour a few minutes after every hour, until stopped. */
static void *
notify_thread(void *arg)
{
	struct notify  *n = arg;
	struct timespec ts;
	int64_t		now, hour, done = 0;

	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		now = clock_now(n->clock);
		hour = now - now % 3600;
		if (hour > done && now >= hour + NOTIFY_DELAY) {
			pthread_mutex_unlock(&n->lock);
			if (notify_hour(n, n->st, now) == -1)
				log_warn("notify: out of memory");
			pthread_mutex_lock(&n->lock);
			done = hour;
			continue;
		}
		/* The clock may be moved (tests): look again every second. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&n->cond, &n->lock, &ts);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* Start the thread. */
int
notify_start(struct notify *n, struct store *st, const struct st_clock *clock,
    char *err, size_t errlen)
{
	n->st = st;
	n->clock = clock;
	if ((errno = pthread_create(&n->thread, NULL, notify_thread, n)) != 0) {
		snprintf(err, errlen, "notify: thread: %s", strerror(errno));
		return -1;
	}
	n->running = 1;
	return 0;
}
