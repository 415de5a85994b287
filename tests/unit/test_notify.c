/*
 * test_notify.c -- the notifier against a real store in a temporary
 * directory, a local HTTP receiver (a thread on 127.0.0.1, port 0) and a
 * command that appends what it is given to a file: a fall taken note of at
 * the first hour, its return, a source gone stale, a new fall, and the
 * settings it refuses.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/notify.h"
#include "lib/log.h"
#include "rrd/store.h"
#include "tap.h"

#define H  3600LL
#define T0 1293840000LL /* 2011-01-01 00:00 UTC */

static const char cats[2][ST_CATEGORY_MAX + 1] = {"spam", "ham"};

/* What the receiver got: the bodies of the POSTs, one after the other. */
struct receiver {
	int		fd;
	int		port;
	pthread_t	thread;
	pthread_mutex_t lock;
	char		got[65536];
	size_t		len;
	unsigned	posts;
};

/* Serve POSTs until the listening socket is shut down. */
static void *
receiver_run(void *arg)
{
	struct receiver *rc = arg;
	char		 buf[16384], *body, *cl;
	size_t		 n, want;
	ssize_t		 r;
	int		 c;

	while ((c = accept(rc->fd, NULL, NULL)) >= 0) {
		n = 0;
		body = NULL;
		want = 0;
		while (n < sizeof(buf) - 1 &&
		    (r = recv(c, buf + n, sizeof(buf) - 1 - n, 0)) > 0) {
			n += (size_t)r;
			buf[n] = '\0';
			if (body == NULL && (body = strstr(buf, "\r\n\r\n"))) {
				body += 4;
				cl = strcasestr(buf, "Content-Length:");
				want = cl ? strtoul(cl + 15, NULL, 10) : 0;
			}
			if (body != NULL && (size_t)(buf + n - body) >= want)
				break;
		}
		if (body != NULL) {
			pthread_mutex_lock(&rc->lock);
			if (rc->len + want < sizeof(rc->got)) {
				memcpy(rc->got + rc->len, body, want);
				rc->len += want;
				rc->got[rc->len] = '\0';
			}
			rc->posts++;
			pthread_mutex_unlock(&rc->lock);
		}
		r = send(c,
		    "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 45,
		    MSG_NOSIGNAL);
		(void)r;
		close(c);
	}
	return NULL;
}

/* Listen on 127.0.0.1, port 0, and serve from a thread. */
static int
receiver_start(struct receiver *rc)
{
	struct sockaddr_in a;
	socklen_t	   al = sizeof(a);

	memset(rc, 0, sizeof(*rc));
	pthread_mutex_init(&rc->lock, NULL);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((rc->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(rc->fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(rc->fd, 8) == -1 ||
	    getsockname(rc->fd, (struct sockaddr *)&a, &al) == -1)
		return -1;
	rc->port = ntohs(a.sin_port);
	return pthread_create(&rc->thread, NULL, receiver_run, rc);
}

/* How many times s occurs in the receiver's bodies. */
static unsigned
received(struct receiver *rc, const char *s)
{
	unsigned    k = 0;
	const char *p;

	pthread_mutex_lock(&rc->lock);
	for (p = rc->got; (p = strstr(p, s)) != NULL; p += strlen(s))
		k++;
	pthread_mutex_unlock(&rc->lock);
	return k;
}

/* How many times s occurs in the file at path. */
static unsigned
in_file(const char *path, const char *s)
{
	char	    buf[65536];
	size_t	    n;
	unsigned    k = 0;
	const char *p;
	FILE	   *fp = fopen(path, "r");

	if (fp == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, s)) != NULL; p += strlen(s))
		k++;
	return k;
}

/*
 * Write hours [from, to) of the source mx (spam: a daily cycle, a share
 * of 0.4 from fall on until back, 1 from then; ham steady) as itself and
 * as _total, and of quiet until quiet_end.
 */
static int
write_hours(struct store *st, int64_t from, int64_t to, int64_t fall,
    int64_t back, int64_t quiet_end)
{
	uint64_t c[2], q[2], tot[2];
	char	 err[256];
	int64_t	 t;
	double	 day, share;
	int	 nq;

	for (t = from; t < to; t += H) {
		day = 1.0 + 0.2 * sin(2 * M_PI * (double)((t / H) % 24) / 24);
		share = t >= fall && t < back ? 0.4 : 1.0;
		c[0] = (uint64_t)(20000 * day * share *
		    (1.0 + 0.03 * sin((double)t / 7777.0)));
		c[1] = (uint64_t)(5000 * day);
		q[0] = 3000;
		q[1] = 800;
		nq = t < quiet_end;
		/* quiet sends to a file of its own, not to the sum. */
		tot[0] = c[0];
		tot[1] = c[1];
		if (store_write(st, "mx.example.net", t + H, c, H, err,
			sizeof(err)) == -1 ||
		    (nq &&
			store_write(st, "quiet.example.net", t + H, q, H, err,
			    sizeof(err)) == -1) ||
		    store_write(st, ST_TOTAL_SOURCE, t + H, tot, H, err,
			sizeof(err)) == -1) {
			diag("store_write: %s", err);
			return -1;
		}
	}
	return 0;
}

int
main(void)
{
	struct store_settings  ss;
	struct notify_settings ns;
	struct receiver	       rc;
	struct store	      *st = NULL;
	struct notify	      *n = NULL;
	char		       dir[] = "/tmp/spamtrend-notify-XXXXXX", err[256];
	char		       url[128], cmd[1024], out[300], ev[300];
	int64_t		       fall = T0 + 5 * 168 * H + 37 * H;
	int64_t		       e1 = fall + 48 * H, e2 = e1 + 72 * H;
	int64_t		       e3 = e2 + 24 * H, fall2 = e2 + 2 * H;

	plan(20);
	log_set_level("error");
	if (mkdtemp(dir) == NULL || receiver_start(&rc) == -1) {
		ok(0, "a temporary directory and a receiver");
		return tap_done();
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rc.port);
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	snprintf(ev, sizeof(ev), "%s/events", dir);
	snprintf(cmd, sizeof(cmd),
	    "cat >> '%s'; echo \"$SPAMTREND_EVENT $SPAMTREND_SOURCE "
	    "$SPAMTREND_CATEGORY\" >> '%s'",
	    out, ev);

	/* Settings refused, or nothing to do. */
	memset(&ns, 0, sizeof(ns));
	ns.url = "";
	ns.command = "";
	ns.sources = "_total";
	ok(notify_create(&ns, err, sizeof(err)) == NULL && err[0] == '\0',
	    "neither a URL nor a command: no notifier, no error");
	ns.url = "https://example.net/hook";
	ok(notify_create(&ns, err, sizeof(err)) == NULL &&
		strstr(err, "http://") != NULL,
	    "an https URL is refused, naming what is taken (%s)", err);
	ns.url = url;
	ns.sources = "_total,Not A Host!";
	ok(notify_create(&ns, err, sizeof(err)) == NULL &&
		strstr(err, "notify_sources") != NULL,
	    "a bad source name is refused (%s)", err);

	memset(&ss, 0, sizeof(ss));
	ss.data_dir = dir;
	ss.step = 3600;
	ss.categories = cats;
	ss.ncategories = 2;
	if ((st = store_create(&ss, err, sizeof(err))) == NULL) {
		ok(0, "store: %s", err);
		return tap_done();
	}
	ns.url = url;
	ns.command = cmd;
	ns.sources = "_total,mx.example.net";
	ns.stale_after = 7200;
	ns.timeout = 5;
	n = notify_create(&ns, err, sizeof(err));
	ok(n != NULL, "a notifier for _total and mx, to a URL and a command");
	if (n == NULL)
		goto done;

	/* Five weeks, then a fall two days before the first hour. */
	ok(write_hours(st, T0, e1, fall, e1 + 24 * H, e1) == 0,
	    "five weeks and two days of hours written");
	is_int(notify_hour(n, st, e1 + 300), 0,
	    "the first hour only takes note of a fall found 40 hours ago");
	is_int(rc.posts, 0, "so nothing was posted");

	/* The volume comes back; quiet stops reporting. */
	ok(write_hours(st, e1, e2, fall, e1 + 24 * H, e1) == 0,
	    "three more days written, the fall back after one");
	is_int(notify_hour(n, st, e2 + 300), 3,
	    "then: two returns (mx, _total) and one stale source");
	is_int(received(&rc, "\"event\":\"ended\""), 2,
	    "two \"ended\" messages were posted");
	is_int(received(&rc,
		   "\"source\":\"mx.example.net\",\"category\":"
		   "\"spam\",\"kind\":\"fall\",\"state\":\"ended\""),
	    1, "one for mx's spam, in the form of /api/v1/drops");
	is_int(received(&rc, "\"event\":\"stale\",\"time\""), 1,
	    "one \"stale\" message was posted");
	is_int(received(&rc, "\"source\":\"quiet.example.net\",\"last\":"), 1,
	    "for quiet, with its last update");
	is_int(in_file(ev, "ended mx.example.net spam"), 1,
	    "the command saw SPAMTREND_EVENT, _SOURCE and _CATEGORY");
	is_int(in_file(out, "\"event\":\"ended\""), 2,
	    "and the same messages on its standard input");

	/* A new fall. */
	ok(write_hours(st, e2, e3, fall2, e3 + H, e1) == 0,
	    "one more day written, falling two hours in");
	is_int(notify_hour(n, st, e3 + 300), 2,
	    "then: two new falls (mx, _total); quiet stays stale, unsaid");
	is_int(received(&rc, "\"event\":\"found\""), 2,
	    "two \"found\" messages were posted");
	is_int(rc.posts, 5, "five posts in all");
	is_int(notify_hour(n, st, e3 + 600), 0, "nothing new, nothing said");
done:
	notify_free(n);
	store_free(st);
	shutdown(rc.fd, SHUT_RDWR);
	close(rc.fd);
	pthread_join(rc.thread, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
