/*
 * test_render.c -- the text that reaches a graph's legend: render_escape
 * keeps UTF-8 ("C&C", accents) and drops what could change the graph or
 * the reading order.
 */
#include <stdio.h>
#include <string.h>

#include "rrd/render.h"
#include "tap.h"

/* Escape in into a buffer of size len and compare with want. */
static void
escaped(const char *in, size_t len, const char *want, const char *name)
{
	char out[256];

	render_escape(in, out, len);
	is_str(out, want, "%s", name);
}

int
main(void)
{
	plan(9);
	escaped("C&C caf\xc3\xa9 \xc3\xa9t\xc3\xa9", 256,
	    "C&C caf\xc3\xa9 \xc3\xa9t\xc3\xa9", "'&' and accents are kept");
	escaped("a:b COMMENT:x", 256, "a\\:b COMMENT\\:x",
	    "':' is escaped, so no new graph element starts");
	escaped("back\\slash \\l end", 256, "backslash l end",
	    "backslashes are dropped (no \\l, \\g)");
	escaped("tab\there\nline", 256, "tabhereline", "control bytes go");
	escaped("abc\xe2\x80\xaegnp", 256, "abcgnp",
	    "U+202E (right-to-left override) goes");
	escaped("x\xe2\x81\xa6y\xe2\x81\xa9z", 256, "xyz",
	    "U+2066..2069 (bidi isolates) go");
	escaped("bad\xc3(\xff\xfe", 256, "bad(", "bytes that are not UTF-8 go");
	escaped("caf\xc3\xa9", 5, "caf",
	    "a cut never splits a character in half");
	escaped("\xf0\x9f\x93\xa7 mail", 256, "\xf0\x9f\x93\xa7 mail",
	    "four-byte characters are kept");
	return tap_done();
}
