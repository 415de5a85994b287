/*
 * siphash.c -- SipHash-2-4, written from the description in "SipHash: a
 * fast short-input PRF" (Aumasson, Bernstein, 2012).
 *
 * Owns only the function.  Keys come from the caller (strmap draws one per
 * table from lib/random.c).  Two compression rounds and four finalisation
 * rounds, the paper's recommended parameters; tables hash short keys, so
 * the cost over SipHash-1-3 is a few nanoseconds.
 */
#include "siphash.h"

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

/* One SipRound over the four words of state. */
#define SIPROUND(v0, v1, v2, v3) \
	do { \
		v0 += v1; \
		v1 = ROTL(v1, 13); \
		v1 ^= v0; \
		v0 = ROTL(v0, 32); \
		v2 += v3; \
		v3 = ROTL(v3, 16); \
		v3 ^= v2; \
		v0 += v3; \
		v3 = ROTL(v3, 21); \
		v3 ^= v0; \
		v2 += v1; \
		v1 = ROTL(v1, 17); \
		v1 ^= v2; \
		v2 = ROTL(v2, 32); \
	} while (0)

/* The little-endian 64-bit word of the 8 bytes at p. */
static uint64_t
siphash_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* SipHash-2-4 of len bytes at p under key. */
uint64_t
siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *p, size_t len)
{
	const uint8_t *in = p, *end = in + (len - len % 8);
	uint64_t       k0 = siphash_le64(key), k1 = siphash_le64(key + 8);
	uint64_t       v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t       v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t       v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t       v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t       m;
	size_t	       i;

	for (; in != end; in += 8) {
		m = siphash_le64(in);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* The last block: the remaining bytes, and the length's low byte on top. */
	m = (uint64_t)(len & 0xff) << 56;
	for (i = 0; i < len % 8; i++)
		m |= (uint64_t)in[i] << (8 * i);
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
