/*
 * scenario.h -- synthetic months of hourly mail counts built to the
 * published figures of the well-documented spam-volume events, and
 * "nothing happened" controls; and the judging of what the detector found
 * in them.  Shared by the drop benchmark (tests/bench/bench_drops.c) and
 * its test (tests/unit/test_scenarios.c), so both see the same data.
 */
#ifndef ST_SCENARIO_H
#define ST_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collector/detect.h"

#define SC_MAX_TRUTH 3

/* Something that happened in a case, as the sensor saw it. */
struct sc_truth {
	int64_t time;	  /* unix seconds */
	double	size_pct; /* change of the hourly volume, percent */
	int	required; /* a fall of 30 % or more: must be found once */
	int64_t back;	  /* when the volume came back; 0 if not in span */
};

/* One hourly series and what happened in it (nothing, for a control). */
struct sc_case {
	char		event[40];  /* "McColo", "control: holidays" */
	char		sensor[40]; /* "IronPort-like", "mail server" */
	char		series[24]; /* "spam", "_total", "ham" */
	int64_t		t0;	    /* start of hour 0 */
	size_t		n;
	double	       *v;   /* messages per hour; NaN unknown */
	double	       *cov; /* coverage per hour, or NULL */
	unsigned	ntruth;
	struct sc_truth truth[SC_MAX_TRUTH];
};

/* What the detector made of a case. */
struct sc_result {
	unsigned findings;		/* falls and rises */
	unsigned others;		/* outages and coverage changes */
	int	 found;			/* a finding was matched to truth[0] */
	int64_t	 start, confirmed, ret; /* of that finding */
	double	 change_pct;
	int	 ok;
	char	 verdict[48];
};

/* How many cases there are. */
unsigned sc_count(void);

/*
 * Build case i into c (its arrays malloc'd: free with sc_free).  The data
 * depend only on i and variant (0 is the benchmark's own draw; others draw
 * the same kind of noise again).  Returns 0, or -1 when out of memory.
 */
int  sc_make(unsigned i, unsigned variant, struct sc_case *c);
void sc_free(struct sc_case *c);

/*
 * Judge the nf findings f of case c into res: every required truth found
 * exactly once, starting within 3 hours and within 10 points of its size;
 * no other fall or rise (a change under 30 % may be found or not).
 */
void sc_judge(const struct sc_case *c, const struct detect_finding *f, long nf,
    struct sc_result *res);

/*
 * The table of the benchmark: a header, then one row per case (prefix
 * starts each line, e.g. "# " inside a TAP stream).  "after" is how long
 * after the truth the finding was confirmed; n counts falls and rises, o
 * outages and coverage changes.
 */
void sc_header(FILE *fp, const char *prefix);
void sc_row(FILE *fp, const char *prefix, const struct sc_case *c,
    const struct sc_result *res);

#endif
