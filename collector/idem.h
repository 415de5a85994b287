/*
 * idem.h -- idempotency keys: which submissions were already accepted.
 *
 * A key is scoped by source ("<source> <id>").  It is PENDING from the moment
 * its submission is queued for the journal until the journal sync succeeds
 * (DURABLE) or fails (removed).  Pure and not thread-safe: the ingest module
 * guards it with its lock.
 */
#ifndef ST_IDEM_H
#define ST_IDEM_H

#include <stddef.h>
#include <stdint.h>

enum idem_state { IDEM_PENDING, IDEM_DURABLE };

struct idem;

struct idem_entry {
	uint64_t	hash; /* of the submission's content */
	enum idem_state state;
	int64_t		expires; /* unix seconds; only for DURABLE */
};

struct idem *idem_create(void);
void	     idem_free(struct idem *t);

/* The scoped key of (source, id) into buf (ST_SOURCE_MAX + ST_KEY_MAX + 2). */
void idem_key(char *buf, size_t len, const char *source, const char *id);

/* The entry for key, or NULL; valid until the next change to the table. */
const struct idem_entry *idem_find(const struct idem *t, const char *key);

/* Add key as PENDING with hash (replacing any entry). */
void idem_add_pending(struct idem *t, const char *key, uint64_t hash);
/* Mark key DURABLE until expires (adding it if missing, as in replay). */
void idem_commit(
    struct idem *t, const char *key, uint64_t hash, int64_t expires);
/* Forget a PENDING key whose write failed. */
void idem_abort(struct idem *t, const char *key);
/* Forget DURABLE keys that expired before now; returns how many. */
size_t idem_expire(struct idem *t, int64_t now);
size_t idem_count(const struct idem *t);

#endif
