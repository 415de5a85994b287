/*
 * random.h -- secret random bytes from the kernel, for hash keys and seeds.
 */
#ifndef ST_RANDOM_H
#define ST_RANDOM_H

#include <stddef.h>

/*
 * Fill buf with len bytes from getrandom(2) (or /dev/urandom where the
 * call does not exist).  Blocks only until the kernel's generator is first
 * seeded, at boot; aborts if no random source answers, since a guessable
 * key is worse than no start.  Thread-safe.
 */
void random_bytes(void *buf, size_t len);

#endif
