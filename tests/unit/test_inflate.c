/*
 * test_inflate.c -- gzip decoding with a cap on the output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "collector/api.h"
#include "collector/inflate.h"
#include "tap.h"

#define CHUNK_SLACK 16384 /* the decoder's growth step */

/*
 * Without AddressSanitizer (which owns malloc), realloc is wrapped to record
 * the largest block the decoder asks for, so the bomb test can show that the
 * output never grows past the cap.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TRACE_ALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRACE_ALLOC 0
#endif
#endif
#ifndef TRACE_ALLOC
#define TRACE_ALLOC 1
#endif

#if TRACE_ALLOC
extern void  *__libc_realloc(void *, size_t);
static size_t peak_realloc;

/* Forward to the C library and remember the largest size asked for. */
void *
realloc(void *p, size_t n)
{
	if (n > peak_realloc)
		peak_realloc = n;
	return __libc_realloc(p, n);
}
#endif

/* Append len bytes at p to the growing buffer *buf. */
static void
append(unsigned char **buf, size_t *len, const void *p, size_t n)
{
	*buf = realloc(*buf, *len + n);
	if (*buf == NULL)
		abort();
	memcpy(*buf + *len, p, n);
	*len += n;
}

/*
 * Gzip-compress reps copies of the len bytes at p (a gzip member of reps *
 * len bytes) and append the member to *buf.
 */
static void
gzip_append(
    unsigned char **buf, size_t *buflen, const void *p, size_t len, size_t reps)
{
	unsigned char out[65536];
	z_stream      zs;
	size_t	      r;
	int	      zr;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
		Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	for (r = 0; r <= reps; r++) {
		zs.next_in = (Bytef *)(uintptr_t)p;
		zs.avail_in = r < reps ? (uInt)len : 0;
		do {
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			zr = deflate(&zs, r < reps ? Z_NO_FLUSH : Z_FINISH);
			if (zr == Z_STREAM_ERROR)
				abort();
			append(buf, buflen, out, sizeof(out) - zs.avail_out);
		} while (zs.avail_out == 0);
	}
	if (zr != Z_STREAM_END)
		abort();
	deflateEnd(&zs);
}

/* Check that inflating in[0..len) with cap fails with status and code. */
static void
refused(const unsigned char *in, size_t len, size_t cap, int status,
    const char *code, const char *field, const char *what)
{
	struct st_error e;
	char	       *out = (char *)1;
	size_t		outlen = 99;
	int		rc;

	memset(&e, 0, sizeof(e));
	rc = inflate_gzip(in, len, cap, &out, &outlen, &e);
	if (!ok(rc == -1 && api_error_status(e.kind) == status &&
		    strcmp(e.code, code) == 0 && strcmp(e.field, field) == 0 &&
		    out == NULL && outlen == 0,
		"%s: %d %s", what, status, code))
		diag("  rc %d status %d code '%s' field '%s' detail '%s'", rc,
		    api_error_status(e.kind), e.code, e.field, e.detail);
}

int
main(void)
{
	unsigned char  *gz = NULL, *two = NULL, *bomb = NULL, *bad = NULL;
	size_t		gzlen = 0, twolen = 0, bomblen = 0, badlen, i;
	char	       *text, *out = NULL, *zeros;
	size_t		textlen = 200000, outlen = 0;
	struct st_error e;
	int		rc;

	plan(27);

	text = malloc(textlen);
	for (i = 0; i < textlen; i++)
		text[i] =
		    "{\"source\":\"mx1.example.com\",\"counts\":{}}\n"[i % 41] ^
		    (char)(i % 7 == 0 ? 0x20 : 0);
	gzip_append(&gz, &gzlen, text, textlen, 1);

	rc = inflate_gzip(gz, gzlen, 1 << 20, &out, &outlen, &e);
	ok(rc == 0, "a gzip body inflates");
	is_int(outlen, textlen, "to its original length");
	ok(out != NULL && memcmp(out, text, textlen) == 0,
	    "with the original bytes");
	ok(out != NULL && out[outlen] == '\0', "NUL terminated");
	free(out);

	rc = inflate_gzip(gz, gzlen, textlen, &out, &outlen, &e);
	ok(rc == 0 && outlen == textlen,
	    "a body of exactly the cap is accepted");
	free(out);
	refused(gz, gzlen, textlen - 1, 413, "inflated_too_large", "body",
	    "one byte over the cap");

	/* Two members make one body (RFC 1952 2.2). */
	gzip_append(&two, &twolen, "hello ", 6, 1);
	gzip_append(&two, &twolen, "world", 5, 1);
	rc = inflate_gzip(two, twolen, 100, &out, &outlen, &e);
	ok(rc == 0 && outlen == 11 && strcmp(out, "hello world") == 0,
	    "two gzip members are concatenated ('%s')", rc == 0 ? out : "");
	free(out);
	refused(two, twolen, 10, 413, "inflated_too_large", "body",
	    "the cap counts both members");

	/* An empty member inflates to an empty body. */
	bad = NULL;
	badlen = 0;
	gzip_append(&bad, &badlen, "", 0, 0);
	rc = inflate_gzip(bad, badlen, 100, &out, &outlen, &e);
	ok(rc == 0 && outlen == 0 && out != NULL && out[0] == '\0',
	    "an empty member gives an empty body");
	free(out);
	free(bad);

	/* Truncated streams. */
	refused(gz, gzlen / 2, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "cut in half");
	refused(gz, gzlen - 4, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "the length trailer missing");
	refused(gz, gzlen - 1, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "the last byte missing");
	refused(gz, 5, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "only part of the header");
	refused(gz, 0, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "an empty body");

	/* Trailing garbage and corruption. */
	bad = malloc(gzlen + 3);
	memcpy(bad, gz, gzlen);
	memcpy(bad + gzlen, "xyz", 3);
	refused(bad, gzlen + 3, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "trailing garbage");
	refused(bad, gzlen + 1, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "one trailing byte");
	bad[gzlen] = 0;
	refused(bad, gzlen + 1, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "a trailing NUL");
	memcpy(bad, gz, gzlen);
	bad[gzlen - 6] ^= 0x01; /* the CRC-32 */
	refused(bad, gzlen, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "a wrong CRC");
	memcpy(bad, gz, gzlen);
	bad[gzlen - 2] ^= 0x01; /* the length */
	refused(bad, gzlen, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "a wrong length");
	memcpy(bad, gz, gzlen);
	bad[0] = 0x78; /* a zlib header, not gzip */
	refused(bad, gzlen, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "not a gzip header");
	free(bad);
	refused((const unsigned char *)"{\"source\":\"x\"}", 14, 1 << 20, 400,
	    "bad_gzip", "Content-Encoding", "plain JSON");
	refused((const unsigned char *)"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00"
				       "\x03\xff\xff\xff\xff",
	    14, 1 << 20, 400, "bad_gzip", "Content-Encoding",
	    "a corrupt deflate block");

	/* A bomb: 64 MiB of zeros in about 64 KB, against a 1 MiB cap. */
	zeros = calloc(1, 1 << 20);
	gzip_append(&bomb, &bomblen, zeros, 1 << 20, 64);
	free(zeros);
	ok(bomblen < (1 << 20) / 8, "the bomb is small (%zu bytes)", bomblen);
#if TRACE_ALLOC
	peak_realloc = 0;
#endif
	refused(bomb, bomblen, 1 << 20, 413, "inflated_too_large", "body",
	    "a 1000:1 bomb");
#if TRACE_ALLOC
	ok(peak_realloc <= (1 << 20) + CHUNK_SLACK,
	    "the bomb never grew the "
	    "output past cap + one chunk (peak %zu)",
	    peak_realloc);
#else
	ok(1, "allocation peak # SKIP not traced under AddressSanitizer");
#endif
	/* The bomb under a cap larger than a member still stops at the cap. */
	refused(bomb, bomblen, 3 << 20, 413, "inflated_too_large", "body",
	    "a bomb against a 3 MiB cap");
#if TRACE_ALLOC
	ok(peak_realloc <= (3 << 20) + CHUNK_SLACK,
	    "peak %zu stays under the "
	    "cap",
	    peak_realloc);
#else
	ok(1, "allocation peak # SKIP not traced under AddressSanitizer");
#endif

	free(bomb);
	free(two);
	free(gz);
	free(text);
	return tap_done();
}
