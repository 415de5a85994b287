/*
 * crc32c.c -- table-driven CRC-32C, computed a byte at a time.
 *
 * Fast enough for the journal (a few hundred bytes per record); owns only
 * its table, which is filled once before any thread can ask for it.
 */
#include "crc32c.h"

#include <pthread.h>

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

/* Fill the table for the reflected polynomial 0x82F63B78. */
static void
crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78U : c >> 1;
		crc32c_table[i] = c;
	}
}

/* Extend crc over len bytes at p. */
uint32_t
crc32c(uint32_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;

	pthread_once(&crc32c_once, crc32c_init);
	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
