/*
 * clock.h -- where the collector's idea of "now" comes from.
 *
 * The core never calls time() itself: it is handed a struct st_clock, the
 * system clock in the daemon and a clock the test moves in unit tests (and,
 * in builds with fault injection, a clock read from a file so integration
 * tests need not wait for minute boundaries).
 */
#ifndef ST_CLOCK_H
#define ST_CLOCK_H

#include <stdint.h>

struct st_clock {
	int64_t (*now)(void *arg); /* unix seconds */
	void *arg;
};

/* The wall clock (CLOCK_REALTIME). */
extern const struct st_clock clock_system;

/* The time by c. */
int64_t clock_now(const struct st_clock *c);

/*
 * Seconds on CLOCK_MONOTONIC: for pacing and timing only (never the time
 * of a count), so it is not the injectable clock.
 */
double clock_mono(void);

#endif
