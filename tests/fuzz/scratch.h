/*
 * scratch.h -- one scratch file per fuzzing process, for targets whose
 * parser reads a file by name (the tokens file, the config file).
 */
#ifndef ST_FUZZ_SCRATCH_H
#define ST_FUZZ_SCRATCH_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_scratch_path[128];

/* Remove the scratch file at exit. */
static void
fuzz_scratch_cleanup(void)
{
	unlink(fuzz_scratch_path);
}

/*
 * Write the bytes to the scratch file (mode 0600, in $TMPDIR or /tmp) and
 * return its name, or NULL when it cannot be written.
 */
static const char *
fuzz_scratch_write(const uint8_t *data, size_t size)
{
	int fd;

	if (fuzz_scratch_path[0] == '\0') {
		const char *dir = getenv("TMPDIR");

		snprintf(fuzz_scratch_path, sizeof(fuzz_scratch_path),
		    "%s/spamtrend-fuzz-%d", dir != NULL ? dir : "/tmp",
		    (int)getpid());
		atexit(fuzz_scratch_cleanup);
	}
	if ((fd = open(
		 fuzz_scratch_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return NULL;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return NULL;
	}
	close(fd);
	return fuzz_scratch_path;
}

#endif
