/*
 * render.h -- drawing a source's series as a PNG or SVG graph in memory
 * (rrd_graph_v with file "-"; no temporary files).
 */
#ifndef ST_RENDER_H
#define ST_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

struct store;

enum render_view {
	RENDER_LINES,	/* one line per category */
	RENDER_STACKED, /* stacked areas */
	RENDER_RATIO	/* spam / (spam + ham) in percent */
};

/* A vertical rule with a legend line: a detected drop or an event. */
enum render_mark_kind { RENDER_MARK_DROP, RENDER_MARK_EVENT };
struct render_mark {
	int64_t		      time; /* unix seconds */
	enum render_mark_kind kind;
	const char	     *text; /* any text; passes render_escape */
};
#define RENDER_MAX_MARKS 16

struct render_request {
	const char	*source; /* validated name or "_total" */
	const unsigned	*cats;	 /* indices into the categories */
	unsigned	 ncats;
	int64_t		 start, end;	/* unix seconds, start < end */
	unsigned	 width, height; /* whole image, pixels */
	enum render_view view;
	int64_t		 compare; /* seconds to shift an overlay; 0 none */
	int		 svg;	  /* 1 SVG, 0 PNG */
	const struct render_mark *marks;  /* drawn when inside the range; */
	unsigned		  nmarks; /* at most RENDER_MAX_MARKS */
};

/* Where the plot area lies in the image, and the time span it shows. */
struct render_area {
	unsigned left, top, width, height; /* pixels */
	int64_t	 start, end;		   /* unix seconds */
};

/*
 * Draw the graph r asks for into a malloc'd buffer (*img, *len; the caller
 * frees it).  "_total" without a file yet gives an empty graph; another
 * source without a file is a 404 "unknown_source".  The ratio view needs
 * categories named "spam" and "ham" (400 otherwise).  area, when not NULL,
 * receives the plot area (for mapping clicks to times).  Returns 0, or -1 with
 * e filled.  Takes the store lock while librrd runs.
 */
int render_graph(struct store *st, const struct render_request *r,
    unsigned char **img, size_t *len, struct render_area *area,
    struct st_error *e);

/*
 * Copy text into out (outlen bytes) made safe for a legend or comment:
 * ':' becomes "\:", letters, digits, space and ".,_-()/'%" are kept,
 * anything else (backslashes, control bytes, non-ASCII) is dropped.  Pure.
 */
void render_escape(const char *text, char *out, size_t outlen);

#endif
