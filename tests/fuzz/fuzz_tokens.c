/*
 * fuzz_tokens.c -- libFuzzer target for the tokens file and for the
 * Authorization header values checked against it.  The input is written
 * to a file (mode 0600) and loaded as the tokens file; the same bytes are
 * then offered as a Bearer and a Basic header.  Nothing may crash, and a
 * token the file defines must be known.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api.h"
#include "collector/auth.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Load the bytes as a tokens file, then use them as credentials. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submission sub;
	struct st_error	  e;
	struct auth	 *a;
	const char	 *path;
	char		  err[512], *header;
	size_t		  n, len;

	if (size > 65536 || (path = fuzz_scratch_write(data, size)) == NULL)
		return 0;
	err[0] = '\0';
	if ((a = auth_create(path, "admin-0123456789abcdef", "s3cret", err,
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
