/*
 * detect.h -- finding sustained level shifts (a sudden fall or rise in
 * volume) in a series of hourly message counts.  Pure: no clock, no I/O;
 * the caller fetches the series and says when its first hour began.
 *
 * Each hour is compared with the same hour of the same weekday in the
 * weeks before it (the median of up to `weeks` of them), so ordinary daily
 * and weekly cycles cancel out.  A shift is at least min_hours consecutive
 * hours beyond the threshold; while it lasts the baseline stays the one
 * from before its start, so the shifted hours never become their own
 * reference.  Shifts of the same direction closer than merge_hours are
 * one finding.
 */
#ifndef ST_DETECT_H
#define ST_DETECT_H

#include <stddef.h>
#include <stdint.h>

#define DETECT_HOUR 3600
#define DETECT_WEEK 168 /* hours */

struct detect_params {
	double	 fall;	       /* 0.40: a fall of 40 % or more */
	double	 rise;	       /* 0.40: a rise of 40 % or more */
	unsigned min_hours;    /* 3: hours a shift must last */
	unsigned weeks;	       /* 4: weeks of history per baseline */
	unsigned min_weeks;    /* 2: known weeks needed for a baseline */
	unsigned merge_hours;  /* 12: gaps shorter than this are merged */
	unsigned level_hours;  /* 24: hours that measure the new level */
	double	 min_baseline; /* 50 msgs/hour: quieter hours are noise */
};

/* One sustained shift. */
struct detect_finding {
	int64_t start;	    /* unix s, first hour of the shift */
	int64_t end;	    /* unix s, first hour after it; 0 if ongoing */
	double	baseline;   /* msgs/hour the shifted hours were expected at */
	double	level;	    /* msgs/hour, median of those hours */
	double	change_pct; /* (level / baseline - 1) * 100, one decimal */
	double	recovered_pct; /* share of the change undone by the end */
	size_t	first, last;   /* hour indices of the shift (inclusive) */
};

/* Fill p with the defaults above. */
void detect_defaults(struct detect_params *p);

/*
 * Find the shifts in v[0..n) (messages per hour; NaN = unknown), hour i
 * covering [t0 + i * 3600, t0 + (i + 1) * 3600).  Returns the number of
 * findings, in time order, and sets *out to a malloc'd array of them (NULL
 * when there are none; the caller frees it), or -1 when out of memory.
 *
 * The level and change are measured over the shift's first level_hours
 * (or all of it when shorter), so a slow recovery later does not blur how
 * deep the shift went; recovered_pct compares the last level_hours of the
 * series with the same baseline (0: nothing came back, 100: all of it).
 */
long detect_shifts(const double *v, size_t n, int64_t t0,
    const struct detect_params *p, struct detect_finding **out);

/* The median of the n values at x (reordered), ignoring NaN; NaN if none. */
double detect_median(double *x, size_t n);

#endif
