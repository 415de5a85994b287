/*
 * conf.h -- the daemon's configuration: one table of options shared by the
 * command line (--name value) and the config file (name = value lines).
 */
#ifndef ST_CONF_H
#define ST_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "../lib/limits.h"

struct conf {
	char	*listen;
	char	*data_dir;
	char	*web_dir;
	char	*js_dir;	  /* installed JavaScript libraries */
	char	*categories_list; /* as given: "spam,ham,virus,rejected" */
	char	 categories[ST_MAX_CATEGORIES][ST_CATEGORY_MAX + 1];
	unsigned ncategories;
	unsigned step;
	unsigned lateness;		 /* steps a step stays open */
	unsigned max_late;		 /* seconds; 0: derived */
	unsigned max_future;		 /* seconds */
	unsigned max_interval;		 /* seconds */
	unsigned long long max_body;	 /* bytes on the wire */
	unsigned long long max_inflated; /* bytes after gunzip */
	unsigned	   max_batch;
	unsigned	   max_depth;
	unsigned long long max_count;
	unsigned	   max_connections;
	unsigned	   max_per_ip;
	unsigned	   idle_timeout;
	unsigned	   request_timeout;
	unsigned	   max_sources;
	unsigned	   new_sources_per_minute;
	unsigned long long min_free_disk;   /* bytes */
	unsigned	   idempotency_ttl; /* seconds keys are remembered */
	unsigned long long journal_segment; /* bytes before a segment rotates */
	char		  *tokens_file;
	char		  *admin_token;
	char		  *read_password;
	char		  *tls_cert;
	char		  *tls_key;
	char		  *rrdcached;
	unsigned	   reserve_disk; /* 1: RRD files get their blocks */
	char		  *collector_id; /* "" alone, else shares data_dir */
	unsigned	   http_threads;
	char		  *event_loop; /* "poll" or "epoll" */
	unsigned	   render_threads;
	unsigned	   render_queue;
	unsigned	   stale_after; /* seconds */
	char		  *log_level;
	char		  *log_target;	   /* "stderr" or "syslog" */
	char		  *collectd_map;   /* collectd names -> categories */
	char		  *notify_url;	   /* http:// webhook, or "" */
	char		  *notify_command; /* run by /bin/sh -c, or "" */
	char		  *notify_sources; /* watched for drops: "_total" */
	unsigned	   collectd_max_values; /* per host */
	int		   foreground;
};

/* Fill c with the built-in defaults (strings are malloc'd). */
void conf_defaults(struct conf *c);
/* Free the strings of c. */
void conf_clear(struct conf *c);

/*
 * Set option name (with '_' or '-') to value.  Returns 0, or -1 with err
 * filled ("unknown option", "bad value ...").
 */
int conf_set(struct conf *c, const char *name, const char *value, char *err,
    size_t errlen);

/*
 * Read a config file of "name = value" lines ('#' comments, blank lines).
 * Returns 0, or -1 with err naming the file and line.
 */
int conf_load_file(struct conf *c, const char *path, char *err, size_t errlen);

/* Check cross-option rules (categories parse, TLS pairs); fills derived fields. */
int conf_finish(struct conf *c, char *err, size_t errlen);

/* Print the option table for --help. */
void conf_usage(FILE *fp);

/* Print the effective configuration as a config file. */
void conf_dump(const struct conf *c, FILE *fp);

#endif
