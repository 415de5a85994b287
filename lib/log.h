/*
 * log.h -- logging to stderr (or syslog), one line per event.
 */
#ifndef ST_LOG_H
#define ST_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Send lines to syslog (facility daemon) instead of stderr. */
void log_use_syslog(const char *ident);
/* Set the threshold from "error", "warning", "info" or "debug". */
void log_set_level(const char *name);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
