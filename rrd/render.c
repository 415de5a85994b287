/*
 * render.c -- graphs of the stored series, drawn by rrd_graph_v into memory.
 *
 * Owns the graph's look (colours, units, legend, unknown bands, comparison
 * overlay) and the building of rrd_graph's argument list, into which no text
 * from a request goes unchecked: the file path is the store's, the source a
 * validated host name, legends pass render_escape.  It does not parse
 * requests (query.c does) nor cache images (api_read.c does).
 */
#include "render.h"

#include <rrd.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define RENDER_MAX_ARGS (40 + 16 * ST_MAX_CATEGORIES)
#define RENDER_ARG_LEN	(PATH_MAX + 128)

/* The argument list handed to rrd_graph_v. */
struct render_args {
	int   argc;
	char *argv[RENDER_MAX_ARGS];
	int   failed;
};

/* Colours for the usual categories; others take the palette in order. */
static const struct {
	const char *name;
	const char *colour;
} render_named[] = {
    {"spam", "D62728"},
    {"ham", "2CA02C"},
    {"virus", "9467BD"},
    {"rejected", "FF7F0E"},
};
static const char *render_palette[] = {
    "1F77B4",
    "8C564B",
    "E377C2",
    "7F7F7F",
    "BCBD22",
    "17BECF",
    "393B79",
    "637939",
    "8C6D31",
    "843C39",
    "7B4173",
    "3182BD",
};

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

/* Make text safe for a legend or comment. */
void
render_escape(const char *text, char *out, size_t outlen)
{
	size_t	      o = 0;
	unsigned char c;

	if (outlen == 0)
		return;
	for (; *text != '\0' && o + 3 < outlen; text++) {
		c = (unsigned char)*text;
		if (c == ':') {
			out[o++] = '\\';
			out[o++] = ':';
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(" .,_-()/'%", c) != NULL)
			out[o++] = (char)c;
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
static const char *
render_colour(const char *name, unsigned idx)
{
	size_t i;

	for (i = 0; i < sizeof(render_named) / sizeof(render_named[0]); i++)
		if (strcmp(render_named[i].name, name) == 0)
			return render_named[i].colour;
	return render_palette[idx %
	    (sizeof(render_palette) / sizeof(render_palette[0]))];
}

/* Choose the unit the values are drawn in from the length of the range. */
static void
render_unit(int64_t span, unsigned *mult, const char **unit)
{
	if (span <= 3 * 86400) {
		*mult = 60;
		*unit = "minute";
	} else if (span <= 90 * 86400) {
		*mult = 3600;
		*unit = "hour";
	} else {
		*mult = 86400;
		*unit = "day";
	}
}

/* Describe a comparison shift in words for the legend. */
static void
render_shift_name(int64_t shift, char *out, size_t outlen)
{
	if (shift % (7 * 86400) == 0 && shift / (7 * 86400) > 1 &&
	    shift < 365 * 86400)
		snprintf(out, outlen, "%lld weeks earlier",
		    (long long)(shift / (7 * 86400)));
	else if (shift == 7 * 86400)
		snprintf(out, outlen, "a week earlier");
	else if (shift == 86400)
		snprintf(out, outlen, "a day earlier");
	else if (shift % 86400 == 0 && shift >= 365 * 86400)
		snprintf(out, outlen, "a year earlier");
	else
		snprintf(out, outlen, "%lld s earlier", (long long)shift);
}

/* The options common to every graph: size, range, colours, fonts. */
static void
render_frame(struct render_args *a, const struct render_request *r,
    const char *title, const char *vlabel)
{
	render_arg(a, "graph");
	render_arg(a, "-");
	render_arg(a, "--imgformat=%s", r->svg ? "SVG" : "PNG");
	render_arg(a, "--start=%lld", (long long)r->start);
	render_arg(a, "--end=%lld", (long long)r->end);
	render_arg(a, "--width=%u", r->width);
	render_arg(a, "--height=%u", r->height);
	render_arg(a, "--full-size-mode");
	/* A graph too small for axes and legend is drawn as a sparkline. */
	if (r->height < 100)
		render_arg(a, "--only-graph");
	render_arg(a, "--title=%s", title);
	render_arg(a, "--vertical-label=%s", vlabel);
	render_arg(a, "--lower-limit=0");
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

/* The statistics printed after a line's legend. */
static void
render_stats(struct render_args *a, const char *v, const char *total, int pct)
{
	render_arg(a, "VDEF:%s_avg=%s,AVERAGE", v, v);
	render_arg(a, "VDEF:%s_max=%s,MAXIMUM", v, v);
	render_arg(a, "VDEF:%s_last=%s,LAST", v, v);
	if (total != NULL) {
		render_arg(a, "VDEF:%s_tot=%s,TOTAL", v, total);
		render_arg(a, "GPRINT:%s_tot:total %%7.2lf%%s", v);
	}
	if (pct) {
		render_arg(a, "GPRINT:%s_avg:avg %%5.1lf%%%%", v);
		render_arg(a, "GPRINT:%s_max:max %%5.1lf%%%%", v);
		render_arg(a, "GPRINT:%s_last:last %%5.1lf%%%%\\l", v);
	} else {
		render_arg(a, "GPRINT:%s_avg:avg %%7.2lf%%s", v);
		render_arg(a, "GPRINT:%s_max:max %%7.2lf%%s", v);
		render_arg(a, "GPRINT:%s_last:last %%7.2lf%%s\\l", v);
	}
}

/* Build the data part of a graph: DEFs, lines or areas, legend, overlay. */
static void
render_data(struct render_args *a, struct store *st,
    const struct render_request *r, const char *path, unsigned mult,
    struct st_error *e)
{
	const char(*names)[ST_CATEGORY_MAX + 1];
	char	 leg[64], when[48], tot[16];
	unsigned i, n, c;
	int	 spam, ham;

	names = store_categories(st, &n);
	render_shift_name(r->compare, when, sizeof(when));
	if (r->view == RENDER_RATIO) {
		spam = render_find(names, n, "spam");
		ham = render_find(names, n, "ham");
		render_arg(a, "DEF:s=%s:spam:AVERAGE", path);
		render_arg(a, "DEF:h=%s:ham:AVERAGE", path);
		render_arg(a, "CDEF:unk=s,UN,INF,UNKN,IF");
		render_arg(a, "AREA:unk#EFEFEF:no data\\l");
		render_arg(a, "CDEF:ratio=s,h,+,0,EQ,UNKN,s,s,h,+,/,100,*,IF");
		render_arg(a, "LINE2:ratio#%s:spam share of spam + ham",
		    render_colour("spam", (unsigned)spam));
		render_stats(a, "ratio", NULL, 1);
		if (r->compare > 0) {
			render_arg(a,
			    "DEF:ps=%s:spam:AVERAGE:start=%lld:"
			    "end=%lld",
			    path, (long long)(r->start - r->compare),
			    (long long)(r->end - r->compare));
			render_arg(a,
			    "DEF:ph=%s:ham:AVERAGE:start=%lld:end=%lld", path,
			    (long long)(r->start - r->compare),
			    (long long)(r->end - r->compare));
			render_arg(a, "SHIFT:ps:%lld", (long long)r->compare);
			render_arg(a, "SHIFT:ph:%lld", (long long)r->compare);
			render_arg(a,
			    "CDEF:pratio=ps,ph,+,0,EQ,UNKN,ps,ps,ph,+,"
			    "/,100,*,IF");
			render_arg(a, "LINE1:pratio#%s99:%s:dashes=5,3",
			    render_colour("spam", (unsigned)spam), when);
			render_arg(a, "COMMENT:\\l");
		}
		if (spam < 0 || ham < 0)
			err_set(e, ERR_BAD_INPUT, "bad_parameter", "view",
			    "the ratio "
			    "view needs the categories spam and ham");
		return;
	}
	for (i = 0; i < r->ncats; i++) {
		c = r->cats[i];
		render_arg(a, "DEF:c%u=%s:%s:AVERAGE", i, path, names[c]);
		render_arg(a, "CDEF:v%u=c%u,%u,*", i, i, mult);
	}
	/* Unknown spans as a light band behind the data. */
	render_arg(a, "CDEF:unk=c0,UN,INF,UNKN,IF");
	render_arg(a, "AREA:unk#EFEFEF:no data\\l");
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
		snprintf(leg, sizeof(leg), "v%u", i);
		snprintf(tot, sizeof(tot), "c%u", i);
		render_stats(a, leg, tot, 0);
	}
	if (r->compare <= 0)
		return;
	for (i = 0; i < r->ncats; i++) {
		c = r->cats[i];
		render_arg(a, "DEF:p%u=%s:%s:AVERAGE:start=%lld:end=%lld", i,
		    path, names[c], (long long)(r->start - r->compare),
		    (long long)(r->end - r->compare));
		render_arg(a, "SHIFT:p%u:%lld", i, (long long)r->compare);
		render_arg(a, "CDEF:pv%u=p%u,%u,*", i, i, mult);
		render_escape(names[c], leg, sizeof(leg));
		render_arg(a, "LINE1:pv%u#%s99:%s, %s:dashes=5,3", i,
		    render_colour(names[c], c), leg, when);
	}
	render_arg(a, "COMMENT:\\l");
}

/*
 * Vertical rules for the marks inside the range, their texts escaped;
 * events first, so a drop's rule is drawn over an event at the same time.
 */
static void
render_marks(struct render_args *a, const struct render_request *r)
{
	const struct render_mark *m;
	char			  leg[256];
	unsigned		  i, n = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->nmarks && n < RENDER_MAX_MARKS; i++) {
			m = &r->marks[i];
			if (m->time < r->start || m->time > r->end ||
			    (m->kind == RENDER_MARK_DROP) != (pass == 1))
				continue;
			render_escape(m->text, leg, sizeof(leg));
			render_arg(a, "VRULE:%lld#%s:%s\\l", (long long)m->time,
			    m->kind == RENDER_MARK_DROP ? "000000" : "1F77B4",
			    leg);
			n++;
		}
	}
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
	struct render_args a;
	rrd_info_t	  *info = NULL, *i;
	char path[PATH_MAX], epath[2 * PATH_MAX], title[ST_SOURCE_MAX + 64];
	char vlabel[64];
	const char *unit;
	unsigned    mult;
	int	    have, ret = -1;

	*img = NULL;
	*len = 0;
	memset(&a, 0, sizeof(a));
	memset(e, 0, sizeof(*e));
	if (r->ncats == 0 || r->end <= r->start)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "categories",
		    "nothing to draw");
	if (store_path(st, r->source, path, sizeof(path)) == -1 ||
	    render_path_escape(path, epath, sizeof(epath)) == -1)
		return err_set(e, ERR_BAD_INPUT, "bad_parameter", "source",
		    "not a valid source name");
	render_unit(r->end - r->start, &mult, &unit);
	snprintf(title, sizeof(title), "%s",
	    strcmp(r->source, ST_TOTAL_SOURCE) == 0 ? "All sources"
						    : r->source);
	if (r->view == RENDER_RATIO)
		snprintf(vlabel, sizeof(vlabel), "spam share (%%)");
	else
		snprintf(vlabel, sizeof(vlabel), "messages per %s", unit);

	store_lock(st);
	have = store_prepare_read_locked(st, path);
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
		render_data(&a, st, r, epath, mult, e);
	render_marks(&a, r);
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
	return ret;
}
