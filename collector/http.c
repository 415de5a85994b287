/*
 * http.c -- the libmicrohttpd server: listening, routes, limits, bodies,
 * answers and deferred answers.
 *
 * Owns the MHD daemon, the route table and the per-request state (created
 * when the request line arrives, freed in the completion callback however
 * the request ended).  It decides nothing about the API: handlers do.  The
 * checks of a request's framing (header shapes, line endings,
 * Content-Length, Transfer-Encoding) are http_framing.c's, and storing
 * and sending answers is http_answer.c's; http_int.h holds the state they
 * share.
 *
 * Request life: the first call of the access handler checks the headers
 * (smuggling shapes, Content-Length against the cap, the route); later calls
 * collect the body up to the cap; the last call runs the handler.  A handler
 * answers at once or defers: the connection is suspended until another
 * thread stores the answer and resumes it.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/number.h"
#include "../lib/strmap.h"
#include "http_int.h"

/* Seconds since the request line arrived. */
double
http_elapsed(const struct http_request *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - r->started.tv_sec) +
	    (now.tv_nsec - r->started.tv_nsec) / 1e9;
}

/* Parse "ADDR:PORT" or "[V6]:PORT" into ss. */
static int
http_parse_listen(const char *spec, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errlen)
{
	char	    host[128];
	const char *colon, *port;
	uint64_t    p;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (rb == NULL || rb[1] != ':' ||
		    (size_t)(rb - spec - 1) >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, rb - spec - 1);
		host[rb - spec - 1] = '\0';
		port = rb + 2;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL ||
		    (size_t)(colon - spec) >= sizeof(host))
			goto bad;
		memcpy(host, spec, colon - spec);
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	if (number_parse_str(port, 0, 65535, &p) == -1)
		goto bad;
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		snprintf(host, sizeof(host), "0.0.0.0");
	else if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*s4);
	}
	return 0;
bad:
	snprintf(err, errlen,
	    "listen: expected ADDR:PORT or [V6ADDR]:PORT "
	    "with a numeric address, got '%s'",
	    spec);
	return -1;
}

/* Read a whole (small) file into a NUL-terminated buffer. */
static char *
http_read_file(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *buf;
	long  n;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || n > 1 << 20 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: unreadable or too large", path);
		fclose(fp);
		return NULL;
	}
	if ((buf = malloc((size_t)n + 1)) == NULL)
		abort();
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Create a server (not yet listening). */
struct http *
http_create(const struct http_settings *s, char *err, size_t errlen)
{
	struct http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		abort();
	h->s = *s;
	pthread_mutex_init(&h->peers_lock, NULL);
	h->peers = strmap_create();
	if ((h->listen = strdup(s->listen)) == NULL)
		abort();
	h->s.listen = h->listen;
	if (s->tls_cert != NULL && s->tls_cert[0] != '\0') {
		if ((h->cert = http_read_file(s->tls_cert, err, errlen)) ==
			NULL ||
		    (h->key = http_read_file(s->tls_key, err, errlen)) ==
			NULL) {
			http_free(h);
			return NULL;
		}
	}
	return h;
}

/* Register a route. */
void
http_route(struct http *h, const char *method, const char *path,
    http_handler_fn fn, void *arg)
{
	struct route *rt;
	size_t	      len = strlen(path);

	if (h->nroutes == MAX_ROUTES)
		abort();
	rt = &h->routes[h->nroutes++];
	snprintf(rt->method, sizeof(rt->method), "%s", method);
	snprintf(rt->path, sizeof(rt->path), "%s", path);
	if (len > 0 && path[len - 1] == '*') {
		rt->prefix = 1;
		rt->path[len - 1] = '\0';
	}
	rt->fn = fn;
	rt->arg = arg;
}

/* Set the read gate. */
void
http_set_read_gate(
    struct http *h, int (*gate)(struct http_request *, void *), void *arg)
{
	h->gate = gate;
	h->gate_arg = arg;
}

/* 1 if route rt's path matches path. */
static int
http_path_matches(const struct route *rt, const char *path)
{
	if (rt->prefix)
		return strncmp(path, rt->path, strlen(rt->path)) == 0;
	return strcmp(path, rt->path) == 0;
}

/* Find the route for method and path; fill allow with the methods of path. */
static const struct route *
http_find_route(struct http *h, const char *method, const char *path,
    char *allow, size_t allowlen)
{
	size_t	    i;
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;

	allow[0] = '\0';
	for (i = 0; i < h->nroutes; i++) {
		const struct route *rt = &h->routes[i];

		if (!http_path_matches(rt, path))
			continue;
		if (strcmp(rt->method, m) == 0)
			return rt;
		if (strstr(allow, rt->method) == NULL) {
			if (allow[0] != '\0')
				strncat(
				    allow, ", ", allowlen - strlen(allow) - 1);
			strncat(
			    allow, rt->method, allowlen - strlen(allow) - 1);
			if (strcmp(rt->method, "GET") == 0)
				strncat(allow, ", HEAD",
				    allowlen - strlen(allow) - 1);
		}
	}
	return NULL;
}

/* The address of sa as text into buf ("" when not IPv4 or IPv6). */
static void
http_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    buf, len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    buf, len);
}

/* Refuse a new connection from an address that has max_per_ip open. */
static enum MHD_Result
http_accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http *h = cls;
	char	     peer[64];
	uintptr_t    open;

	if (h->s.max_per_ip == 0)
		return MHD_YES;
	http_addr_text(addr, peer, sizeof(peer));
	pthread_mutex_lock(&h->peers_lock);
	open = (uintptr_t)strmap_get(h->peers, peer);
	pthread_mutex_unlock(&h->peers_lock);
	if (open >= h->s.max_per_ip) {
		atomic_fetch_add(&h->refused, 1);
		return MHD_NO;
	}
	return MHD_YES;
}

/* Count connections per address as they open and close. */
static void
http_notify_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct http		       *h = cls;
	const union MHD_ConnectionInfo *ci;
	char			       *peer;
	uintptr_t			open;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((peer = calloc(1, 64)) == NULL)
			abort();
		ci = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		http_addr_text(ci != NULL ? ci->client_addr : NULL, peer, 64);
		*socket_context = peer;
		pthread_mutex_lock(&h->peers_lock);
		open = (uintptr_t)strmap_get(h->peers, peer);
		strmap_put(h->peers, peer, (void *)(open + 1));
		pthread_mutex_unlock(&h->peers_lock);
		return;
	}
	if ((peer = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&h->peers_lock);
	open = (uintptr_t)strmap_get(h->peers, peer);
	if (open <= 1)
		strmap_del(h->peers, peer);
	else
		strmap_put(h->peers, peer, (void *)(open - 1));
	pthread_mutex_unlock(&h->peers_lock);
	free(peer);
	*socket_context = NULL;
}

/* Allocate the request state when the request line arrives. */
static void *
http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http		       *h = cls;
	struct http_request	       *r;
	const union MHD_ConnectionInfo *ci;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->h = h;
	r->conn = conn;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	http_addr_text(
	    ci != NULL ? ci->client_addr : NULL, r->peer, sizeof(r->peer));
	atomic_fetch_add(&h->requests, 1);
	return r;
}

/* Free the request state, however the request ended. */
static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_request *r = *con_cls;

	if (r == NULL)
		return;
	if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
		atomic_fetch_add(&r->h->timeouts, 1);
	http_clear_answer(r);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/*
 * Check framing, size and route once the headers are in.  version is the
 * request line's last word, as the library passed it.
 */
static void
http_check_headers(struct http_request *r, const char *version)
{
	char allow[64];

	r->checked = 1;
	if (http_framing_check(r, version) == -1) {
		r->checked = 0; /* and so the connection is closed */
		return;
	}
	if (http_elapsed(r) > r->h->s.request_timeout) {
		http_fail(r, 408, "request_timeout", "",
		    "the request headers "
		    "took too long to arrive");
		return;
	}
	r->route =
	    http_find_route(r->h, r->method, r->path, allow, sizeof(allow));
	if (r->route == NULL && allow[0] != '\0') {
		http_add_header(r, "Allow", allow);
		http_fail(r, 405, "method_not_allowed", "method",
		    "this path does not take that method");
	} else if (r->route == NULL)
		http_fail(r, 404, "not_found", "path", "no such path");
}

/* Append a body chunk, refusing past the cap. */
static void
http_take_body(struct http_request *r, const char *data, size_t len)
{
	if (r->body_len + len > r->h->s.max_body) {
		http_too_large(r, "body");
		return;
	}
	if (http_elapsed(r) > r->h->s.request_timeout) {
		atomic_fetch_add(&r->h->timeouts, 1);
		http_fail(r, 408, "request_timeout", "body",
		    "the body took too long to arrive");
		return;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 256;

		while (cap < r->body_len + len + 1)
			cap *= 2;
		if ((r->body = realloc(r->body, cap)) == NULL)
			abort();
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
}

/* The MHD access handler: see the comment at the top of the file. */
static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http	    *h = cls;
	struct http_request *r = *con_cls;

	if (r == NULL)
		return MHD_NO;
	if (r->suspended) {
		/* Resumed: the answer was stored by another thread. */
		r->suspended = 0;
		atomic_fetch_sub(&h->deferred, 1);
		if (!r->answered)
			http_fail(
			    r, 500, "internal", "", "no answer was produced");
		return http_queue(r);
	}
	if (!r->checked && !r->answered) {
		r->method = method;
		r->path = url;
		http_check_headers(r, version);
		if (r->answered) {
			*upload_data_size = 0;
			return http_queue(r);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!r->answered)
			http_take_body(r, upload_data, *upload_data_size);
		else {
			/*
			 * The answer is decided; the rest of the body is read and
			 * dropped so the client gets it, but only so much and only
			 * so long before the connection is simply closed.
			 */
			r->drained += *upload_data_size;
			if (r->drained > 8 * r->h->s.max_body ||
			    http_elapsed(r) > r->h->s.request_timeout)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return http_queue(r);
	/*
	 * Count the handler as running before looking at the stop flag, so
	 * that http_quiesce, which sets the flag and then waits for the count
	 * to drop, knows no handler can reach the parts it is about to free.
	 */
	atomic_fetch_add(&h->running, 1);
	if (atomic_load(&h->stopping)) {
		atomic_fetch_sub(&h->running, 1);
		http_fail(
		    r, 503, "shutting_down", "", "the collector is stopping");
		return http_queue(r);
	}
	if (h->gate != NULL &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    strcmp(url, "/healthz") != 0 && h->gate(r, h->gate_arg) == -1) {
		atomic_fetch_sub(&h->running, 1);
		return http_queue(r);
	}
	r->route->fn(r, r->route->arg);
	atomic_fetch_sub(&h->running, 1);
	if (r->deferred) {
		/*
		 * Another thread owns the answer now (it may even have resumed
		 * the connection already); touch nothing of r here.
		 */
		return MHD_YES;
	}
	if (!r->answered)
		http_fail(r, 500, "internal", "", "no answer was produced");
	return http_queue(r);
}

/* Start listening. */
int
http_start(struct http *h, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t		sslen;
	/*
	 * poll() by default: libmicrohttpd 0.9.75's epoll mode stalls answers
	 * that are queued at once (not suspended) past about 128 busy
	 * keep-alive connections.  Neither has select()'s FD_SETSIZE limit.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    (h->s.epoll ? MHD_USE_EPOLL : MHD_USE_POLL) |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem	    opts[16];
	size_t			    n;

	if (http_parse_listen(h->s.listen, &ss, &sslen, err, errlen) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (h->cert != NULL)
		flags |= MHD_USE_TLS;
	n = 0;
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_LIMIT, h->s.max_connections, NULL};
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_TIMEOUT, h->s.idle_timeout, NULL};
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, 8192, NULL};
	opts[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
	if (h->s.threads > 1)
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_THREAD_POOL_SIZE, h->s.threads, NULL};
	if (h->cert != NULL) {
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert};
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_KEY, 0, h->key};
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	h->daemon = MHD_start_daemon(flags, 0, http_accept_policy, h,
	    http_access, h, MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, h,
	    MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, h,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, h, MHD_OPTION_ARRAY,
	    opts, MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen,
		    "cannot listen on %s (in use, not a local "
		    "address, or bad TLS files)",
		    h->s.listen);
		return -1;
	}
	di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	return di != NULL ? di->port : -1;
}

/*
 * Stop accepting connections and handing requests to handlers; returns once
 * no handler is running (requests already deferred are still answered).
 */
void
http_quiesce(struct http *h)
{
	atomic_store(&h->stopping, 1);
	if (h->daemon != NULL)
		MHD_quiesce_daemon(h->daemon);
	while (atomic_load(&h->running) > 0)
		usleep(1000);
}

/* Stop the server once no request is suspended, and free it. */
void
http_free(struct http *h)
{
	int waited;

	if (h == NULL)
		return;
	if (h->daemon != NULL) {
		atomic_store(&h->stopping, 1);
		for (waited = 0; atomic_load(&h->deferred) > 0 && waited < 3000;
		     waited++)
			usleep(1000);
		MHD_stop_daemon(h->daemon);
	}
	free(h->cert);
	free(h->key);
	free(h->listen);
	strmap_free(h->peers);
	pthread_mutex_destroy(&h->peers_lock);
	free(h);
}

/* The request's method. */
const char *
http_method(struct http_request *r)
{
	return r->method;
}

/* The request's path, without the query. */
const char *
http_path(struct http_request *r)
{
	return r->path;
}

/* A request header by name (case-insensitive), or NULL. */
const char *
http_header(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* A query argument (decoded), or NULL. */
const char *
http_query(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(
	    r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_iter {
	int (*fn)(void *, const char *, const char *);
	void *arg;
	int   rc;
};

/* Adapter from MHD's iterator to ours. */
static enum MHD_Result
http_query_adapter(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_iter *qi = cls;

	qi->rc = qi->fn(qi->arg, key, value != NULL ? value : "");
	return qi->rc == 0 ? MHD_YES : MHD_NO;
}

/* Call fn for every query argument. */
int
http_query_each(struct http_request *r,
    int (*fn)(void *, const char *, const char *), void *arg)
{
	struct query_iter qi = {fn, arg, 0};

	MHD_get_connection_values(
	    r->conn, MHD_GET_ARGUMENT_KIND, http_query_adapter, &qi);
	return qi.rc;
}

/* The request body collected so far (NUL terminated). */
const char *
http_body(struct http_request *r, size_t *len)
{
	*len = r->body_len;
	return r->body != NULL ? r->body : "";
}

/* 1 when the peer is on loopback. */
int
http_peer_is_loopback(struct http_request *r)
{
	return strncmp(r->peer, "127.", 4) == 0 ||
	    strcmp(r->peer, "::1") == 0 ||
	    strncmp(r->peer, "::ffff:127.", 11) == 0;
}

/* The peer address as text, for logs. */
const char *
http_peer(struct http_request *r)
{
	return r->peer;
}

/* Suspend r until another thread answers and resumes it. */
void
http_defer(struct http_request *r)
{
	r->deferred = 1;
	r->suspended = 1;
	atomic_fetch_add(&r->h->deferred, 1);
	MHD_suspend_connection(r->conn);
}

/* Resume a deferred request whose answer is stored. */
void
http_resume(struct http_request *r)
{
	MHD_resume_connection(r->conn);
}

/* Copy the counters. */
void
http_get_stats(struct http *h, struct http_stats *out)
{
	size_t i;

	out->requests = atomic_load(&h->requests);
	for (i = 0; i < 6; i++)
		out->responses_by_class[i] = atomic_load(&h->by_class[i]);
	out->connections_refused = atomic_load(&h->refused);
	out->timeouts = atomic_load(&h->timeouts);
}
