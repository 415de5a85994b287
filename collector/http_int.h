/*
 * http_int.h -- what collector/http.c, http_framing.c and http_answer.c
 * share: the server's and each request's state, and the calls between
 * them.  Private to those files (the only ones that see <microhttpd.h>);
 * everything else goes through http.h.
 */
#ifndef ST_HTTP_INT_H
#define ST_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http.h"

struct strmap;

#define MAX_ROUTES  64
#define MAX_HEADERS 8

/* One route: a method and a path (or path prefix) and its handler. */
struct route {
	char		method[8];
	char		path[64];
	int		prefix; /* path ended in '*' */
	http_handler_fn fn;
	void	       *arg;
};

/* The server: its settings, routes, counters and connections per address. */
struct http {
	struct http_settings s;
	char		    *listen;
	char		    *cert, *key; /* PEM contents */
	struct MHD_Daemon   *daemon;
	struct route	     routes[MAX_ROUTES];
	size_t		     nroutes;
	int (*gate)(struct http_request *, void *);
	void		*gate_arg;
	atomic_int	 deferred; /* requests suspended now */
	atomic_int	 running;  /* handlers running now */
	atomic_int	 stopping;
	_Atomic uint64_t requests;
	_Atomic uint64_t by_class[6];
	_Atomic uint64_t refused;
	_Atomic uint64_t timeouts;
	/*
	 * Open connections per client address, across every polling thread
	 * (libmicrohttpd's own per-address limit counts per thread).
	 */
	pthread_mutex_t peers_lock;
	struct strmap  *peers; /* address -> (uintptr_t) count */
};

/* One request, from its request line to its completion. */
struct http_request {
	struct http	      *h;
	struct MHD_Connection *conn;
	const char	      *method;
	const char	      *path;
	const struct route    *route;
	struct timespec	       started;
	int		       checked; /* headers checked */
	int		       deferred;
	int		       suspended;
	char		       peer[64];
	char		      *body;
	size_t		       body_len, body_cap;
	size_t drained; /* body bytes dropped after an early answer */
	/* The answer, once decided. */
	int    answered;
	int    status;
	char   ctype[64];
	void  *resp_body;
	size_t resp_len;
	char  *hdr_name[MAX_HEADERS];
	char  *hdr_value[MAX_HEADERS];
	size_t nhdr;
};

/* http.c: seconds since the request line of r arrived. */
double http_elapsed(const struct http_request *r);

/*
 * http_answer.c: answer 413 for a body over max_body; field names what
 * told us.
 */
void http_too_large(struct http_request *r, const char *field);

/* http_answer.c: free the stored answer of r. */
void http_clear_answer(struct http_request *r);

/*
 * http_answer.c: hand r's stored answer to libmicrohttpd (the body passes
 * to it); MHD_NO when no response could be made (the connection closes).
 */
enum MHD_Result http_queue(struct http_request *r);

/*
 * http_framing.c: check the framing of r's headers (their names, values
 * and line endings, Content-Length and Transfer-Encoding) once they are
 * in; version is the request line's last word, as the library passed it.
 * Returns 0, or -1 when r has been answered (400, 413 or 501) and its
 * connection is to be closed.
 */
int http_framing_check(struct http_request *r, const char *version);

#endif
