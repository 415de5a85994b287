/*
 * spamtrend.h -- the one context passed to every HTTP handler.
 *
 * main.c creates each part in order and frees them in reverse; the handlers
 * reach the parts they need through this struct.  There is no other global
 * state.
 */
#ifndef ST_SPAMTREND_H
#define ST_SPAMTREND_H

#include <stdint.h>

#include "../lib/clock.h"

struct conf;
struct http;
struct store;
struct ingest;
struct workers;
struct auth;
struct collectd_api;
struct api_read;
struct events;

struct spamtrend {
	struct conf	      *conf;
	struct http	      *http;
	struct store	      *store;
	struct ingest	      *ingest;
	struct workers	      *workers; /* render and export jobs */
	struct auth	      *auth; /* reporter tokens; NULL: loopback only */
	struct collectd_api   *collectd; /* collectd endpoint state */
	struct api_read	      *read;	 /* graph cache and read routes */
	struct events	      *events;	 /* event annotations */
	const struct st_clock *clock;	 /* "now" for every handler */
	int64_t		       started;	 /* unix seconds */
};

#endif
