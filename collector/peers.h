/*
 * peers.h -- the other collectors of a shared data directory, as far as
 * idempotency goes: their journals are followed, read only, so that a
 * retry that reaches this collector after the one that acknowledged it
 * died is still known as a repeat.
 *
 * Each collector of a cluster has its own journal directory
 * (<data-dir>/journal.<id>, or <data-dir>/journal alone); this module finds
 * the others and reads what they appended since the last look.  Not
 * thread-safe: the ingest commit thread owns it.
 */
#ifndef ST_PEERS_H
#define ST_PEERS_H

#include <stddef.h>
#include <stdint.h>

struct journal_record;
struct peers;

/*
 * Follow every journal directory of data_dir except own (a directory name
 * such as "journal.c1").  ncategories must match theirs.
 */
struct peers *peers_create(
    const char *data_dir, const char *own, unsigned ncategories);
void peers_free(struct peers *p);

/*
 * Look for new peers when the data directory gained or lost a directory
 * (its link count; every 30 seconds where that does not tell), read every
 * whole record they appended since the last call and call fn with it.
 * Returns the number of records read.
 */
size_t peers_scan(struct peers *p, int64_t			 now,
    void (*fn)(void *arg, const struct journal_record *r), void *arg);

/* The number of peer journals followed. */
size_t peers_count(const struct peers *p);

#endif
