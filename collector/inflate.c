/*
 * inflate.c -- gunzip of request bodies with a hard cap on the output.
 *
 * The only module that includes <zlib.h>.  It owns the decoded buffer until
 * it hands it to the caller; it knows nothing of HTTP or JSON.
 */
#include "inflate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define INFLATE_CHUNK 16384 /* first allocation and smallest growth */

/*
 * Make room for at least one more byte after used, doubling but never past
 * cap + 1 bytes: one byte over the cap is how an oversized stream shows.
 */
static int
inflate_grow(char **buf, size_t *size, size_t used, size_t cap)
{
	size_t want;
	char  *p;

	if (used < *size)
		return 0;
	want = *size < INFLATE_CHUNK ? INFLATE_CHUNK : *size * 2;
	if (want > cap + 1 || want < *size)
		want = cap + 1;
	if ((p = realloc(*buf, want)) == NULL)
		return -1;
	*buf = p;
	*size = want;
	return 0;
}

/* Inflate gzip members from in into a capped, NUL-terminated buffer. */
int
inflate_gzip(const void *in, size_t inlen, size_t cap, char **out,
    size_t *outlen, struct st_error *e)
{
	z_stream zs;
	char	*buf = NULL;
	size_t	 size = 0, used = 0, room;
	int	 zr, rc = -1, inited = 0;

	*out = NULL;
	*outlen = 0;
	if (cap > SIZE_MAX / 2)
		cap = SIZE_MAX / 2;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		err_set(e, ERR_INTERNAL, "internal", "body",
		    "cannot start the gzip "
		    "decoder");
		goto fail;
	}
	inited = 1;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = 0;
	if (inlen == 0) {
		err_set(e, ERR_BAD_INPUT, "bad_gzip", "Content-Encoding",
		    "empty gzip body");
		goto fail;
	}
	for (;;) {
		/* Feed at most UINT_MAX bytes at a time (avail_in is uInt). */
		if (zs.avail_in == 0 && inlen > 0) {
			zs.avail_in =
			    inlen > 0x40000000 ? 0x40000000 : (uInt)inlen;
			inlen -= zs.avail_in;
		}
		if (inflate_grow(&buf, &size, used, cap) == -1) {
			err_set(e, ERR_UNAVAILABLE, "out_of_memory", "body",
			    "cannot allocate the inflated body");
			goto fail;
		}
		room = size - used;
		zs.next_out = (Bytef *)buf + used;
		zs.avail_out = room > 0x40000000 ? 0x40000000 : (uInt)room;
		room = zs.avail_out;
		zr = inflate(&zs, Z_NO_FLUSH);
		used += room - zs.avail_out;
		if (used > cap) {
			err_set(e, ERR_TOO_LARGE, "inflated_too_large", "body",
			    "the body inflates to more than %zu bytes", cap);
			goto fail;
		}
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0 && inlen == 0)
				break;
			/* Another gzip member follows (RFC 1952, 2.2). */
			if (inflateReset(&zs) != Z_OK) {
				err_set(e, ERR_BAD_INPUT, "bad_gzip",
				    "Content-Encoding",
				    "cannot restart after a gzip member");
				goto fail;
			}
			continue;
		}
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR) {
			/* Output room is never zero here: the input ran out. */
			err_set(e, ERR_BAD_INPUT, "bad_gzip",
			    "Content-Encoding", "the gzip stream is truncated");
			goto fail;
		}
		if (zr == Z_MEM_ERROR) {
			err_set(e, ERR_UNAVAILABLE, "out_of_memory", "body",
			    "cannot allocate the gzip decoder");
			goto fail;
		}
		err_set(e, ERR_BAD_INPUT, "bad_gzip", "Content-Encoding", "%s",
		    zs.msg != NULL ? zs.msg : "invalid gzip stream");
		goto fail;
	}
	if (inflate_grow(&buf, &size, used, cap) == -1) {
		err_set(e, ERR_UNAVAILABLE, "out_of_memory", "body",
		    "cannot allocate the inflated body");
		goto fail;
	}
	buf[used] = '\0';
	*out = buf;
	*outlen = used;
	buf = NULL;
	rc = 0;
fail:
	if (inited)
		inflateEnd(&zs);
	free(buf);
	return rc;
}
