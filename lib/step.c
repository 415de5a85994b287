/*
 * step.c -- step labels and the exact spreading of counts over steps.
 *
 * Owns the arithmetic only: it keeps no buckets (the aggregator does) and
 * reads no clock; every instant is passed in.
 */
#include "step.h"

/* Round t down to a multiple of step, also for negative t. */
static int64_t
step_floor(int64_t t, unsigned step)
{
	int64_t r = t % (int64_t)step;

	if (r < 0)
		r += step;
	return t - r;
}

/* The label of the step holding t: the first multiple of step after t. */
int64_t
step_end_of(int64_t t, unsigned step)
{
	return step_floor(t, step) + step;
}

/* The first and last step labels that [end - interval, end) touches. */
void
step_span(int64_t end, uint32_t interval, unsigned step, int64_t *first,
    int64_t *last)
{
	*first = step_end_of(end - (int64_t)interval, step);
	*last = step_end_of(end - 1, step);
}

/* How many seconds of [end - interval, end) lie before instant s. */
static uint64_t
step_overlap_upto(int64_t end, uint32_t interval, int64_t s)
{
	int64_t start = end - (int64_t)interval;

	if (s <= start)
		return 0;
	if (s >= end)
		return interval;
	return (uint64_t)(s - start);
}

/* The integer part of count spread to step s, by cumulative rounding. */
uint64_t
step_share(
    uint64_t count, int64_t end, uint32_t interval, unsigned step, int64_t s)
{
	unsigned __int128 hi, lo;

	if (interval == 0)
		return 0;
	hi = (unsigned __int128)count * step_overlap_upto(end, interval, s) /
	    interval;
	lo = (unsigned __int128)count *
	    step_overlap_upto(end, interval, s - (int64_t)step) / interval;
	return (uint64_t)(hi - lo);
}

/* The seconds of step s that [end - interval, end) covers. */
uint32_t
step_cover(int64_t end, uint32_t interval, unsigned step, int64_t s)
{
	return (uint32_t)(step_overlap_upto(end, interval, s) -
	    step_overlap_upto(end, interval, s - (int64_t)step));
}
