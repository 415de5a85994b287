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

/*
 * A mark on the time axis: a detected drop (a rule at its start, its span
 * shaded up to end) or an event (a dashed rule).  None gets a legend line
 * of its own: one summary line holds them all, so any number of marks
 * leaves the plot its height.
 */
enum render_mark_kind { RENDER_MARK_DROP, RENDER_MARK_EVENT };
struct render_mark {
	int64_t		      time; /* unix seconds */
	int64_t		      end;  /* a drop's end; 0 unknown or ongoing */
	enum render_mark_kind kind;
	const char	     *text; /* any UTF-8 text; passes render_escape */
};
#define RENDER_MAX_MARKS 16

/*
 * The first time rrd_graph can draw: it reads smaller numbers in --start,
 * --end and DEF times as dates (YYYYMMDD) and fetches nothing before 1980.
 */
#define RENDER_MIN_TIME 315360001LL

struct render_request {
	const char	*source; /* validated name or "_total" */
	const unsigned	*cats;	 /* indices into the categories */
	unsigned	 ncats;
	int64_t		 start, end;	/* unix seconds, start < end */
	unsigned	 width, height; /* whole image, pixels */
	enum render_view view;
	int64_t		 compare; /* seconds to shift an overlay; 0 none */
	int		 svg;	  /* 1 SVG, 0 PNG */
	unsigned	 scale;	  /* image pixels per layout pixel: 1 or 2 */
	const struct render_mark *marks;  /* drawn when inside the range; */
	unsigned		  nmarks; /* at most RENDER_MAX_MARKS */
	/*
	 * Exact totals of the range, one per category in cats (for the
	 * ratio view: spam then ham), as the export gives them; printed in
	 * the legend instead of rrdtool's totals of consolidated pixels.
	 * NULL or RENDER_NO_TOTAL: none known.
	 */
	const int64_t *totals;
	/*
	 * Where the stored data ends while the source still reports: rows
	 * after it are still filling and get a band of their own instead of
	 * the grey of unknown.  0: not live (every unknown row is grey).
	 */
	int64_t filling_from;
};
#define RENDER_NO_TOTAL INT64_MIN

/* Where the plot area lies in the image, and the time span it shows. */
struct render_area {
	unsigned left, top, width, height; /* pixels */
	int64_t	 start, end;		   /* unix seconds */
};

/*
 * Draw the graph r asks for into a malloc'd buffer (*img, *len; the caller
 * frees it).  "_total" without a file yet gives an empty graph; another
 * source without a file is a 404 "unknown_source".  The ratio view needs
 * categories named "spam" and "ham" (400 otherwise); a range or comparison
 * reaching back to RENDER_MIN_TIME or before is a 400 naming start or
 * compare.  area, when not NULL, receives the plot area in layout pixels
 * (for mapping clicks to times).  Returns 0, or -1 with e filled.  Takes
 * the store lock while librrd runs.
 */
int render_graph(struct store *st, const struct render_request *r,
    unsigned char **img, size_t *len, struct render_area *area,
    struct st_error *e);

/*
 * Copy text into out (outlen bytes) made safe for a legend or comment:
 * ':' becomes "\:", backslashes, control characters, bidirectional
 * controls and bytes that are not UTF-8 are dropped, everything else
 * ("C&C", accented letters) is kept; a character is never cut in half.
 * Pure.
 */
void render_escape(const char *text, char *out, size_t outlen);

/*
 * The colour of category name, the idx-th configured, as "RRGGBB": the
 * one palette of graphs and the UI (colour-blind safe, after Okabe and
 * Ito).  Pure; the string is static.
 */
const char *render_colour(const char *name, unsigned idx);

#endif
