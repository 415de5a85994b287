/*
 * step.h -- step arithmetic and the exact spreading of an interval's counts
 * over the steps it overlaps.  Pure: no clock, no I/O.
 *
 * Step k covers the half-open wall-time span [S - step, S) and is labelled by
 * its end S, which is how RRD stamps rows.
 */
#ifndef ST_STEP_H
#define ST_STEP_H

#include <stdint.h>

/* The label (end) of the step that contains instant t: the smallest multiple of step > t. */
int64_t step_end_of(int64_t t, unsigned step);

/*
 * The steps that [end - interval, end) overlaps, as labels: *first and *last
 * (inclusive, multiples of step).  interval must be >= 1.
 */
void step_span(int64_t end, uint32_t interval, unsigned step, int64_t *first,
    int64_t *last);

/*
 * The share of count that falls into step label s for an interval ending at
 * end of length interval: shares are proportional to the overlap, integers,
 * and the shares over all overlapped steps sum to exactly count (cumulative
 * rounding: 121 over two whole steps gives 60 and 61).
 */
uint64_t step_share(
    uint64_t count, int64_t end, uint32_t interval, unsigned step, int64_t s);

/* The seconds of step label s that [end - interval, end) covers (0..step). */
uint32_t step_cover(int64_t end, uint32_t interval, unsigned step, int64_t s);

#endif
