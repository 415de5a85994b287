/*
 * bare.c -- the ceiling for the ingest benchmark: a libmicrohttpd server
 * that reads each POST body and answers 204, with nothing else.
 *
 * It is configured like the collector's HTTP module (one internal epoll
 * thread, suspend/resume allowed, the same connection limits) so that the
 * difference between the two is what the collector does per request.  It
 * owns no data: the body is read and dropped.
 *
 *	bare [PORT [epoll|poll]]
 *
 * PORT 0 or absent picks a free port; it prints "listening on
 * http://127.0.0.1:PORT/" and runs until SIGTERM or SIGINT.  The poll mode
 * is there because libmicrohttpd 0.9.75's epoll loop stalls when more than
 * about 128 keep-alive connections are ready at once and the handler
 * answers without suspending (see docs/BENCHMARKS.md).
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

struct bare_request {
	size_t body_len;
};

/* Count the body bytes of a request and answer 204 at its end. */
static enum MHD_Result
bare_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct bare_request *r = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result	     ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		r->body_len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(
	    0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Free the per-request state. */
static void
bare_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon	   *d;
	const union MHD_DaemonInfo *di;
	struct sockaddr_in	    sin;
	sigset_t		    set;
	unsigned		    mode = MHD_USE_EPOLL;
	int			    sig;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(argc > 1 ? (unsigned short)atoi(argv[1]) : 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (argc > 2 && strcmp(argv[2], "poll") == 0)
		mode = MHD_USE_POLL;
	else if (argc > 2 && strcmp(argv[2], "epoll") != 0) {
		fprintf(stderr, "usage: bare [PORT [epoll|poll]]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | mode |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, bare_access, NULL, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, bare_completed, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, 4096U, MHD_OPTION_CONNECTION_TIMEOUT,
	    30U, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "bare: cannot start the server\n");
		return 1;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf(
	    "listening on http://127.0.0.1:%u/\n", di != NULL ? di->port : 0);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
