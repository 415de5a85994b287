/*
 * random.c -- the kernel's random bytes (see random.h).
 *
 * Owns nothing but the fallback path; it keeps no state and no generator
 * of its own.
 */
#include "random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

/* Fill buf from /dev/urandom; -1 when it cannot. */
static int
random_urandom(unsigned char *buf, size_t len)
{
	ssize_t n;
	int	fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len > 0) {
		if ((n = read(fd, buf, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
}

/* Fill buf with len secret random bytes; aborts without a random source. */
void
random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t	       n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS && random_urandom(p, len) == 0)
				return;
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
}
