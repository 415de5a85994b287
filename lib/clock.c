/*
 * clock.c -- the system clock behind struct st_clock, and the monotonic
 * clock for timing.  Owns nothing else.
 */
#include "clock.h"

#include <time.h>

/* Read CLOCK_REALTIME. */
static int64_t
clock_system_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

const struct st_clock clock_system = {clock_system_now, NULL};

/* The time by c. */
int64_t
clock_now(const struct st_clock *c)
{
	return c->now(c->arg);
}

/* Seconds on the monotonic clock. */
double
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
