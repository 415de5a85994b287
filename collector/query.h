/*
 * query.h -- the query parameters of the read endpoints (source,
 * categories, start, end, step, width, height, compare, view, drops, and
 * the few that only some endpoints take: scale for images, offset, limit,
 * sort and q for lists), parsed and checked the same way everywhere.  Pure:
 * the time is passed in.
 */
#ifndef ST_QUERY_H
#define ST_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/limits.h"

#define QUERY_MAX_ARCHIVES 8
#define QUERY_MAX_SPAN	   (20LL * 366 * 86400) /* seconds */
#define QUERY_MAX_ROWS	   200000		/* rows an export may ask for */
#define QUERY_AUTO_ROWS	   10000 /* rows an automatic step aims under */
#define QUERY_MAX_LIMIT	   1000	 /* rows of a list in one answer */
#define QUERY_TEXT_MAX	   64	 /* bytes of a filter text */

/*
 * The parameters, one bit each in query_settings.accept.  The shared ones
 * are taken by every read endpoint; the others only where the endpoint's
 * row in the route table says so.
 */
enum query_param {
	QP_SOURCE,
	QP_CATEGORIES,
	QP_START,
	QP_END,
	QP_STEP,
	QP_WIDTH,
	QP_HEIGHT,
	QP_COMPARE,
	QP_VIEW,
	QP_DROPS,
	QP_SCALE,
	QP_OFFSET,
	QP_LIMIT,
	QP_SORT,
	QP_TEXT,
	QP_COUNT
};
#define QUERY_BIT(p) (1U << (p))
#define QUERY_SHARED (QUERY_BIT(QP_SCALE) - 1) /* source .. drops */
#define QUERY_IMAGE  (QUERY_SHARED | QUERY_BIT(QP_SCALE))
#define QUERY_LISTING \
	(QUERY_SHARED | QUERY_BIT(QP_OFFSET) | QUERY_BIT(QP_LIMIT) | \
	    QUERY_BIT(QP_SORT) | QUERY_BIT(QP_TEXT))

enum query_view { QUERY_LINES, QUERY_STACKED, QUERY_RATIO };

/* What the parser needs to know about the daemon; filled by the caller. */
struct query_settings {
	int64_t now;
	const char (*categories)[ST_CATEGORY_MAX + 1];
	unsigned ncategories;
	unsigned resolutions[QUERY_MAX_ARCHIVES]; /* seconds, finest first */
	int64_t	 retentions[QUERY_MAX_ARCHIVES];  /* seconds each holds */
	unsigned narchives;
	unsigned accept; /* QUERY_BIT()s taken; 0 means QUERY_SHARED */
};

/* A parsed query.  The texts are kept as given for cache keys. */
struct query {
	char		source[ST_SOURCE_MAX + 1];
	unsigned	cats[ST_MAX_CATEGORIES]; /* category indices */
	unsigned	ncats;
	int64_t		start, end; /* unix seconds */
	unsigned	step;	    /* archive resolution */
	int		step_given;
	unsigned	width, height;
	int64_t		compare; /* seconds, 0 none */
	enum query_view view;
	int		drops;
	unsigned	scale;	       /* 1 or 2: pixels per image pixel */
	size_t		offset, limit; /* a page of a list; limit 0: all */
	char		sort[ST_CATEGORY_MAX + 2]; /* "name", "-spam", ... */
	char		text[QUERY_TEXT_MAX + 1];  /* a filter ("q") */
	char		start_text[32], end_text[32];
	unsigned	seen; /* bit per parameter */
};

/* Reset q to the defaults (start/end are resolved by query_finish). */
void query_init(struct query *q, const struct query_settings *s);

/*
 * Apply one parameter.  Unknown names, repeated names and bad values are
 * refused: -1 with e filled (400, "bad_parameter", field = the name).
 */
int query_set(struct query *q, const struct query_settings *s, const char *name,
    const char *value, struct st_error *e);

/* Resolve times and the step after the last query_set; -1 with e filled. */
int query_finish(
    struct query *q, const struct query_settings *s, struct st_error *e);

/*
 * Choose the automatic step again now that the end of the stored data is
 * known (last, unix seconds; 0 when unknown): the archives keep their
 * spans back from a file's last update, not from now, so imported history
 * keeps its fine rows.  Does nothing when the step was asked for.
 */
void query_resolve_step(
    struct query *q, const struct query_settings *s, int64_t last);

/*
 * Parse a time as query parameters give it: unix seconds, "now", a span
 * back from now ("-3h": s, m or min, h, d, w, mon = 30 d, y = 365 d), or a
 * UTC date "YYYY-MM-DD[THH:MM[:SS]][Z]".  Returns 0 or -1.
 */
int query_parse_time(const char *text, int64_t now, int64_t *out);

/*
 * Write a canonical form of q (every parameter with its value, times as
 * given) to buf, for cache keys.
 */
void query_key(const struct query *q, char *buf, size_t len);

#endif
