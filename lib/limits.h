/*
 * limits.h -- compile-time bounds shared by every module.
 *
 * Run-time limits (body size, batch size, ...) live in the configuration;
 * these are the hard ceilings that size fixed buffers.
 */
#ifndef ST_LIMITS_H
#define ST_LIMITS_H

#define ST_MAX_CATEGORIES 16  /* data sources per RRD file */
#define ST_CATEGORY_MAX	  19  /* RRD data source names: [A-Za-z0-9_]{1,19} */
#define ST_SOURCE_MAX	  253 /* DNS name, RFC 1123: buffers */
/* The longest name taken: <name>.rrd.corrupt.NNN must fit NAME_MAX (255). */
#define ST_SOURCE_STORED_MAX 240
#define ST_LABEL_MAX	  63
#define ST_KEY_MAX	  128		   /* idempotency key length */
#define ST_COUNT_MAX	  1000000000000ULL /* per category per submission */
#define ST_TOTAL_SOURCE	  "_total"
/*
 * Several collectors share a data directory as "_total.<id>" partial totals,
 * summed on read; <id> is at most this long.
 */
#define ST_COLLECTOR_ID_MAX 32

#endif
