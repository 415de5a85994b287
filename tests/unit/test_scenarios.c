/*
 * test_scenarios.c -- the drop benchmark as a test: in every synthetic
 * case of tests/unit/scenario.c the detector must find each documented
 * fall of 30 % or more once, within 3 hours and 10 points, and nothing in
 * the controls.  The table is printed as diagnostics.
 */
#include <stdlib.h>

#include "collector/detect.h"
#include "scenario.h"
#include "tap.h"

int
main(void)
{
	struct detect_params   p;
	struct detect_finding *f;
	struct sc_case	       c;
	struct sc_result       res;
	unsigned	       i, n = sc_count();
	long		       nf;

	plan((int)n);
	detect_defaults(&p);
	sc_header(stdout, "# ");
	for (i = 0; i < n; i++) {
		if (sc_make(i, 0, &c) == -1) {
			ok(0, "case %u could not be built", i);
			sc_free(&c);
			continue;
		}
		nf = detect_shifts(c.v, c.cov, c.n, c.t0, &p, &f);
		sc_judge(&c, f, nf, &res);
		sc_row(stdout, "# ", &c, &res);
		ok(nf >= 0 && res.ok, "%s, %s %s: %s", c.event, c.sensor,
		    c.series, res.verdict);
		free(f);
		sc_free(&c);
	}
	return tap_done();
}
