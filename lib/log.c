/*
 * log.c -- one line per event on stderr, with a level and a UTC time stamp.
 *
 * Thread-safe: each line is formatted in full and written with one call.
 * It holds the process's only globals: the level threshold and the syslog
 * switch, set once at start-up before any thread exists.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_threshold = LOG_LEVEL_INFO;
static int	      log_syslog;

/* Send lines to syslog from now on; set once at start-up. */
void
log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

/* Set the threshold from its name; unknown names leave it unchanged. */
void
log_set_level(const char *name)
{
	if (strcmp(name, "error") == 0)
		log_threshold = LOG_LEVEL_ERROR;
	else if (strcmp(name, "warning") == 0)
		log_threshold = LOG_LEVEL_WARNING;
	else if (strcmp(name, "info") == 0)
		log_threshold = LOG_LEVEL_INFO;
	else if (strcmp(name, "debug") == 0)
		log_threshold = LOG_LEVEL_DEBUG;
}

/* Format and write one line at level. */
static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	char		   line[2048];
	struct tm	   tm;
	time_t		   now;
	int		   n, m;

	static const int priorities[] = {
	    LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	if (level > log_threshold)
		return;
	if (log_syslog) {
		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(priorities[level], "%s", line);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02dZ %s: ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    names[level]);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

#define LOG_FN(fn, level) \
	void fn(const char *fmt, ...) \
	{ \
		va_list ap; \
\
		va_start(ap, fmt); \
		log_vwrite(level, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARNING)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)
