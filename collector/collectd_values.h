/*
 * collectd_values.h -- the previous values of collectd counters kept across
 * a clean restart (see collectd_values.c).
 */
#ifndef ST_COLLECTD_VALUES_H
#define ST_COLLECTD_VALUES_H

#include <stdint.h>

#include "collectd_state.h"

/*
 * Write every remembered value to the data directory's file (removed when
 * there is none).  Call at a clean stop, once every body is settled.
 * Returns 0, or -1 (logged).
 */
int collectd_values_save(const struct collectd_state *st, const char *data_dir);

/*
 * Restore the values of the last clean stop into st and remove the file,
 * durably, so that it is used once.  No file is not an error.  Returns 0,
 * or -1 (logged) when the file cannot be read or removed.
 */
int collectd_values_load(
    struct collectd_state *st, const char *data_dir, int64_t now);

#endif
