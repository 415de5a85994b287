/*
 * fuzz_tokens.c -- libFuzzer target for the tokens file and for the
 * Authorization header values checked against it.  The input is written
 * to a file (mode 0600) and loaded as the tokens file; the same bytes are
 * then offered as a Bearer and a Basic header.  Nothing may crash, and a
 * token the file defines must be known.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/api.h"
#include "collector/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[128];

/* Remove the scratch file at exit. */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

/* Write the bytes to the scratch file; -1 when it cannot. */
static int
fuzz_write(const uint8_t *data, size_t size)
{
	int fd;

	if (fuzz_path[0] == '\0') {
		const char *dir = getenv("TMPDIR");

		snprintf(fuzz_path, sizeof(fuzz_path), "%s/spamtrend-fuzz-%d",
		    dir != NULL ? dir : "/tmp", (int)getpid());
		atexit(fuzz_cleanup);
	}
	if ((fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Load the bytes as a tokens file, then use them as credentials. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submission sub;
	struct st_error	  e;
	struct auth	 *a;
	char		  err[512], *header;
	size_t		  n, len;

	if (size > 65536 || fuzz_write(data, size) == -1)
		return 0;
	err[0] = '\0';
	if ((a = auth_create(fuzz_path, "admin-0123456789abcdef", "s3cret", err,
		 sizeof(err))) == NULL) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	memset(&sub, 0, sizeof(sub));
	snprintf(sub.source, sizeof(sub.source), "mx1.example.com");
	if ((header = malloc(size + 1)) == NULL)
		abort();
	memcpy(header, data, size);
	header[size] = '\0';
	/* The first word of the first line is a token the file defines. */
	n = strspn(header, " \t\r\n");
	len = strcspn(header + n, " \t\r\n");
	if (strlen(header) == size && len >= 16 && len < 300 &&
	    header[n] != '#') {
		char bearer[320];

		snprintf(bearer, sizeof(bearer), "Bearer %.*s", (int)len,
		    header + n);
		if (auth_reporter(a, bearer, 0, NULL, 0, &e) == -1)
			abort();
	}
	if (auth_reporter(a, header, 0, &sub, 1, &e) == -1 &&
	    api_error_status(e.kind) != 401 && api_error_status(e.kind) != 403)
		abort();
	/* The admin token is a fixed string: only a header holding it passes. */
	if (auth_admin(a, header, &e) == 0 &&
	    strstr(header, "admin-0123456789abcdef") == NULL)
		abort();
	if (auth_reader(a, header, &e) == -1 && e.kind != ERR_UNAUTHENTICATED)
		abort();
	free(header);
	auth_free(a);
	return 0;
}
