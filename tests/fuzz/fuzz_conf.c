/*
 * fuzz_conf.c -- libFuzzer target for the config file: the input is
 * written to a file and loaded over the defaults, then the cross-option
 * rules and the collectd map it sets are checked.  Nothing may crash; a
 * refused file must say why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collectd.h"
#include "collector/conf.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Load the bytes as a config file and check what it sets. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collectd_map map;
	struct conf	    c;
	const char	   *path;
	char		    err[1024];

	if (size > 65536 || (path = fuzz_scratch_write(data, size)) == NULL)
		return 0;
	conf_defaults(&c);
	err[0] = '\0';
	if (conf_load_file(&c, path, err, sizeof(err)) == -1 ||
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
