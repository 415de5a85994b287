/*
 * test_step.c -- step labels, spans and the exact spreading of counts.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/step.h"
#include "tap.h"

/* A small deterministic generator, so failures can be reproduced. */
static uint64_t
rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/*
 * Spread count over the span of [end - interval, end) and check that the
 * shares sum to count, that no share exceeds its fair part by one or more,
 * and that steps outside the span get nothing.
 */
static int
spread_ok(uint64_t count, int64_t end, uint32_t interval, unsigned step)
{
	int64_t		  first, last, s;
	uint64_t	  sum = 0, share;
	unsigned __int128 fair;
	int64_t		  lo, hi, ov;

	step_span(end, interval, step, &first, &last);
	if (first > last || first % step != 0 || last % step != 0)
		return 0;
	if (step_share(count, end, interval, step, first - step) != 0 ||
	    step_share(count, end, interval, step, last + step) != 0)
		return 0;
	for (s = first; s <= last; s += step) {
		share = step_share(count, end, interval, step, s);
		lo = s - step > end - interval ? s - step : end - interval;
		hi = s < end ? s : end;
		ov = hi - lo;
		if (ov <= 0)
			return 0;
		/* |share - count * ov / interval| < 1 */
		fair = (unsigned __int128)count * (uint64_t)ov;
		if ((unsigned __int128)share * interval + interval <= fair ||
		    fair + interval <= (unsigned __int128)share * interval)
			return 0;
		sum += share;
	}
	return sum == count;
}

int
main(void)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL, count;
	int64_t	 first, last, end;
	uint32_t interval;
	unsigned step, steps[] = {10, 60, 300, 3600};
	int	 i, fails;

	plan(27);

	is_int(step_end_of(120, 60), 180, "120 lies in the step ending at 180");
	is_int(step_end_of(119, 60), 120, "119 lies in the step ending at 120");
	is_int(step_end_of(1, 60), 60, "1 lies in the step ending at 60");
	is_int(step_end_of(1226448060, 60), 1226448120,
	    "an aligned instant starts the next step");
	is_int(step_end_of(1226448061, 300), 1226448300, "a 300 s step");

	step_span(120, 120, 60, &first, &last);
	ok(first == 60 && last == 120,
	    "[0,120) spans the steps 60 and 120 "
	    "(got %lld..%lld)",
	    (long long)first, (long long)last);
	step_span(180, 60, 60, &first, &last);
	ok(first == 180 && last == 180,
	    "an aligned one-step interval spans one "
	    "step (got %lld..%lld)",
	    (long long)first, (long long)last);
	step_span(150, 60, 60, &first, &last);
	ok(first == 120 && last == 180,
	    "[90,150) spans 120 and 180 (got "
	    "%lld..%lld)",
	    (long long)first, (long long)last);
	step_span(61, 1, 60, &first, &last);
	ok(first == 120 && last == 120, "[60,61) is in the step ending at 120");
	step_span(3600, 3600, 60, &first, &last);
	ok(first == 60 && last == 3600, "an hour spans 60 steps");

	is_int(step_share(121, 120, 120, 60, 60), 60, "121 over two steps: 60");
	is_int(
	    step_share(121, 120, 120, 60, 120), 61, "121 over two steps: 61");
	is_int(step_share(121, 120, 120, 60, 180), 0, "nothing after the span");
	is_int(step_share(121, 120, 120, 60, 0), 0, "nothing before the span");
	is_int(step_share(7, 180, 60, 60, 180), 7,
	    "an aligned one-step interval keeps the whole count");
	/* [90,150): 30 s in step 120 and 30 s in step 180. */
	is_int(step_share(100, 150, 60, 60, 120), 50, "unaligned: first half");
	is_int(step_share(100, 150, 60, 60, 180), 50, "unaligned: second half");
	/* [100,150): 20 s in step 120, 30 s in step 180. */
	is_int(step_share(5, 150, 50, 60, 120), 2, "5 over 20/50 s: 2");
	is_int(step_share(5, 150, 50, 60, 180), 3, "5 over 30/50 s: 3");
	is_int(step_share(0, 150, 50, 60, 180), 0, "zero spreads to zero");
	/* 1e12 - floor(1e12 * 86340 / 86400) = 1e12 - 999305555555 */
	is_int(step_share(1000000000000ULL, 86400, 86400, 60, 86400), 694444445,
	    "1e12 over a day: the last step takes the remainder");
	ok(spread_ok(1000000000000ULL, 1226448061, 86400, 60),
	    "1e12 over an unaligned day sums exactly");
	ok(spread_ok(1, 1226448061, 86400, 10),
	    "1 over a day lands in exactly one step");

	for (i = 0, fails = 0; i < 20000; i++) {
		count = rnd(&state) % 4 == 0 ? rnd(&state) % 1000000000001ULL
					     : rnd(&state) % 1000;
		end = 1000000000 + (int64_t)(rnd(&state) % 100000000);
		interval = 1 + (uint32_t)(rnd(&state) % 86400);
		step = steps[rnd(&state) % 4];
		if (!spread_ok(count, end, interval, step)) {
			if (fails++ < 5)
				diag(
				    "  count %llu end %lld interval %u step %u",
				    (unsigned long long)count, (long long)end,
				    interval, step);
		}
	}
	is_int(fails, 0, "20000 random spreads sum exactly and stay fair");

	for (i = 0, fails = 0; i < 2000; i++) {
		count = rnd(&state) % 100;
		end = 60 * (int64_t)(1 + rnd(&state) % 1000000);
		if (!spread_ok(count, end, 60, 60) ||
		    step_share(count, end, 60, 60, end) != count)
			fails++;
	}
	is_int(fails, 0, "aligned one-step intervals land whole");

	for (i = 0, fails = 0; i < 2000; i++) {
		count = rnd(&state) % 1000000;
		interval = 1 + (uint32_t)(rnd(&state) % 59);
		end = 60 * (int64_t)(1 + rnd(&state) % 1000000) + 59;
		/* Inside one step: [end-interval, end) within (end-59-1, end]. */
		step_span(end, interval, 60, &first, &last);
		if (first != last ||
		    step_share(count, end, interval, 60, first) != count)
			fails++;
	}
	is_int(fails, 0, "short intervals inside one step land whole");

	is_int(
	    step_share(3, 120, 120, 60, 60) + step_share(3, 120, 120, 60, 120),
	    3, "3 over two steps sums to 3");
	return tap_done();
}
