/*
 * auth.h -- who may write and who may read.
 *
 * Reporter tokens come from a tokens file (mode 0600, reloaded on SIGHUP):
 * each line is a bearer token followed by the source patterns it may report
 * for ("mx1.example.com", "*.example.com", or "*").  Without a tokens file
 * only loopback clients may submit.  Admin actions need the admin token;
 * reading can be guarded by a password (HTTP basic auth).
 *
 * Thread-safe: lookups take a read lock, a reload the write lock.
 */
#ifndef ST_AUTH_H
#define ST_AUTH_H

#include <stddef.h>

#include "../lib/error.h"
#include "submission.h"

struct auth;

/*
 * Create the policy.  tokens_file may be "" (loopback only).  admin_token
 * and read_password may be "" (admin actions refused; reading open).
 * NULL with err filled when the tokens file is unreadable, not 0600, or
 * malformed (the line is named).
 */
struct auth *auth_create(const char *tokens_file, const char *admin_token,
    const char *read_password, char *err, size_t errlen);
void	     auth_free(struct auth *a);

/* Reload the tokens file; on failure the old tokens stay and err is filled. */
int auth_reload(struct auth *a, char *err, size_t errlen);

/* Number of reporter tokens loaded (0 without a tokens file). */
size_t auth_tokens(struct auth *a);

/*
 * May the client with this Authorization header (or NULL) submit for every
 * source in subs?  loopback: the peer is on loopback.  -1 with e filled:
 * 401 "unauthorized" (missing or unknown token, or a non-loopback client
 * without a tokens file: 403 "forbidden"), 403 "forbidden" (a source
 * outside the token's patterns, field "[i].source").
 */
int auth_reporter(struct auth *a, const char *authorization, int loopback,
    const struct submission *subs, size_t n, struct st_error *e);

/* Is this the admin token?  -1 with e filled (401/403). */
int auth_admin(struct auth *a, const char *authorization, struct st_error *e);

/* May this client read?  -1 with e filled (401 with the field "Authorization"). */
int auth_reader(struct auth *a, const char *authorization, struct st_error *e);

/* 1 when host matches pattern ("*", "*.example.com" or an exact name). Pure. */
int auth_pattern_match(const char *pattern, const char *host);

#endif
