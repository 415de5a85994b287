/*
 * bench_drops.c -- the drop benchmark: runs the detector over every
 * synthetic case of tests/unit/scenario.c and prints what it found against
 * what happened, then how long the detector took.  scripts/bench-drops
 * builds and runs it; tests/unit/test_scenarios.c asserts the same table.
 *
 * usage: bench_drops [-v] [-n DRAWS] [-m HOURS]
 *   -v        also list every finding under its case
 *   -n DRAWS  then run every case on DRAWS more draws of its noise and
 *             say how many came out as they should
 *   -m HOURS  hours a shift must hold (default: the detector's own)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/detect.h"
#include "tests/unit/scenario.h"

/* Seconds of this process's CPU time (other load on the machine aside). */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print one finding under its case. */
static void
print_finding(const struct detect_finding *f)
{
	char	  a[24], b[24];
	time_t	  t;
	struct tm tm;

	t = (time_t)f->start;
	gmtime_r(&t, &tm);
	strftime(a, sizeof(a), "%Y-%m-%d %H:%M", &tm);
	snprintf(b, sizeof(b), "-");
	if (f->end != 0) {
		t = (time_t)f->end;
		gmtime_r(&t, &tm);
		strftime(b, sizeof(b), "%Y-%m-%d %H:%M", &tm);
	}
	printf("      %-8s %-8s %s  %+6.1f%%  until %-16s  threshold %+.1f%%  "
	       "recovered %.1f%%\n",
	    detect_kind_name(f->kind), detect_state_name(f->kind, f->state), a,
	    f->change_pct, b, f->threshold_pct, f->recovered_pct);
}

/*
 * Run case i of a draw; prints its row when print is set.  Returns 1 when
 * it came out as it should, 0 when not, -1 when out of memory.  Adds the
 * detector's time to *spent and the hours to *hours.
 */
static unsigned min_hours; /* -m; 0: the default */

static int
run_case(unsigned i, unsigned draw, int print, int verbose, double *spent,
    double *hours)
{
	struct detect_params   p;
	struct detect_finding *f;
	struct sc_case	       c;
	struct sc_result       res;
	double		       t;
	long		       nf, k;

	detect_defaults(&p);
	if (min_hours > 0)
		p.min_hours = min_hours;
	if (sc_make(i, draw, &c) == -1) {
		sc_free(&c);
		return -1;
	}
	t = now();
	nf = detect_shifts(c.v, c.cov, c.n, c.t0, &p, &f);
	*spent += now() - t;
	*hours += (double)c.n;
	sc_judge(&c, f, nf, &res);
	if (!print && verbose && !res.ok)
		printf("  draw %u:\n", draw);
	if (print || (verbose && !res.ok))
		sc_row(stdout, print ? "" : "  ", &c, &res);
	for (k = 0; verbose && k < nf; k++)
		if (print || !res.ok)
			print_finding(&f[k]);
	free(f);
	sc_free(&c);
	return nf < 0 ? -1 : res.ok;
}

int
main(int argc, char **argv)
{
	unsigned i, n = sc_count(), good = 0, draws = 0, d, dgood = 0;
	double	 spent = 0, hours = 0, s2 = 0, h2 = 0;
	int	 verbose = 0, ch, r;

	while ((ch = getopt(argc, argv, "vn:m:")) != -1) {
		if (ch == 'v')
			verbose = 1;
		else if (ch == 'n')
			draws = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'm')
			min_hours = (unsigned)strtoul(optarg, NULL, 10);
		else {
			fprintf(stderr,
			    "usage: bench_drops [-v] [-n DRAWS] [-m HOURS]\n");
			return 2;
		}
	}
	sc_header(stdout, "");
	for (i = 0; i < n; i++) {
		if ((r = run_case(i, 0, 1, verbose, &spent, &hours)) < 0)
			goto nomem;
		good += (unsigned)r;
	}
	printf("\n%u of %u cases as they should be; the detector took %.1f ms "
	       "of CPU for %.0f hours (%.2f ms per year of hours)\n",
	    good, n, spent * 1e3, hours, spent * 1e3 / hours * 8760);
	if (draws > 0) {
		printf("\nthe same cases on %u more draws of their noise:\n",
		    draws);
		for (d = 1; d <= draws; d++)
			for (i = 0; i < n; i++) {
				if ((r = run_case(i, d, 0, verbose, &s2, &h2)) <
				    0)
					goto nomem;
				dgood += (unsigned)r;
			}
		printf("%u of %u as they should be\n", dgood, draws * n);
	}
	return good == n && dgood == draws * n ? 0 : 1;
nomem:
	fprintf(stderr, "bench_drops: out of memory\n");
	return 1;
}
