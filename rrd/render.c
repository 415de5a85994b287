/*
 * render.c -- graphs of the stored series, drawn by rrd_graph_v into memory.
 *
 * Owns the graph's look (the palette the UI shares, the unit -- messages per
 * hour at every range --, the legend with the exact totals its caller
 * passes, unknown bands, drops and events that never take legend lines of
 * their own, the comparison overlay) and the building of rrd_graph's
 * argument list, into which no text from a request goes unchecked: the
 * file path is the store's, the source a validated host name, legends pass
 * render_escape, times are above the range librrd reads as dates.  It does
 * not parse requests (query.c does), sum counts (export.c does) nor cache
 * images (api_read.c does).
 */
#include "render.h"

#include <rrd.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define RENDER_MAX_ARGS (60 + 2 * ST_MAX_CATEGORIES * (3 * STORE_MAX_PARTS + 2))
#define RENDER_ARG_LEN	(PATH_MAX + 128)

/* The argument list handed to rrd_graph_v. */
struct render_args {
	int   argc;
	char *argv[RENDER_MAX_ARGS];
	int   failed;
};

/*
 * Colours after Okabe and Ito ("Color Universal Design"), told apart with
 * every common colour-vision deficiency: spam vermillion, ham blue, virus
 * reddish purple, rejected orange; other categories take the rest in order.
 * Yellow is darkened to read on white.
 */
static const struct {
	const char *name;
	const char *colour;
} render_named[] = {
    {"spam", "D55E00"},
    {"ham", "0072B2"},
    {"virus", "CC79A7"},
    {"rejected", "E69F00"},
};
static const char *render_palette[] = {
    "009E73",
    "56B4E9",
    "000000",
    "B59B00",
    "D55E00",
    "0072B2",
    "CC79A7",
    "E69F00",
};
#define RENDER_EVENT_COLOUR "555555"
#define RENDER_DROP_COLOUR  "000000"
#define RENDER_UNKNOWN	    "EBEBEB"
#define RENDER_FILLING	    "FDF3D8"
#define RENDER_CHAR_PX	    7 /* mean width of a legend character */

const char *__lsan_default_suppressions(void);

/*
 * Tell LeakSanitizer (in --enable-sanitizers builds) about memory that is
 * not ours to free: librrd 1.7.2's rrd_graph_v keeps a few hundred bytes of
 * formatted legend text per graph, and fontconfig, pango and glib keep
 * caches for the life of the process.  librrd is built without frame
 * pointers, so the sanitizer's fast unwinder often stops at the vasprintf
 * librrd calls; this project never calls asprintf itself, so that frame is
 * named too.  Unused in normal builds.
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:librrd.so\n"
	       "leak:__vasprintf_internal\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n"
	       "leak:libglib-2.0.so\n"
	       "leak:libcairo.so\n";
}

/* Append one formatted argument. */
static void __attribute__((format(printf, 2, 3)))
render_arg(struct render_args *a, const char *fmt, ...)
{
	va_list ap;
	char   *s;

	if (a->failed || a->argc >= RENDER_MAX_ARGS) {
		a->failed = 1;
		return;
	}
	if ((s = malloc(RENDER_ARG_LEN)) == NULL) {
		a->failed = 1;
		return;
	}
	va_start(ap, fmt);
	if (vsnprintf(s, RENDER_ARG_LEN, fmt, ap) >= RENDER_ARG_LEN)
		a->failed = 1;
	va_end(ap);
	a->argv[a->argc++] = s;
}

/* Free the argument strings. */
static void
render_args_free(struct render_args *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
}

/*
 * The length of the UTF-8 sequence at p (1 to 4) and its code point in
 * *cp, or 0 when the bytes are not UTF-8 (overlong, surrogate, cut short).
 */
static size_t
render_utf8(const unsigned char *p, unsigned long *cp)
{
	size_t	      n, i;
	unsigned long v;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		v = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		v = p[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* 1 for a character that must not reach a legend: controls, bidi. */
static int
render_unwanted(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '\\' ||
	    cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Make text safe for a legend or comment. */
void
render_escape(const char *text, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned long	     cp;
	size_t		     o = 0, n;

	if (outlen == 0)
		return;
	while (*p != '\0') {
		if ((n = render_utf8(p, &cp)) == 0) {
			p++;
			continue;
		}
		if (!render_unwanted(cp)) {
			if (o + n + (cp == ':') + 1 > outlen)
				break;
			if (cp == ':')
				out[o++] = '\\';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
}

/* The number of characters (code points) of UTF-8 text. */
static size_t
render_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Write v with a comma between thousands: 26,061. */
static void
render_count(int64_t v, char *out, size_t len)
{
	char	 digits[32];
	size_t	 n, i, o = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)u);
	n = strlen(digits);
	if (v < 0 && o + 1 < len)
		out[o++] = '-';
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* Escape ':' in a file path for a DEF. */
static int
render_path_escape(const char *path, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *path != '\0'; path++) {
		if (o + 3 >= outlen)
			return -1;
		if (*path == ':' || *path == '\\')
			out[o++] = '\\';
		out[o++] = *path;
	}
	out[o] = '\0';
	return 0;
}

/* The colour of a category. */
const char *
render_colour(const char *name, unsigned idx)
{
	size_t i;

	for (i = 0; i < sizeof(render_named) / sizeof(render_named[0]); i++)
		if (strcmp(render_named[i].name, name) == 0)
			return render_named[i].colour;
	return render_palette[idx %
	    (sizeof(render_palette) / sizeof(render_palette[0]))];
}

/* Describe a comparison shift in words for the legend. */
static void
render_shift_name(int64_t shift, char *out, size_t outlen)
{
	if (shift == 364 * 86400 || shift == 365 * 86400)
		snprintf(out, outlen, "a year earlier");
	else if (shift == 7 * 86400)
		snprintf(out, outlen, "a week earlier");
	else if (shift == 86400)
		snprintf(out, outlen, "a day earlier");
	else if (shift % (7 * 86400) == 0)
		snprintf(out, outlen, "%lld weeks earlier",
		    (long long)(shift / (7 * 86400)));
	else if (shift % 86400 == 0)
		snprintf(out, outlen, "%lld days earlier",
		    (long long)(shift / 86400));
	else if (shift % 3600 == 0)
		snprintf(
		    out, outlen, "%lld h earlier", (long long)(shift / 3600));
	else
		snprintf(
		    out, outlen, "%lld min earlier", (long long)(shift / 60));
}

/*
 * The time axis for a span: grid, major grid and labels that suit it (the
 * hours of a day, the days of a week, the months of a quarter), never
 * rrdtool's week numbers.  Times are in the daemon's time zone, which the
 * legend names.
 */
static const char *
render_xgrid(int64_t span)
{
	static const struct {
		int64_t	    upto; /* seconds */
		const char *grid;
	} grids[] = {
	    {3 * 3600, "MINUTE:10:HOUR:1:MINUTE:30:0:%R"},
	    {30 * 3600, "HOUR:1:HOUR:6:HOUR:3:0:%R"},
	    {4 * 86400, "HOUR:6:DAY:1:HOUR:12:0:%d %b %R"},
	    {16 * 86400, "HOUR:12:DAY:1:DAY:1:0:%a %d %b"},
	    {100 * 86400, "DAY:1:WEEK:1:WEEK:1:0:%d %b"},
	    {400 * 86400, "WEEK:1:MONTH:1:MONTH:1:0:%b %Y"},
	    {3 * 366 * 86400, "MONTH:1:YEAR:1:MONTH:3:0:%b %Y"},
	};
	size_t i;

	for (i = 0; i < sizeof(grids) / sizeof(grids[0]); i++)
		if (span <= grids[i].upto)
			return grids[i].grid;
	return "MONTH:3:YEAR:1:YEAR:1:0:%Y";
}

/* The options common to every graph: size, range, colours, fonts. */
static void
render_frame(struct render_args *a, const struct render_request *r,
    const char *title, const char *vlabel)
{
	render_arg(a, "graph");
	render_arg(a, "-");
	render_arg(a, "--imgformat=%s", r->svg ? "SVG" : "PNG");
	/* Both above RENDER_MIN_TIME: read as unix seconds. */
	render_arg(a, "--start=%lld", (long long)r->start);
	render_arg(a, "--end=%lld", (long long)r->end);
	render_arg(a, "--width=%u", r->width);
	render_arg(a, "--height=%u", r->height);
	render_arg(a, "--full-size-mode");
	if (r->scale > 1)
		render_arg(a, "--zoom=%u", r->scale);
	/* A graph too small for axes and legend is drawn as a sparkline. */
	if (r->height < 100)
		render_arg(a, "--only-graph");
	render_arg(a, "--title=%s", title);
	render_arg(a, "--vertical-label=%s", vlabel);
	render_arg(a, "--lower-limit=0");
	/* Plain numbers on the axis: no "m" for milli that reads as million. */
	render_arg(a, "--units-exponent=0");
	render_arg(a, "--left-axis-format=%%.10lg");
	render_arg(a, "--x-grid=%s", render_xgrid(r->end - r->start));
	render_arg(a, "--border=0");
	render_arg(a, "--disable-rrdtool-tag");
	render_arg(a, "--font=DEFAULT:8:DejaVu Sans");
	render_arg(a, "--font=TITLE:10:DejaVu Sans");
	render_arg(a, "--color=BACK#FFFFFF");
	render_arg(a, "--color=CANVAS#FFFFFF");
	render_arg(a, "--color=SHADEA#FFFFFF");
	render_arg(a, "--color=SHADEB#FFFFFF");
	render_arg(a, "--color=GRID#E6E6E6");
	render_arg(a, "--color=MGRID#C8C8C8");
	render_arg(a, "--color=FONT#333333");
	render_arg(a, "--color=AXIS#666666");
	render_arg(a, "--color=ARROW#666666");
	render_arg(a, "--color=FRAME#FFFFFF");
	render_arg(a, "--grid-dash=1:0");
}

/* Index of category name among the store's, or -1. */
static int
render_find(
    const char (*names)[ST_CATEGORY_MAX + 1], unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* The exact total of the i-th requested series, or NO_TOTAL. */
static int64_t
render_total(const struct render_request *r, unsigned i)
{
	return r->totals != NULL ? r->totals[i] : RENDER_NO_TOTAL;
}

/* A legend line's statistics: the exact total of the range. */
static void
render_total_comment(struct render_args *a, int64_t total)
{
	char n[32];

	if (total == RENDER_NO_TOTAL) {
		render_arg(a, "COMMENT:no data in this range\\l");
		return;
	}
	render_count(total, n, sizeof(n));
	render_arg(a, "COMMENT:total %s messages\\l", n);
}

/*
 * The bands behind the data: grey where base is unknown, and past the end
 * of the stored data of a live source a pale band for rows still filling.
 */
static void
render_unknown(
    struct render_args *a, const struct render_request *r, const char *base)
{
	if (r->filling_from <= 0) {
		render_arg(a, "CDEF:unk=%s,UN,INF,UNKN,IF", base);
		render_arg(a, "AREA:unk#%s", RENDER_UNKNOWN);
		return;
	}
	render_arg(a, "CDEF:unk=%s,UN,TIME,%lld,LE,*,INF,UNKN,IF", base,
	    (long long)r->filling_from);
	render_arg(a, "AREA:unk#%s", RENDER_UNKNOWN);
	render_arg(a, "CDEF:filling=%s,POP,TIME,%lld,GT,INF,UNKN,IF", base,
	    (long long)r->filling_from);
	render_arg(a, "AREA:filling#%s", RENDER_FILLING);
}

/* One file a graph reads, as rrd_graph is to see it. */
struct render_file {
	char epath[2 * PATH_MAX]; /* escaped for a DEF */
	int  cover;		  /* it has the coverage data source */
};

/*
 * Define var as data source ds of the series: each file's rows, those
 * nobody reported (coverage 0; zeros fill gaps in the files) made unknown,
 * summed over the files (the partial totals of several collectors).  opts
 * are appended to every DEF (":start=...:end=..." for an overlay).
 */
static void
render_series(struct render_args *a, const char *var,
    const struct render_file *f, size_t n, const char *ds, const char *opts)
{
	char   sum[RENDER_ARG_LEN];
	size_t k, off;

	for (k = 0; k < n; k++) {
		render_arg(a, "DEF:%s_r%zu=%s:%s:AVERAGE%s", var, k, f[k].epath,
		    ds, opts);
		if (!f[k].cover) {
			render_arg(a, "CDEF:%s_m%zu=%s_r%zu", var, k, var, k);
			continue;
		}
		render_arg(a, "DEF:%s_c%zu=%s:%s:AVERAGE%s", var, k, f[k].epath,
		    STORE_COVERAGE_DS, opts);
		/* Unknown coverage (rows older than it): the value as it is. */
		render_arg(a,
		    "CDEF:%s_m%zu=%s_c%zu,UN,%s_r%zu,%s_c%zu,0,GT,%s_r%zu,UNKN,"
		    "IF,IF",
		    var, k, var, k, var, k, var, k, var, k);
	}
	off = (size_t)snprintf(sum, sizeof(sum), "CDEF:%s=%s_m0", var, var);
	for (k = 1; k < n && off < sizeof(sum); k++)
		off += (size_t)snprintf(
		    sum + off, sizeof(sum) - off, ",%s_m%zu,ADDNAN", var, k);
	render_arg(a, "%s", sum);
}

/* The ratio view: spam / (spam + ham) in percent, with its overlay. */
static void
render_ratio(struct render_args *a, const struct render_request *r,
    const struct render_file *f, size_t nf, const char *colour,
    const char *when)
{
	int64_t s = render_total(r, 0), h = render_total(r, 1);
	char	opts[96];

	render_series(a, "s", f, nf, "spam", "");
	render_series(a, "h", f, nf, "ham", "");
	render_unknown(a, r, "s");
	render_arg(a, "CDEF:ratio=s,h,+,0,EQ,UNKN,s,s,h,+,/,100,*,IF");
	render_arg(a, "LINE2:ratio#%s:spam share of spam + ham", colour);
	if (s != RENDER_NO_TOTAL && h != RENDER_NO_TOTAL && s + h > 0)
		render_arg(a, "COMMENT:%.1f %% over the range\\l",
		    100.0 * (double)s / (double)(s + h));
	else
		render_arg(a, "COMMENT:no data in this range\\l");
	if (r->compare > 0) {
		snprintf(opts, sizeof(opts), ":start=%lld:end=%lld",
		    (long long)(r->start - r->compare),
		    (long long)(r->end - r->compare));
		render_series(a, "ps", f, nf, "spam", opts);
		render_series(a, "ph", f, nf, "ham", opts);
		render_arg(a, "SHIFT:ps:%lld", (long long)r->compare);
		render_arg(a, "SHIFT:ph:%lld", (long long)r->compare);
		render_arg(
		    a, "CDEF:pratio=ps,ph,+,0,EQ,UNKN,ps,ps,ph,+,/,100,*,IF");
		render_arg(a, "LINE1:pratio#%s99:dashed\\: %s\\l:dashes=5,3",
		    colour, when);
	}
}

/* Build the data part of a graph: DEFs, lines or areas, legend, overlay. */
static void
render_data(struct render_args *a, struct store *st,
    const struct render_request *r, const struct render_file *f, size_t nf,
    struct st_error *e)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	char	 leg[64], when[48], var[16], opts[96];
	unsigned i, n, c;
	int	 spam, ham;

	names = store_categories(st, &n);
	render_shift_name(r->compare, when, sizeof(when));
	if (r->view == RENDER_RATIO) {
		spam = render_find(names, n, "spam");
		ham = render_find(names, n, "ham");
		if (spam < 0 || ham < 0) {
			err_set(e, ERR_BAD_INPUT, "bad_parameter", "view",
			    "the ratio view needs the categories spam and "
			    "ham");
			return;
		}
		render_ratio(
		    a, r, f, nf, render_colour("spam", (unsigned)spam), when);
		return;
	}
	/* Rates per second, drawn per hour whatever the range. */
	for (i = 0; i < r->ncats; i++) {
		c = r->cats[i];
		snprintf(var, sizeof(var), "c%u", i);
		render_series(a, var, f, nf, names[c], "");
		render_arg(a, "CDEF:v%u=c%u,3600,*", i, i);
	}
	/* Unknown spans as a light band behind the data. */
	render_unknown(a, r, "c0");
	for (i = 0; i < r->ncats; i++) {
		c = r->cats[i];
		render_escape(names[c], leg, sizeof(leg));
		if (r->view == RENDER_STACKED)
			render_arg(a, "AREA:v%u#%sCC:%-10s%s", i,
			    render_colour(names[c], c), leg,
			    i > 0 ? ":STACK" : "");
		else
			render_arg(a, "LINE2:v%u#%s:%-10s", i,
			    render_colour(names[c], c), leg);
		render_total_comment(a, render_total(r, i));
	}
	if (r->compare <= 0)
		return;
	for (i = 0; i < r->ncats; i++) {
		c = r->cats[i];
		snprintf(var, sizeof(var), "p%u", i);
		snprintf(opts, sizeof(opts), ":start=%lld:end=%lld",
		    (long long)(r->start - r->compare),
		    (long long)(r->end - r->compare));
		render_series(a, var, f, nf, names[c], opts);
		render_arg(a, "SHIFT:p%u:%lld", i, (long long)r->compare);
		render_arg(a, "CDEF:pv%u=p%u,3600,*", i, i);
		/* One legend entry for every dashed line. */
		if (i + 1 < r->ncats)
			render_arg(a, "LINE1:pv%u#%s99::dashes=5,3", i,
			    render_colour(names[c], c));
		else
			render_arg(a,
			    "LINE1:pv%u#%s99:dashed\\: %s\\l:dashes=5,3", i,
			    render_colour(names[c], c), when);
	}
}

/*
 * Append one mark's short description to the summary line, unless the line
 * would pass room characters; returns 0, or -1 when it did not fit.
 */
static int
render_mark_note(
    char *line, size_t len, size_t room, const struct render_mark *m)
{
	char	  text[160], when[32], item[256];
	struct tm tm;
	time_t	  t = (time_t)m->time;

	/* A drop's text names its time already; an event's does not. */
	when[0] = '\0';
	if (m->kind == RENDER_MARK_EVENT) {
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%d %b %H\\:%M ", &tm);
	}
	render_escape(m->text, text, sizeof(text));
	snprintf(item, sizeof(item), "%s%s%s", line[0] != '\0' ? "  ·  " : "",
	    when, text);
	if (render_chars(line) + render_chars(item) > room)
		return -1;
	snprintf(line + strlen(line), len - strlen(line), "%s", item);
	return 0;
}

/*
 * The marks inside the range: drops as a rule with their span shaded,
 * events as dashed rules, none with a legend entry of its own; then one
 * summary line, cut to the width of the image, so that the plot keeps its
 * height however many there are.  Events first, so a drop's rule is drawn
 * over an event at the same time.
 */
static void
render_marks(struct render_args *a, const struct render_request *r,
    const char *base, int legend)
{
	const struct render_mark *m;
	char			  line[1024], zone[16];
	unsigned		  i, n = 0, shown = 0, total = 0, pass;
	size_t			  room;
	struct tm		  tm;
	time_t			  t = (time_t)r->end;

	localtime_r(&t, &tm);
	strftime(zone, sizeof(zone), "%Z", &tm);
	room = r->width / RENDER_CHAR_PX;
	room = room > 40 ? room - 28 : 12;
	line[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->nmarks && n < RENDER_MAX_MARKS; i++) {
			m = &r->marks[i];
			if (m->time < r->start || m->time > r->end ||
			    (m->kind == RENDER_MARK_DROP) != (pass == 1))
				continue;
			if (m->kind == RENDER_MARK_DROP) {
				if (base != NULL && m->end > m->time) {
					render_arg(a,
					    "CDEF:drop%u=%s,POP,TIME,%lld,"
					    "GE,TIME,%lld,LE,*,INF,UNKN,IF",
					    n, base, (long long)m->time,
					    (long long)m->end);
					render_arg(
					    a, "AREA:drop%u#00000014", n);
				}
				render_arg(a, "VRULE:%lld#%s",
				    (long long)m->time, RENDER_DROP_COLOUR);
			} else
				render_arg(a, "VRULE:%lld#%s::dashes=4,3",
				    (long long)m->time, RENDER_EVENT_COLOUR);
			total++;
			if (render_mark_note(line, sizeof(line), room, m) == 0)
				shown++;
			n++;
		}
	}
	if (!legend)
		return;
	if (base != NULL) {
		/* The grey band's swatch, drawing nothing. */
		render_arg(a, "CDEF:nothing=%s,POP,UNKN", base);
		render_arg(a, "AREA:nothing#%s:no data", RENDER_UNKNOWN);
	}
	if (total == 0)
		snprintf(
		    line, sizeof(line), "no drops or events in this range");
	else if (shown < total)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    "%s+%u more", shown ? "  ·  " : "", total - shown);
	render_arg(a, "COMMENT:marks (%s)\\: %s\\l", zone, line);
}

/* Note one of rrd_graph_v's plot-area keys in area. */
static void
render_area_key(struct render_area *area, const char *key, unsigned long v)
{
	if (strcmp(key, "graph_left") == 0)
		area->left = (unsigned)v;
	else if (strcmp(key, "graph_top") == 0)
		area->top = (unsigned)v;
	else if (strcmp(key, "graph_width") == 0)
		area->width = (unsigned)v;
	else if (strcmp(key, "graph_height") == 0)
		area->height = (unsigned)v;
	else if (strcmp(key, "graph_start") == 0)
		area->start = (int64_t)v;
	else if (strcmp(key, "graph_end") == 0)
		area->end = (int64_t)v;
}

/* Draw the graph r describes. */
int
render_graph(struct store *st, const struct render_request *r,
    unsigned char **img, size_t *len, struct render_area *area,
    struct st_error *e)
{
	struct render_args  a;
	rrd_info_t	   *info = NULL, *i;
	char		    parts[STORE_MAX_PARTS][ST_SOURCE_MAX + 1];
	char		    path[PATH_MAX], title[ST_SOURCE_MAX + 64];
	struct render_file *files = NULL;
	const char	   *vlabel;
	size_t		    nf, k;
	int		    have = 0, r1, ret = -1;

	*img = NULL;
	*len = 0;
	memset(&a, 0, sizeof(a));
	memset(e, 0, sizeof(*e));
	if (r->ncats == 0 || r->end <= r->start)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "categories",
		    "nothing to draw");
	if (store_path(st, r->source, path, sizeof(path)) == -1)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "source",
		    "not a valid source name");
	/* One file, or the partial totals of every collector, summed. */
	nf = store_parts(st, r->source, parts, STORE_MAX_PARTS);
	if ((files = calloc(nf + 1, sizeof(*files))) == NULL)
		return err_set(
		    e, ERR_INTERNAL, "internal", NULL, "out of memory");
	for (k = 0; k < nf; k++) {
		if (store_path(st, parts[k], path, sizeof(path)) == -1 ||
		    render_path_escape(
			path, files[k].epath, sizeof(files[k].epath)) == -1) {
			free(files);
			return err_set(e, ERR_BAD_INPUT, "bad_parameter",
			    "source", "not a valid source name");
		}
		files[k].cover = store_has_coverage(st, parts[k]);
	}
	if (r->start < RENDER_MIN_TIME) {
		free(files);
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "start",
		    "graphs start after 1980-01-01 (librrd draws nothing "
		    "earlier); /export.csv reads any range");
	}
	if (r->compare > 0 && r->start - r->compare < RENDER_MIN_TIME) {
		free(files);
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "compare",
		    "the comparison would reach back before 1980-01-01");
	}
	snprintf(title, sizeof(title), "%s",
	    strcmp(r->source, ST_TOTAL_SOURCE) == 0 ? "All sources"
						    : r->source);
	vlabel =
	    r->view == RENDER_RATIO ? "spam share (%)" : "messages per hour";

	store_lock(st);
	for (k = 0; k < nf; k++) {
		store_path(st, parts[k], path, sizeof(path));
		if ((r1 = store_prepare_read_locked(st, path)) == -1 ||
		    (have == 0 && r1 == 1))
			have = r1;
		if (have == -1)
			break;
	}
	if (have == -1) {
		err_set(e, ERR_INTERNAL, "store_error", "source",
		    "the source's file "
		    "is not a regular file");
		goto done;
	}
	if (have == 0 && strcmp(r->source, ST_TOTAL_SOURCE) != 0) {
		err_set(e, ERR_NOT_FOUND, "unknown_source", "source",
		    "no data for this source");
		goto done;
	}
	render_frame(&a, r, title, vlabel);
	if (have == 0) {
		render_arg(&a, "--upper-limit=1");
		render_arg(&a, "HRULE:0#C8C8C8");
		render_arg(&a, "COMMENT:No data has been stored yet\\c");
	} else
		render_data(&a, st, r, files, nf, e);
	render_marks(&a, r,
	    have == 0			  ? NULL
		: r->view == RENDER_RATIO ? "s"
					  : "c0",
	    r->height >= 100);
	if (e->kind != ERR_NONE)
		goto done;
	if (a.failed) {
		err_set(e, ERR_INTERNAL, "render_failed", NULL,
		    "graph arguments too "
		    "long");
		goto done;
	}
	rrd_clear_error();
	info = rrd_graph_v(a.argc, a.argv);
	if (info == NULL) {
		err_set(e, ERR_INTERNAL, "render_failed", NULL, "%s",
		    rrd_get_error());
		rrd_clear_error();
		goto done;
	}
	if (area != NULL)
		memset(area, 0, sizeof(*area));
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "image") == 0 && i->type == RD_I_BLO &&
		    i->value.u_blo.size > 0 && *img == NULL) {
			if ((*img = malloc(i->value.u_blo.size)) == NULL)
				break;
			memcpy(*img, i->value.u_blo.ptr, i->value.u_blo.size);
			*len = i->value.u_blo.size;
		} else if (area != NULL && i->type == RD_I_CNT)
			render_area_key(area, i->key, i->value.u_cnt);
	}
	if (*img == NULL) {
		err_set(e, ERR_INTERNAL, "render_failed", NULL,
		    "no image produced");
		goto done;
	}
	ret = 0;
done:
	if (info != NULL)
		rrd_info_free(info);
	store_unlock(st);
	render_args_free(&a);
	free(files);
	return ret;
}
