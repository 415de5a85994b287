/*
 * crc32c.c -- CRC-32C with the processor's crc32 instruction where x86-64
 * has SSE 4.2, and a table a byte at a time elsewhere.
 *
 * Owns only its table, which is filled once before any thread can ask for
 * it.  Both ways give the same checksums (the unit tests compare them).
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

static uint32_t	      crc32c_table[256];
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

/* The portable way: one table look-up per byte. */
uint32_t
crc32c_sw(uint32_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;

	pthread_once(&crc32c_once, crc32c_init);
	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* Eight bytes per instruction with SSE 4.2's crc32. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t	     c = ~crc & 0xffffffffU, w;

	while (len >= 8) {
		memcpy(&w, b, 8);
		c = __builtin_ia32_crc32di(c, w);
		b += 8;
		len -= 8;
	}
	while (len-- > 0)
		c = __builtin_ia32_crc32qi((uint32_t)c, *b++);
	return ~(uint32_t)c;
}
#endif

/* Extend crc over len bytes at p. */
uint32_t
crc32c(uint32_t crc, const void *p, size_t len)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_hw(crc, p, len);
#endif
	return crc32c_sw(crc, p, len);
}
