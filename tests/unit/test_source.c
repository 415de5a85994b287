/*
 * test_source.c -- host name validation and normalisation.
 */
#include <string.h>

#include "collector/api.h"
#include "lib/source.h"
#include "tap.h"

/* Normalise s (strlen bytes) and check it gives want. */
static void
good(const char *s, const char *want)
{
	char		out[ST_SOURCE_MAX + 1];
	struct st_error e;

	memset(out, 'X', sizeof(out));
	if (!ok(source_normalise(s, strlen(s), out, "source", &e) == 0 &&
		    strcmp(out, want) == 0,
		"'%.40s' normalises to '%.40s'", s, want))
		diag("  got '%s' (%s)", out, e.detail);
}

/* Check that the len bytes at s are refused with a 422 bad_source. */
static void
bad_len(const char *s, size_t len, const char *why)
{
	char		out[ST_SOURCE_MAX + 1];
	struct st_error e;
	int		rc;

	memset(&e, 0, sizeof(e));
	rc = source_normalise(s, len, out, "[2].source", &e);
	if (!ok(rc == -1 && e.kind == ERR_INVALID &&
		    strcmp(e.code, "bad_source") == 0 &&
		    strcmp(e.field, "[2].source") == 0 && e.detail[0] != '\0',
		"refused: %s", why))
		diag("  rc %d status %d code '%s' field '%s'", rc,
		    api_error_status(e.kind), e.code, e.field);
}

/* As bad_len, for a NUL-terminated string. */
static void
bad(const char *s, const char *why)
{
	bad_len(s, strlen(s), why);
}

/* Build a name of labels of the given lengths joined by dots. */
static void
make_name(char *buf, const int *lens, int n)
{
	int   i, j;
	char *p = buf;

	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '.';
		for (j = 0; j < lens[i]; j++)
			*p++ = (char)('a' + (i + j) % 26);
	}
	*p = '\0';
}

int
main(void)
{
	char		name[600], out[ST_SOURCE_MAX + 1];
	struct st_error e;
	int		lens[8];

	plan(45);

	good("mx1.example.com", "mx1.example.com");
	good("MX1.Example.COM", "mx1.example.com");
	good("mx1.example.com.", "mx1.example.com");
	good("localhost", "localhost");
	good("a", "a");
	good("1-2.x-y", "1-2.x-y");
	good("123", "123");

	/* Label length: 63 bytes is the most. */
	lens[0] = 63;
	lens[1] = 3;
	make_name(name, lens, 2);
	ok(source_normalise(name, strlen(name), out, "source", &e) == 0 &&
		strlen(out) == 67,
	    "a 63-byte label is accepted");
	lens[0] = 64;
	make_name(name, lens, 2);
	bad(name, "a 64-byte label");
	memset(&e, 0, sizeof(e));
	source_normalise(name, strlen(name), out, "source", &e);
	ok(strstr(e.detail, "label longer than 63") != NULL,
	    "the detail names the label limit: '%s'", e.detail);

	/*
	 * Total length: DNS allows 253 bytes, but a name must also fit a file
	 * name with its suffixes (<name>.rrd.corrupt.NNN in 255): 240 is the
	 * most (63+1+63+1+63+1+48).
	 */
	lens[0] = 63;
	lens[1] = 63;
	lens[2] = 63;
	lens[3] = 48;
	make_name(name, lens, 4);
	is_int(strlen(name), 240, "the test name is 240 bytes");
	ok(source_normalise(name, strlen(name), out, "source", &e) == 0 &&
		strcmp(out, name) == 0,
	    "a 240-byte name is accepted");
	strcat(name, ".");
	ok(source_normalise(name, strlen(name), out, "source", &e) == 0 &&
		strlen(out) == 240,
	    "240 bytes plus a trailing dot is accepted");
	lens[3] = 49;
	make_name(name, lens, 4);
	bad(name, "a 241-byte name");
	ok(source_is_valid_name(name) == 0, "a 241-byte name is not valid");
	memset(&e, 0, sizeof(e));
	source_normalise(name, strlen(name), out, "source", &e);
	ok(strstr(e.detail, "file name") != NULL,
	    "the detail says why: '%s'", e.detail);
	lens[3] = 61;
	make_name(name, lens, 4);
	bad(name, "a 253-byte name (valid DNS, too long for a file)");

	bad("", "empty");
	bad_len(NULL, 0, "NULL");
	bad(".", "only a dot");
	bad("a..b", "empty label in the middle");
	bad(".a", "leading dot");
	bad("a..", "two trailing dots");
	bad("-a", "label starting with '-'");
	bad("a-", "label ending with '-'");
	bad("a-.b", "inner label ending with '-'");
	bad("a.-b", "inner label starting with '-'");
	bad("x/y", "slash");
	bad("..", "dot dot");
	bad("x\\y", "backslash");
	bad("x y", "space");
	bad("x\ty", "tab");
	bad_len("x\0y", 3, "NUL inside");
	bad("\xc3\xbcmlaut", "non-ASCII (UTF-8 u-umlaut)");
	bad("_total", "_total is reserved");
	bad("_x.example", "leading underscore");
	bad("a_b.example", "underscore inside");
	bad("x\x7fy", "DEL");

	ok(source_is_valid_name("mx1.example.com") == 1,
	    "a normalised name is valid");
	ok(source_is_valid_name("_total") == 1, "_total is a valid name");
	ok(source_is_valid_name("MX1.example.com") == 0,
	    "an uppercase name is not normalised");
	ok(source_is_valid_name("mx1.example.com.") == 0,
	    "a trailing dot is not normalised");
	ok(source_is_valid_name("../etc/passwd") == 0, "a path is not valid");
	ok(source_is_valid_name("") == 0, "the empty name is not valid");
	ok(source_is_valid_name("_totals") == 0, "_totals is not valid");

	return tap_done();
}
