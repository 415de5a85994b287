/*
 * fuzz_conf.c -- libFuzzer target for the config file: the input is
 * written to a file and loaded over the defaults, then the cross-option
 * rules and the collectd map it sets are checked.  Nothing may crash; a
 * refused file must say why.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collectd.h"
#include "collector/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[128];

/* Remove the scratch file at exit. */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

/* Load the bytes as a config file and check what it sets. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collectd_map map;
	struct conf	    c;
	char		    err[1024];
	int		    fd;

	if (size > 65536)
		return 0;
	if (fuzz_path[0] == '\0') {
		const char *dir = getenv("TMPDIR");

		snprintf(fuzz_path, sizeof(fuzz_path), "%s/spamtrend-fuzz-%d",
		    dir != NULL ? dir : "/tmp", (int)getpid());
		atexit(fuzz_cleanup);
	}
	if ((fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	conf_defaults(&c);
	err[0] = '\0';
	if (conf_load_file(&c, fuzz_path, err, sizeof(err)) == -1 ||
	    conf_finish(&c, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		goto done;
	}
	if (c.ncategories < 1 || c.ncategories > ST_MAX_CATEGORIES ||
	    c.step < 10 || c.step > 3600)
		abort();
	err[0] = '\0';
	if (collectd_map_parse(&map, c.collectd_map,
		(const char(*)[ST_CATEGORY_MAX + 1]) c.categories,
		c.ncategories, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
	} else if (map.n > COLLECTD_MAX_RULES)
		abort();
done:
	conf_clear(&c);
	return 0;
}
