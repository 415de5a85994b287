/*
 * fuzz_journal.c -- libFuzzer target for journal record decoding: arbitrary
 * bytes are read as the records of a segment.
 *
 * The first input byte is a mode: when its low bit is set, every frame's
 * CRC-32C is recomputed before decoding, so the fuzzer reaches the record
 * fields behind the checksum instead of stopping at it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crc32c.h"
#include "collector/journal.h"

#define FUZZ_NCAT 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read a little-endian 32-bit value, as the journal frames store them. */
static uint32_t
fuzz_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Recompute the checksum of each whole frame (magic, length, CRC, payload). */
static void
fuzz_fix_crcs(unsigned char *buf, size_t len)
{
	size_t	 off = 0, n;
	uint32_t crc;

	while (len - off >= 12) {
		n = fuzz_get32(buf + off + 4);
		if (n > len - off - 12)
			break;
		crc = crc32c(0, buf + off + 12, n);
		buf[off + 8] = (unsigned char)crc;
		buf[off + 9] = (unsigned char)(crc >> 8);
		buf[off + 10] = (unsigned char)(crc >> 16);
		buf[off + 11] = (unsigned char)(crc >> 24);
		off += 12 + n;
	}
}

/* Abort unless a and b hold the same record. */
static void
fuzz_same(const struct journal_record *a, const struct journal_record *b)
{
	unsigned i;

	if (a->received != b->received || a->sub.time != b->sub.time ||
	    a->sub.interval != b->sub.interval || a->sub.hash != b->sub.hash ||
	    strcmp(a->sub.source, b->sub.source) != 0 ||
	    strcmp(a->sub.id, b->sub.id) != 0)
		abort();
	for (i = 0; i < FUZZ_NCAT; i++)
		if (a->sub.counts[i] != b->sub.counts[i])
			abort();
}

/* Decode records until the bytes end or stop making sense. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	     *buf, enc[JOURNAL_RECORD_MAX];
	struct journal_record r, again;
	size_t		      len, off = 0, used, elen, used2;
	int		      rc;

	if (size < 1)
		return 0;
	len = size - 1;
	if ((buf = malloc(len + 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	if (data[0] & 1)
		fuzz_fix_crcs(buf, len);
	while (off < len) {
		used = 0;
		rc = journal_decode(buf + off, len - off, FUZZ_NCAT, &r, &used);
		if (rc != 1)
			break;
		if (used == 0 || used > len - off ||
		    strlen(r.sub.source) > ST_SOURCE_MAX ||
		    strlen(r.sub.id) > ST_KEY_MAX)
			abort();
		/* What decodes must encode and decode to the same record. */
		elen = journal_encode(&r, FUZZ_NCAT, enc);
		if (elen == 0 || elen > JOURNAL_RECORD_MAX)
			abort();
		if (journal_decode(enc, elen, FUZZ_NCAT, &again, &used2) != 1 ||
		    used2 != elen)
			abort();
		fuzz_same(&r, &again);
		/* Any proper prefix of a record is incomplete or invalid. */
		if (journal_decode(enc, elen - 1, FUZZ_NCAT, &again, &used2) ==
		    1)
			abort();
		off += used;
	}
	free(buf);
	return 0;
}
