/*
 * fault.h -- failures and time on demand, for tests, in builds configured
 * with --enable-fault-injection (scripts/check builds its test daemons so).
 *
 * The environment variable SPAMTRENDD_FAULTS names a file of lines
 *
 *	journal_write ENOSPC		the next journal writes fail so
 *	journal_sync EIO
 *	store_write EIO mx1.example.com	writes of one file (or of any file
 *					when no name is given) fail so
 *	store_reserve ENOSPC		reserving a file's blocks fails so
 *	disk_free 0			the free space the disk guard sees
 *	clock 1226448060		the collector's time
 *
 * read afresh at every check, so a test changes a running daemon's faults by
 * replacing the file.  Without the build option, or without the variable,
 * nothing fails and the clock is the system's.
 */
#ifndef ST_FAULT_H
#define ST_FAULT_H

#include "clock.h"

#ifdef ST_FAULT_INJECTION
/* The errno that point should fail with for name (NULL: any), or 0. */
int fault_at(const char *point, const char *name);
/* 1 with *v set when point has a number in the file ("disk_free 0"). */
int fault_value(const char *point, long long *v);
#else
static inline int
fault_at(const char *point, const char *name)
{
	(void)point;
	(void)name;
	return 0;
}

static inline int
fault_value(const char *point, long long *v)
{
	(void)point;
	(void)v;
	return 0;
}
#endif

/* The clock: "clock N" from the file when there is one, else the system's. */
const struct st_clock *fault_clock(void);

#endif
