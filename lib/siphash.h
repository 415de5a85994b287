/*
 * siphash.h -- SipHash-2-4, a keyed hash for tables of untrusted strings.
 *
 * SipHash (Aumasson and Bernstein, 2012) is a pseudo-random function of a
 * 128-bit secret key: without the key nobody can choose inputs that
 * collide, which is what an unkeyed hash such as FNV-1a allows.  Pure.
 */
#ifndef ST_SIPHASH_H
#define ST_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* SipHash-2-4 of len bytes at p under key (16 bytes). */
uint64_t siphash24(
    const uint8_t key[SIPHASH_KEY_LEN], const void *p, size_t len);

#endif
