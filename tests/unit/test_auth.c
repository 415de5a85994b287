/*
 * test_auth.c -- source patterns, the tokens file, and the reporter, admin
 * and reader checks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/auth.h"
#include "tap.h"

#define TOK_A "aaaaaaaaaaaaaaaa-one"
#define TOK_B "bbbbbbbbbbbbbbbb-two"
#define TOK_C "cccccccccccccccc-three"
#define ADMIN "admin-token-0123456789"

static char tmpdir[] = "/tmp/st-auth-XXXXXX";

/* Write text to name in the temporary directory with the given mode. */
static const char *
write_tokens(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	int	    fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		perror(path);
		exit(1);
	}
	return path;
}

/* Fill subs[i] with the source names. */
static void
set_sources(struct submission *subs, size_t n, const char *const *names)
{
	size_t i;

	memset(subs, 0, n * sizeof(*subs));
	for (i = 0; i < n; i++)
		snprintf(
		    subs[i].source, sizeof(subs[i].source), "%s", names[i]);
}

/* Call auth_reporter; returns its result, with the error in e. */
static int
report(struct auth *a, const char *authorization, int loopback,
    const char *const *names, size_t n, struct st_error *e)
{
	struct submission subs[4];

	set_sources(subs, n, names);
	memset(e, 0, sizeof(*e));
	return auth_reporter(a, authorization, loopback, subs, n, e);
}

int
main(void)
{
	static const char *const one_a[] = {"mx1.example.com"};
	static const char *const one_b[] = {"relay.example.net"};
	static const char *const batch[] = {
	    "a.example.org", "mx1.example.com", "b.example.org"};
	static const char *const batch_ok[] = {
	    "a.example.org", "x.y.example.org", "relay.example.net"};
	struct auth    *a;
	struct st_error e;
	char		err[512], want[512];
	const char     *path;

	plan(58);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	/* Patterns. */
	ok(auth_pattern_match("*", "anything.example"), "'*' matches any host");
	ok(auth_pattern_match("*.example.com", "a.example.com"),
	    "'*.example.com' matches a.example.com");
	ok(auth_pattern_match("*.example.com", "a.b.example.com"),
	    "'*.example.com' matches a.b.example.com");
	ok(!auth_pattern_match("*.example.com", "example.com"),
	    "'*.example.com' does not match example.com");
	ok(!auth_pattern_match("*.example.com", "badexample.com"),
	    "'*.example.com' does not match badexample.com");
	ok(!auth_pattern_match("*.example.com", "a.example.com.evil.net"),
	    "'*.example.com' does not match a suffix-extended name");
	ok(auth_pattern_match("mx1.example.com", "mx1.example.com") &&
		auth_pattern_match("MX1.Example.COM", "mx1.example.com"),
	    "an exact name matches, without regard to case");
	ok(!auth_pattern_match("mx1.example.com", "mx10.example.com") &&
		!auth_pattern_match("mx1.example.com", "x1.example.com"),
	    "an exact name matches nothing else");

	/* Without a tokens file: loopback only. */
	a = auth_create("", "", "", err, sizeof(err));
	ok(a != NULL && auth_tokens(a) == 0, "a policy without a tokens file");
	is_int(report(a, NULL, 1, one_a, 1, &e), 0,
	    "a loopback client may submit");
	ok(report(a, NULL, 0, one_a, 1, &e) == -1 && e.kind == ERR_FORBIDDEN &&
		strcmp(e.code, "forbidden") == 0,
	    "another client gets 403 forbidden");
	ok(report(a, "Bearer " TOK_A, 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_FORBIDDEN,
	    "a token does not help without a tokens file");
	ok(auth_admin(a, "Bearer " ADMIN, &e) == -1 && e.kind == ERR_FORBIDDEN,
	    "without an admin token admin actions are refused (403)");
	is_int(
	    auth_reader(a, NULL, &e), 0, "without a password reading is open");
	is_int(auth_reload(a, err, sizeof(err)), 0,
	    "reload without a file is a no-op");
	auth_free(a);

	/* The tokens file. */
	path = write_tokens("bad-mode", TOK_A " *\n", 0644);
	ok(auth_create(path, "", "", err, sizeof(err)) == NULL &&
		strstr(err, path) != NULL,
	    "a tokens file readable by others is refused (%s)", err);
	path = write_tokens("bad-mode", TOK_A " *\n", 0640);
	ok(auth_create(path, "", "", err, sizeof(err)) == NULL,
	    "a tokens file readable by the group is refused");
	path = write_tokens(
	    "short", "# reporters\n" TOK_A " *\n\n0123456789abcde mx\n", 0600);
	snprintf(want, sizeof(want), "%s:4:", path);
	ok(auth_create(path, "", "", err, sizeof(err)) == NULL &&
		strncmp(err, want, strlen(want)) == 0,
	    "a 15-character token is refused naming line 4 (%s)", err);
	path = write_tokens(
	    "short", TOK_A " *\n0123456789\f0123456789 mx\n", 0600);
	snprintf(want, sizeof(want), "%s:2:", path);
	ok(auth_create(path, "", "", err, sizeof(err)) == NULL &&
		strncmp(err, want, strlen(want)) == 0,
	    "a token holding a control byte (form feed) is refused (%s)", err);
	path = write_tokens("nopattern", TOK_A " *\n" TOK_B "\n", 0600);
	snprintf(want, sizeof(want), "%s:2:", path);
	ok(auth_create(path, "", "", err, sizeof(err)) == NULL &&
		strncmp(err, want, strlen(want)) == 0,
	    "a token without a pattern is refused naming line 2 (%s)", err);
	ok(auth_create("/nonexistent/tokens", "", "", err, sizeof(err)) ==
		    NULL &&
		strstr(err, "/nonexistent/tokens") != NULL,
	    "a missing file is named");

	path = write_tokens("tokens",
	    "# token patterns...\n"
	    "\n" TOK_A "\tmx1.example.com\n"
	    "  " TOK_B " *.example.org, relay.example.net\r\n"
	    "0123456789abcdef *\n",
	    0600);
	a = auth_create(path, ADMIN, "s3cret", err, sizeof(err));
	ok(a != NULL, "a good tokens file loads (%s)", a ? "" : err);
	if (a == NULL)
		return tap_done();
	is_int(auth_tokens(a), 3,
	    "three tokens, comments and blank lines skipped");

	/* Reporters. */
	ok(report(a, NULL, 1, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED &&
		strcmp(e.field, "Authorization") == 0,
	    "with a tokens file even loopback needs a token (401, "
	    "Authorization)");
	ok(report(a, "Basic " TOK_A, 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "another scheme is a missing token (401)");
	ok(report(a, "Bearer ", 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "an empty bearer is a missing token (401)");
	ok(report(a, "Bearer zzzzzzzzzzzzzzzzzzzz", 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED &&
		strcmp(e.code, "unauthorized") == 0,
	    "an unknown token gets 401 unauthorized");
	ok(report(a, "Bearer aaaaaaaaaaaaaaaa", 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "a prefix of a token is unknown");
	ok(report(a, "Bearer " TOK_A "x", 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "a token with a character more is unknown");
	is_int(report(a, "Bearer " TOK_A, 0, one_a, 1, &e), 0,
	    "a token may report for its source");
	is_int(report(a, "bearer   " TOK_A, 0, one_a, 1, &e), 0,
	    "the scheme is case-insensitive and spaces may follow it");
	ok(report(a, "Bearer " TOK_A, 0, one_b, 1, &e) == -1 &&
		e.kind == ERR_FORBIDDEN && strcmp(e.code, "forbidden") == 0 &&
		strcmp(e.field, "source") == 0 &&
		strstr(e.detail, "relay.example.net") != NULL,
	    "another source gets 403 with the field 'source'");
	is_int(report(a, "Bearer " TOK_B, 0, batch_ok, 3, &e), 0,
	    "a batch within the token's patterns is allowed");
	ok(report(a, "Bearer " TOK_B, 0, batch, 3, &e) == -1 &&
		e.kind == ERR_FORBIDDEN && strcmp(e.field, "[1].source") == 0,
	    "a batch with one foreign source names '[1].source' (%s)", e.field);
	is_int(report(a, "Bearer 0123456789abcdef", 0, batch, 3, &e), 0,
	    "a '*' token may report for anyone");

	/* Admin. */
	ok(auth_admin(a, NULL, &e) == -1 && e.kind == ERR_UNAUTHENTICATED,
	    "admin without a token: 401");
	ok(auth_admin(a, "Bearer " TOK_A, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "a reporter token is not the admin token");
	ok(auth_admin(a, "Bearer admin-token-012345678", &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "a prefix of the admin token is refused");
	is_int(auth_admin(a, "Bearer " ADMIN, &e), 0,
	    "the admin token is accepted");
	ok(report(a, "Bearer " ADMIN, 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "the admin token is not a reporter token");

	/* Reader: HTTP basic auth, any user name. */
	ok(auth_reader(a, NULL, &e) == -1 && e.kind == ERR_UNAUTHENTICATED &&
		strcmp(e.field, "Authorization") == 0,
	    "reading without credentials: 401");
	is_int(auth_reader(a, "Basic dXNlcjpzM2NyZXQ=", &e), 0,
	    "user:s3cret is accepted");
	is_int(auth_reader(a, "Basic YW55b25lOnMzY3JldA==", &e), 0,
	    "any user name with the password is accepted");
	is_int(auth_reader(a, "basic dXNlcjpzM2NyZXQ", &e), 0,
	    "a lower-case scheme and no padding are accepted");
	ok(auth_reader(a, "Basic dXNlcjp3cm9uZw==", &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "a wrong password is refused");
	ok(auth_reader(a, "Basic bm9jb2xvbg==", &e) == -1,
	    "credentials without a colon are refused");
	ok(auth_reader(a, "Basic dXNlcjpzM2Ny!!ZXQ=", &e) == -1,
	    "invalid base64 is refused");
	ok(auth_reader(a, "Bearer s3cret", &e) == -1,
	    "a bearer token is not basic auth");
	ok(auth_reader(a, "Basic dXNlcjpzM2NyZXQAanVuaw==", &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "the password followed by a NUL and more is refused "
	    "(user:s3cret\\0junk)");
	auth_free(a);
	a = auth_create("", "", "a:b", err, sizeof(err));
	is_int(auth_reader(a, "Basic dXNlcjphOmI=", &e), 0,
	    "a password may contain a colon (user:a:b)");
	auth_free(a);

	/* Reload swaps the tokens, and a bad file keeps the old ones. */
	path = write_tokens("reload", TOK_A " mx1.example.com\n", 0600);
	a = auth_create(path, "", "", err, sizeof(err));
	ok(a != NULL && report(a, "Bearer " TOK_A, 0, one_a, 1, &e) == 0,
	    "before the reload the old token works");
	write_tokens("reload",
	    TOK_C " *.example.com\n" TOK_B " relay.example.net\n", 0600);
	is_int(auth_reload(a, err, sizeof(err)), 0, "reload succeeds");
	is_int(auth_tokens(a), 2, "two tokens after the reload");
	ok(report(a, "Bearer " TOK_A, 0, one_a, 1, &e) == -1 &&
		e.kind == ERR_UNAUTHENTICATED,
	    "the removed token is now unknown");
	is_int(report(a, "Bearer " TOK_C, 0, one_a, 1, &e), 0,
	    "the new token works");
	write_tokens("reload", TOK_A " *\nshort *\n", 0600);
	snprintf(want, sizeof(want), "%s:2:", path);
	ok(auth_reload(a, err, sizeof(err)) == -1 &&
		strncmp(err, want, strlen(want)) == 0,
	    "a bad file fails the reload naming the line (%s)", err);
	ok(auth_tokens(a) == 2 &&
		report(a, "Bearer " TOK_C, 0, one_a, 1, &e) == 0 &&
		report(a, "Bearer " TOK_A, 0, one_a, 1, &e) == -1,
	    "after a failed reload the previous tokens stay");
	write_tokens("reload", TOK_A " *\n", 0644);
	ok(auth_reload(a, err, sizeof(err)) == -1 && auth_tokens(a) == 2,
	    "a reload of a file readable by others fails and keeps the tokens");
	auth_free(a);

	unlink(write_tokens("bad-mode", "", 0600));
	unlink(write_tokens("short", "", 0600));
	unlink(write_tokens("nopattern", "", 0600));
	unlink(write_tokens("tokens", "", 0600));
	unlink(write_tokens("reload", "", 0600));
	rmdir(tmpdir);
	return tap_done();
}
