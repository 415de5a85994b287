/*
 * detect_int.h -- what detect.c and detect_expect.c share: the state of
 * one pass over a series.  Private to the detector; nothing else includes
 * it.
 */
#ifndef ST_DETECT_INT_H
#define ST_DETECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define H_HIST	  0x01 /* usable as history */
#define H_LOSS	  0x02 /* reported less than usual, or zeros */
#define H_GAIN	  0x04 /* more sources reported than usual */
#define H_HOLIDAY 0x08 /* a weekday that looked like a weekend day */
#define H_NOISE	  0x10 /* an ordinary hour: measures the spread */

#define SIGMA_MIN     0.01 /* a perfectly regular series */
#define SIGMA_UNKNOWN 0.15 /* until enough hours were seen */
#define NOISE_MIN     12   /* residuals needed to measure the spread */
#define LEARN_MAX     336  /* hours: learning ends by then regardless */
#define BASE_MAX      32   /* values in one baseline */
#define HOLIDAY_MAX   72   /* holiday hours a week at most */

/* What one hour became. */
struct hour {
	double	      y;   /* log(v + 1); NaN unknown */
	double	      reg; /* the regime (adopted shifts) in effect */
	double	      raw; /* y minus its seasonal baseline; NaN none */
	double	      r;   /* raw minus the level; NaN for hours that
			      are no evidence (too quiet, no baseline) */
	unsigned char fl;
};

/* A finding being built, with what its return is judged by. */
struct track {
	struct detect_finding f;
	int		      dir;    /* -1 fall, 1 rise; 0 learning */
	size_t		      s;      /* first hour */
	size_t		      wend;   /* first hour after its window */
	size_t		      reti;   /* hour of the return */
	double		      pre;    /* level before it */
	double		      delta;  /* its size, log */
	double		      dmin;   /* the smallest size it could have */
	int		      open;   /* waiting for a return */
	int		      gone;   /* withdrawn: it did not hold */
	int		      hidden; /* the return of another: not reported */
	double		      ring[DETECT_DAY]; /* the last day's levels */
	size_t		      nring;
};

/* The level window of the latest shift. */
struct window {
	int    active;
	int    dir;
	size_t s;
	long   track; /* the finding it measures; -1 for a return */
};

/* The state of one pass over a series. */
struct run {
	const double		   *v, *cov;
	size_t			    n;
	int64_t			    t0;
	const struct detect_params *p;
	struct hour		   *h;
	double			   *tmp;
	double			    reg, drift, sigma, rho, dmin, k, se;
	double			    cref;
	size_t			    noise_at; /* when sigma was measured */
	size_t			    noise_m;  /* from how many hours */
	double			    cus[2];   /* 0 falls, 1 rises */
	size_t			    from[2];  /* where each sum left zero */
	size_t			    reset;    /* sums start no earlier */
	int			    learning;
	size_t			    l0; /* first hour learnt; n: none yet */
	unsigned      holidays;		/* holiday hours in the last week */
	struct window w;
	struct track *tr;
	size_t	      ntr, cap;
};

/* The start of hour i. */
static inline int64_t
run_time(const struct run *r, size_t i)
{
	return r->t0 + (int64_t)i * DETECT_HOUR;
}

/* The series' level now: its regime and the drift since. */
static inline double
run_level(const struct run *r)
{
	return r->reg + r->drift;
}

/* 1.4826 times the median absolute deviation of x[0..n) (reordered). */
double expect_spread(double *x, size_t n);

/* 1 when the hour starting at t falls on a Saturday or Sunday (UTC). */
int expect_weekend(int64_t t);

/*
 * The median of y - regime over the history hours i - k * step before
 * hour `before` (at most `reach` of them) of the given kind of day (-1 any,
 * 0 weekday, 1 weekend), the first `want` there are; NaN when fewer than
 * `need`.
 */
double expect_base(const struct run *r, size_t i, size_t before, size_t step,
    unsigned reach, unsigned want, unsigned need, int kind);

/*
 * Hour i's seasonal baseline from the hours before hour `before`: weekly
 * when it can be, else daily (need_days days of the same kind at least).
 */
double expect_baseline(
    const struct run *r, size_t i, size_t before, unsigned need_days);

/* Set the thresholds that follow from sigma and rho. */
void expect_derive(struct run *r);

/*
 * Measure the spread and the lag-1 autocorrelation of the ordinary hours
 * before hour i; keeps the previous figures when too few are known.
 */
void expect_noise(struct run *r, size_t i);

/* The usual coverage: the median over the week before hour i, if known. */
void expect_coverage(struct run *r, size_t i);

/* Is there history in the week before hour i? */
int expect_recent(const struct run *r, size_t i);

/*
 * Flag hour i's reporting: less (or more) coverage than usual, a zero
 * where plenty was due, or the partial hour at either edge of such a
 * spell.  e is the hour's expected count.
 */
void expect_flags(struct run *r, size_t i, double e);

#endif
