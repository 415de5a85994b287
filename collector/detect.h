/*
 * detect.h -- finding sustained level shifts (a sudden fall or rise in
 * volume) in a series of hourly message counts.  Pure: no clock, no I/O;
 * the caller fetches the series and says when its first hour began.
 *
 * Each hour is compared, on a log scale, with what its weekday and hour
 * of day predict: the median of the same hour in the weeks before, or
 * while a series is young, of the same hour on the days before that were
 * of the same kind (weekday or weekend), carried to the series' current
 * level.  How far such log-ratios stray from zero in ordinary hours (a
 * robust spread) sets the series' own threshold; a two-sided CUSUM of the
 * log-ratios notes where a shift may have begun.  A shift must hold for some hours
 * and clear the threshold before it is a finding; its size is measured
 * over a fixed window after its start; then its level becomes the
 * expectation (the new normal) while the finding waits for a return.  The
 * method and its reasoning are written out at the top of detect.c and in
 * docs/API.md.
 */
#ifndef ST_DETECT_H
#define ST_DETECT_H

#include <stddef.h>
#include <stdint.h>

#define DETECT_HOUR 3600
#define DETECT_DAY  24	/* hours */
#define DETECT_WEEK 168 /* hours */

struct detect_params {
	double	 floor;	       /* 0.20: smallest fall (a rise: 1/(1-f)-1) */
	double	 z;	       /* 3: threshold in robust sd of the hours */
	double	 h;	       /* 5: standard errors its mean must be out */
	unsigned min_hours;    /* 8: hours a shift must hold */
	unsigned level_hours;  /* 24: hours that measure a shift */
	double	 recover;      /* 0.75: share back that is a return */
	unsigned settle_hours; /* 672: hours until a shift is the normal */
	unsigned weeks;	       /* 4: weeks of history per baseline */
	unsigned min_weeks;    /* 2: known weeks for a weekly baseline */
	unsigned days;	       /* 7: days of history when weeks are short */
	unsigned min_days;     /* 2: known days for a daily baseline */
	unsigned warmup_hours; /* 72: shortest learning of a new series */
	unsigned noise_hours;  /* 672: hours that measure the spread */
	unsigned level_tau;    /* 72: hours a slow drift is followed in */
	double	 min_expected; /* 20 msgs/hour: quieter hours are no evidence */
};

enum detect_kind {
	DETECT_FALL,	 /* the volume fell */
	DETECT_RISE,	 /* the volume rose */
	DETECT_OUTAGE,	 /* it fell with the reporting (silence, zeros) */
	DETECT_COVERAGE, /* it rose with the reporting (more sources) */
	DETECT_LEARNING	 /* a new series being learnt: nothing is judged */
};

enum detect_state {
	DETECT_ONGOING, /* still shifted (or still learning) */
	DETECT_SETTLED, /* shifted for settle_hours: the new normal */
	DETECT_ENDED	/* the level came back (or learning finished) */
};

/*
 * One finding.  Times are unix seconds on the hour; 0 is "none".  The
 * measures of a shift come from its first level_hours (or fewer when it
 * returned sooner), so they do not depend on how much of the series was
 * asked for; recovered_pct alone follows the latest data.
 */
struct detect_finding {
	enum detect_kind  kind;
	enum detect_state state;
	int64_t		  start;     /* first hour of the shift */
	int64_t		  confirmed; /* when enough hours had been seen */
	int64_t		  end;	    /* returned, settled or learnt; 0 ongoing */
	int64_t		  ret;	    /* when the level came back; 0 if not */
	double		  baseline; /* msgs/hour expected over the window */
	double		  level;    /* msgs/hour seen, median of the window */
	double		  change_pct;	 /* one decimal; NaN for learning */
	double		  recovered_pct; /* share of the change undone */
	double		  threshold_pct; /* smallest change the series showed */
};

/* Fill p with the defaults above. */
void detect_defaults(struct detect_params *p);

/*
 * Find the shifts in v[0..n) (messages per hour; NaN = unknown), hour i
 * covering [t0 + i * 3600, t0 + (i + 1) * 3600); t0 is a multiple of 3600.
 * cov, when not NULL, is each hour's reporting coverage (a source: the
 * share of the hour it reported, 0..1; a sum of sources: how many
 * reported), NaN where unknown: an hour reported less than usual is not
 * taken for a fall in the mail.  Returns the number of findings, in order
 * of start, and sets *out to a malloc'd array of them (NULL when there are
 * none; the caller frees it), or -1 when out of memory.
 */
long detect_shifts(const double *v, const double *cov, size_t n, int64_t t0,
    const struct detect_params *p, struct detect_finding **out);

/* The names of a kind and a state, as the API writes them. */
const char *detect_kind_name(enum detect_kind k);
const char *detect_state_name(enum detect_kind k, enum detect_state s);

/* The median of the n values at x (reordered), ignoring NaN; NaN if none. */
double detect_median(double *x, size_t n);

#endif
