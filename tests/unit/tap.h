/*
 * tap.h -- a tiny Test Anything Protocol helper for the C unit tests.
 *
 * plan(n) first, then ok()/is_int()/is_str(), then return tap_done().
 */
#ifndef ST_TAP_H
#define ST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned, tap_run, tap_failed;

/* Announce how many tests will run. */
static inline void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

/* Report one test point; returns cond so callers can chain diagnostics. */
static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

/* Print a diagnostic line. */
static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define is_int(got, want, ...) \
	do { \
		long long tap_g_ = (long long)(got), \
			  tap_w_ = (long long)(want); \
		if (!ok(tap_g_ == tap_w_, __VA_ARGS__)) \
			diag("  got %lld, want %lld", tap_g_, tap_w_); \
	} while (0)

#define is_str(got, want, ...) \
	do { \
		const char *tap_g_ = (got), *tap_w_ = (want); \
		if (!ok(tap_g_ != NULL && tap_w_ != NULL && \
			    strcmp(tap_g_, tap_w_) == 0, \
			__VA_ARGS__)) \
			diag("  got '%s', want '%s'", \
			    tap_g_ ? tap_g_ : "(null)", \
			    tap_w_ ? tap_w_ : "(null)"); \
	} while (0)

/* Stop the whole test: something it needs could not be set up. */
#define BAIL_OUT(...) \
	do { \
		printf("Bail out! "); \
		printf(__VA_ARGS__); \
		putchar('\n'); \
		exit(1); \
	} while (0)

/* Finish: exit status 0 only when every planned test ran and passed. */
static inline int
tap_done(void)
{
	if (tap_run != tap_planned)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	return tap_failed == 0 && tap_run == tap_planned ? 0 : 1;
}

#endif
