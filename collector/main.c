/*
 * main.c -- spamtrendd: options, start-up in order, signals, shutdown.
 *
 * Owns the process: it builds the struct spamtrend from the configuration,
 * starts each part, waits for signals, and stops the parts in reverse.
 * Signals are handled synchronously with sigwait(), so no handler runs
 * inside another thread's critical section.
 *
 * Layering.  Includes and calls run one way: HTTP (http*.c, the only
 * files that include <microhttpd.h>) -> API handlers (api_*.c, the only
 * ones that know statuses and answers; api_common.c maps error kinds to
 * them) -> core (ingest, admit, journal, aggregate, flush, replay, detect,
 * sources, collectd, import, notify) -> storage (rrd/, which includes only
 * itself and lib/) -> base (lib/, which includes nothing of the others).
 * main.c alone sees every layer, to build and free them in order.
 */
#include "autoconf.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fault.h"
#include "../rrd/store.h"
#include "api.h"
#include "auth.h"
#include "conf.h"
#include "events.h"
#include "http.h"
#include "import.h"
#include "ingest.h"
#include "../lib/dirlock.h"
#include "../lib/log.h"
#include "notify.h"
#include "spamtrend.h"
#include "submission.h"
#include "workers.h"

/* Print usage and the option table. */
static void
main_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: spamtrendd [--config FILE] [--OPTION VALUE ...]\n"
	    "       spamtrendd --check-config [--config FILE] [--OPTION VALUE "
	    "...]\n"
	    "       spamtrendd import --data-dir DIR --source NAME FILE.csv "
	    "... "
	    "(see import --help)\n"
	    "\n"
	    "Collects spam, ham, virus and rejected counts over HTTP and "
	    "keeps\n"
	    "them in RRD files.  Every option can also be set in the config "
	    "file\n"
	    "as 'name = value' (with _ or -).\n"
	    "\n"
	    "  --config FILE              read options from FILE first\n"
	    "  --check-config             validate the configuration and exit\n"
	    "  --journal-recover          set damaged journal bytes aside, "
	    "replay\n"
	    "                             the records after them, and start\n"
	    "  --help                     show this text\n"
	    "  --version                  show the version\n");
	conf_usage(fp);
}

/* Apply the command line over the config file; -1 on a bad option. */
static int
main_parse(struct conf *c, int argc, char **argv, int *check, int *recover)
{
	char err[1024];
	int  i;

	/* The config file first, so the command line wins. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				    "spamtrendd: --config needs a file\n");
				return -1;
			}
			if (conf_load_file(c, argv[i + 1], err, sizeof(err)) ==
			    -1) {
				fprintf(stderr, "spamtrendd: %s\n", err);
				return -1;
			}
			i++;
		}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		if (strcmp(a, "--check-config") == 0) {
			*check = 1;
			continue;
		}
		if (strcmp(a, "--journal-recover") == 0) {
			*recover = 1;
			continue;
		}
		if (strcmp(a, "--foreground") == 0)
			continue;
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			fprintf(stderr,
			    "spamtrendd: unexpected argument '%s' "
			    "(see --help)\n",
			    a);
			return -1;
		}
		{
			char	    name[64];
			const char *value, *eq = strchr(a, '=');

			if (eq != NULL) {
				snprintf(name, sizeof(name), "%.*s",
				    (int)(eq - a - 2), a + 2);
				value = eq + 1;
			} else {
				if (i + 1 >= argc) {
					fprintf(stderr,
					    "spamtrendd: %s needs a "
					    "value\n",
					    a);
					return -1;
				}
				snprintf(name, sizeof(name), "%s", a + 2);
				value = argv[++i];
			}
			if (conf_set(c, name, value, err, sizeof(err)) == -1) {
				fprintf(stderr, "spamtrendd: --%s: %s\n", name,
				    err);
				return -1;
			}
		}
	}
	if (conf_finish(c, err, sizeof(err)) == -1) {
		fprintf(stderr, "spamtrendd: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * Signals, taken by one thread with sigwait() from the start, so that a
 * SIGTERM during a long start-up (journal replay, writing what is due) is
 * answered too.  SIGHUP reloads the tokens once the daemon runs.
 */
struct main_signals {
	pthread_mutex_t	  lock;
	pthread_cond_t	  cond;
	sigset_t	  set;
	volatile int	  stop; /* read by start-up loops */
	int		  sig;
	struct spamtrend *st; /* set once serving: SIGHUP reloads */
};

/* The signal thread. */
static void *
main_signal_thread(void *arg)
{
	struct main_signals *ms = arg;
	char		     err[1024];
	int		     sig;

	for (;;) {
		if (sigwait(&ms->set, &sig) != 0)
			continue;
		pthread_mutex_lock(&ms->lock);
		if (sig == SIGHUP && ms->st != NULL) {
			if (auth_reload(ms->st->auth, err, sizeof(err)) == -1)
				log_error(
				    "reload: %s (the old tokens stay)", err);
			else
				log_info("reloaded: %zu reporter tokens",
				    auth_tokens(ms->st->auth));
		} else if (sig != SIGHUP) {
			ms->sig = sig;
			ms->stop = 1;
			pthread_cond_broadcast(&ms->cond);
		}
		pthread_mutex_unlock(&ms->lock);
	}
	return NULL;
}

/* The read gate: HTTP basic auth when a read password is set. */
static int
main_read_gate(struct http_request *r, void *arg)
{
	struct spamtrend *st = arg;
	struct st_error	  e;

	if (auth_reader(st->auth, http_header(r, "Authorization"), &e) == 0)
		return 0;
	http_add_header(r, "WWW-Authenticate",
	    "Basic realm=\"spamtrend\", "
	    "charset=\"UTF-8\"");
	api_fail(r, &e);
	return -1;
}

/*
 * Start the notifier when notify_url or notify_command is set (it runs
 * once an hour on a thread of its own).  Returns 0, or -1 with err filled.
 */
static int
main_notify(struct spamtrend *st, char *err, size_t errlen)
{
	struct notify_settings ns;

	memset(&ns, 0, sizeof(ns));
	ns.url = st->conf->notify_url;
	ns.command = st->conf->notify_command;
	ns.sources = st->conf->notify_sources;
	ns.stale_after = st->conf->stale_after;
	ns.timeout = 10;
	if ((st->notify = notify_create(&ns, err, errlen)) == NULL)
		return err[0] != '\0' ? -1 : 0;
	return notify_start(st->notify, st->store, st->clock, err, errlen);
}

int
main(int argc, char **argv)
{
	struct spamtrend      st;
	struct conf	      c;
	struct store_settings ss;
	struct http_settings  hs;
	struct main_signals   ms;
	struct st_error	      e;
	pthread_t	      sigthread;
	char		      err[1024];
	struct dirlock	      lock = {-1, -1};
	int		      check = 0, recover = 0, port, i, rc = 1;

	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			main_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("spamtrendd %s\n", PACKAGE_VERSION);
			return 0;
		}
	}
	conf_defaults(&c);
	if (main_parse(&c, argc, argv, &check, &recover) == -1) {
		conf_clear(&c);
		return 2;
	}
	if (check) {
		conf_dump(&c, stdout);
		conf_clear(&c);
		return 0;
	}
	log_set_level(c.log_level);
	if (strcmp(c.log_target, "syslog") == 0)
		log_use_syslog("spamtrendd");

	/* Secret hash seeds before any thread exists. */
	submission_seed();

	/* Every thread inherits this mask; only the signal thread takes them. */
	memset(&ms, 0, sizeof(ms));
	pthread_mutex_init(&ms.lock, NULL);
	pthread_cond_init(&ms.cond, NULL);
	sigemptyset(&ms.set);
	sigaddset(&ms.set, SIGTERM);
	sigaddset(&ms.set, SIGINT);
	sigaddset(&ms.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ms.set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&sigthread, NULL, main_signal_thread, &ms) != 0)
		abort();
	pthread_detach(sigthread);

	memset(&st, 0, sizeof(st));
	st.conf = &c;
	st.clock = fault_clock();
	st.started = clock_now(st.clock);
	if (dirlock_take(c.data_dir, c.collector_id, &lock, &e) == -1) {
		log_error("%s", e.detail);
		goto done;
	}
	if ((st.auth = auth_create(c.tokens_file, c.admin_token,
		 c.read_password, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto done;
	}
	memset(&ss, 0, sizeof(ss));
	ss.data_dir = c.data_dir;
	ss.step = c.step;
	ss.categories = (const char(*)[ST_CATEGORY_MAX + 1]) c.categories;
	ss.ncategories = c.ncategories;
	ss.rrdcached = c.rrdcached[0] != '\0' ? c.rrdcached : NULL;
	ss.holes = !c.reserve_disk;
	ss.shared = c.collector_id[0] != '\0';
	if ((st.store = store_create(&ss, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto done;
	}
	if ((st.ingest = ingest_create(&c, st.store, st.clock, recover,
		 &ms.stop, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto done;
	}
	if ((st.workers = workers_create(
		 c.render_threads, c.render_queue, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto done;
	}
	if (main_notify(&st, err, sizeof(err)) == -1) {
		log_error("%s", err);
		goto done;
	}
	memset(&hs, 0, sizeof(hs));
	hs.listen = c.listen;
	hs.max_body = c.max_body;
	hs.max_connections = c.max_connections;
	hs.max_per_ip = c.max_per_ip;
	hs.idle_timeout = c.idle_timeout;
	hs.request_timeout = c.request_timeout;
	hs.threads = c.http_threads;
	hs.epoll = strcmp(c.event_loop, "epoll") == 0;
	hs.tls_cert = c.tls_cert[0] != '\0' ? c.tls_cert : NULL;
	hs.tls_key = c.tls_key[0] != '\0' ? c.tls_key : NULL;
	if ((st.http = http_create(&hs, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto done;
	}
	api_counts_routes(st.http, &st);
	api_misc_routes(st.http, &st);
	api_read_routes(st.http, &st);
	if (api_events_routes(st.http, &st) == -1)
		goto done;
	if (api_collectd_routes(st.http, &st) == -1)
		goto done;
	if (c.read_password[0] != '\0')
		http_set_read_gate(st.http, main_read_gate, &st);
	if ((port = http_start(st.http, err, sizeof(err))) == -1) {
		log_error("%s", err);
		goto done;
	}
	{
		char	    host[128];
		const char *colon = strrchr(c.listen, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - c.listen),
		    c.listen);
		printf("spamtrendd: listening on %s://%s:%d/ with data in %s\n",
		    hs.tls_cert != NULL ? "https" : "http", host, port,
		    c.data_dir);
		fflush(stdout);
	}
	if (c.tokens_file[0] == '\0')
		log_info(
		    "no tokens_file: only loopback clients may submit counts");
	else
		log_info("%zu reporter tokens loaded", auth_tokens(st.auth));

	pthread_mutex_lock(&ms.lock);
	ms.st = &st;
	while (!ms.stop)
		pthread_cond_wait(&ms.cond, &ms.lock);
	ms.st = NULL;
	log_info("signal %d: writing the steps that are due and stopping "
		 "(open steps stay in the journal)",
	    ms.sig);
	pthread_mutex_unlock(&ms.lock);
	rc = 0;
done:
	if (ms.stop)
		rc = 0; /* asked to stop, also during start-up */
	if (st.http != NULL)
		http_quiesce(st.http);
	ingest_free(st.ingest);
	workers_free(st.workers);
	http_free(st.http);
	api_collectd_free(&st);
	api_read_free(&st);
	notify_free(st.notify);
	events_free(st.events);
	store_free(st.store);
	auth_free(st.auth);
	conf_clear(&c);
	return rc;
}
