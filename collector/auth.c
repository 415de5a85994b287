/*
 * auth.c -- reporter tokens, the admin token and the read password.
 *
 * Owns the parsed tokens file and its reloading; it does not know about
 * HTTP (the caller passes the Authorization header's value) and never logs
 * a token.  Comparisons of secrets take time independent of where they
 * differ.
 */
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAX    256
#define PATTERNS_MAX 64

struct token {
	char   secret[TOKEN_MAX + 1];
	size_t len;
	char  *patterns[PATTERNS_MAX];
	size_t npatterns;
};

struct auth {
	pthread_rwlock_t lock;
	char		*tokens_file; /* "" for none */
	char		*admin_token;
	char		*read_password;
	struct token	*tokens;
	size_t		 ntokens;
};

/* Compare two secrets in time that depends only on the longer length. */
static int
auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t	      i, n = alen > blen ? alen : blen;
	unsigned char diff = alen != blen;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(i < alen ? a[i] : 0) ^
		    (unsigned char)(i < blen ? b[i] : 0);
	return diff == 0;
}

/* 1 when host matches pattern. */
int
auth_pattern_match(const char *pattern, const char *host)
{
	size_t pl, hl;

	if (strcmp(pattern, "*") == 0)
		return 1;
	if (strncmp(pattern, "*.", 2) == 0) {
		pl = strlen(pattern + 1); /* ".example.com" */
		hl = strlen(host);
		return hl > pl && strcasecmp(host + hl - pl, pattern + 1) == 0;
	}
	return strcasecmp(pattern, host) == 0;
}

/*
 * 1 when s is printable ASCII without spaces: what an Authorization header
 * can carry (a control byte there is refused before any handler runs).
 */
static int
auth_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Free a token table. */
static void
auth_free_tokens(struct token *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < t[i].npatterns; j++)
			free(t[i].patterns[j]);
	free(t);
}

/* Parse the tokens file into a new table. */
static int
auth_parse(const char *path, struct token **out, size_t *nout, char *err,
    size_t errlen)
{
	struct token *t = NULL;
	size_t	      n = 0;
	struct stat   sb;
	char	      line[4096];
	unsigned      lineno = 0;
	FILE	     *fp;
	int	      fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		snprintf(err, errlen,
		    "%s: must not be readable by group or "
		    "others (chmod 600)",
		    path);
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		abort();
	while (fgets(line, sizeof(line), fp) != NULL) {
		char	     *save = NULL, *word;
		struct token *tk;

		lineno++;
		word = strtok_r(line, " \t\r\n", &save);
		if (word == NULL || word[0] == '#')
			continue;
		if ((t = reallocarray(t, n + 1, sizeof(*t))) == NULL)
			abort();
		tk = &t[n++];
		memset(tk, 0, sizeof(*tk));
		if (strlen(word) < 16 || strlen(word) > TOKEN_MAX ||
		    !auth_printable(word)) {
			snprintf(err, errlen,
			    "%s:%u: a token must be 16 to %d printable ASCII "
			    "characters",
			    path, lineno, TOKEN_MAX);
			goto fail;
		}
		snprintf(tk->secret, sizeof(tk->secret), "%s", word);
		tk->len = strlen(word);
		while ((word = strtok_r(NULL, " \t\r\n,", &save)) != NULL) {
			if (tk->npatterns == PATTERNS_MAX) {
				snprintf(err, errlen,
				    "%s:%u: more than %d "
				    "patterns",
				    path, lineno, PATTERNS_MAX);
				goto fail;
			}
			if ((tk->patterns[tk->npatterns++] = strdup(word)) ==
			    NULL)
				abort();
		}
		if (tk->npatterns == 0) {
			snprintf(err, errlen,
			    "%s:%u: a token needs at least one "
			    "source pattern",
			    path, lineno);
			goto fail;
		}
	}
	fclose(fp);
	*out = t;
	*nout = n;
	return 0;
fail:
	fclose(fp);
	auth_free_tokens(t, n);
	return -1;
}

/* Create the policy. */
struct auth *
auth_create(const char *tokens_file, const char *admin_token,
    const char *read_password, char *err, size_t errlen)
{
	struct auth *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		abort();
	pthread_rwlock_init(&a->lock, NULL);
	if ((a->tokens_file = strdup(tokens_file)) == NULL ||
	    (a->admin_token = strdup(admin_token)) == NULL ||
	    (a->read_password = strdup(read_password)) == NULL)
		abort();
	if (tokens_file[0] != '\0' &&
	    auth_parse(tokens_file, &a->tokens, &a->ntokens, err, errlen) ==
		-1) {
		auth_free(a);
		return NULL;
	}
	return a;
}

/* Free the policy. */
void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	auth_free_tokens(a->tokens, a->ntokens);
	pthread_rwlock_destroy(&a->lock);
	free(a->tokens_file);
	free(a->admin_token);
	free(a->read_password);
	free(a);
}

/* Reload the tokens file. */
int
auth_reload(struct auth *a, char *err, size_t errlen)
{
	struct token *t, *old;
	size_t	      n, oldn;

	if (a->tokens_file[0] == '\0')
		return 0;
	if (auth_parse(a->tokens_file, &t, &n, err, errlen) == -1)
		return -1;
	pthread_rwlock_wrlock(&a->lock);
	old = a->tokens;
	oldn = a->ntokens;
	a->tokens = t;
	a->ntokens = n;
	pthread_rwlock_unlock(&a->lock);
	auth_free_tokens(old, oldn);
	return 0;
}

/* Number of tokens. */
size_t
auth_tokens(struct auth *a)
{
	size_t n;

	pthread_rwlock_rdlock(&a->lock);
	n = a->ntokens;
	pthread_rwlock_unlock(&a->lock);
	return n;
}

/* The bearer token in an Authorization value, or NULL. */
static const char *
auth_bearer(const char *authorization)
{
	if (authorization == NULL ||
	    strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	return *authorization != '\0' ? authorization : NULL;
}

/* May this client submit for these sources? */
int
auth_reporter(struct auth *a, const char *authorization, int loopback,
    const struct submission *subs, size_t n, struct st_error *e)
{
	const char	   *bearer = auth_bearer(authorization);
	const struct token *found = NULL;
	size_t		    i, j;
	int		    rc = 0;

	if (a->tokens_file[0] == '\0') {
		if (loopback)
			return 0;
		return err_set(e, ERR_FORBIDDEN, "forbidden", "",
		    "without a tokens file only loopback clients may submit");
	}
	if (bearer == NULL)
		return err_set(e, ERR_UNAUTHENTICATED, "unauthorized",
		    "Authorization",
		    "a reporter token is required (Authorization: Bearer ...)");
	pthread_rwlock_rdlock(&a->lock);
	/* Look at every token so the time taken does not tell which matched. */
	for (i = 0; i < a->ntokens; i++)
		if (auth_equal(a->tokens[i].secret, a->tokens[i].len, bearer,
			strlen(bearer)) &&
		    found == NULL)
			found = &a->tokens[i];
	if (found == NULL) {
		rc = err_set(e, ERR_UNAUTHENTICATED, "unauthorized",
		    "Authorization", "unknown reporter token");
		goto done;
	}
	for (i = 0; i < n; i++) {
		int ok = 0;

		for (j = 0; j < found->npatterns && !ok; j++)
			ok = auth_pattern_match(
			    found->patterns[j], subs[i].source);
		if (!ok) {
			char field[32];

			if (n == 1)
				snprintf(field, sizeof(field), "source");
			else
				snprintf(
				    field, sizeof(field), "[%zu].source", i);
			rc = err_set(e, ERR_FORBIDDEN, "forbidden", field,
			    "this token may "
			    "not report for %s",
			    subs[i].source);
			goto done;
		}
	}
done:
	pthread_rwlock_unlock(&a->lock);
	return rc;
}

/* Is this the admin token? */
int
auth_admin(struct auth *a, const char *authorization, struct st_error *e)
{
	const char *bearer = auth_bearer(authorization);

	if (a->admin_token[0] == '\0')
		return err_set(e, ERR_FORBIDDEN, "forbidden", "",
		    "no admin_token is "
		    "configured, so admin actions are disabled");
	if (bearer == NULL ||
	    !auth_equal(
		a->admin_token, strlen(a->admin_token), bearer, strlen(bearer)))
		return err_set(e, ERR_UNAUTHENTICATED, "unauthorized",
		    "Authorization", "the admin token is required");
	return 0;
}

/* Decode base64 text into out (cap bytes); returns the length or -1. */
static int
auth_base64(const char *in, char *out, size_t cap)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0, bits = 0;
	size_t	 n = 0;

	for (; *in != '\0' && *in != '='; in++) {
		const char *p = strchr(tab, *in);

		if (p == NULL || *in == '\0')
			return -1;
		v = (v << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= cap)
				return -1;
			out[n++] = (char)((v >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return (int)n;
}

/* May this client read? */
int
auth_reader(struct auth *a, const char *authorization, struct st_error *e)
{
	char creds[512], *colon;
	int  n;

	if (a->read_password[0] == '\0')
		return 0;
	/*
	 * The password is the decoded bytes after the first colon, all of
	 * them: a NUL among them is a byte that differs, not the end.
	 */
	if (authorization == NULL ||
	    strncasecmp(authorization, "Basic ", 6) != 0 ||
	    (n = auth_base64(authorization + 6, creds, sizeof(creds))) < 0 ||
	    (colon = memchr(creds, ':', (size_t)n)) == NULL ||
	    !auth_equal(a->read_password, strlen(a->read_password), colon + 1,
		(size_t)(creds + n - (colon + 1))))
		return err_set(e, ERR_UNAUTHENTICATED, "unauthorized",
		    "Authorization", "this collector needs a password to read");
	return 0;
}
