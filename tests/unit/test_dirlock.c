/*
 * test_dirlock.c -- the data directory's lock: created with the directory,
 * exclusive, given back on release, never taken through a symbolic link.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dirlock.h"
#include "tap.h"

int
main(void)
{
	char		tmp[] = "/tmp/spamtrend-dirlock-XXXXXX";
	char		dir[PATH_MAX], path[PATH_MAX];
	struct st_error e;
	struct stat	sb;
	int		a, b;

	plan(6);
	if (mkdtemp(tmp) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	a = dirlock_take(dir, &e);
	ok(a >= 0 && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		(sb.st_mode & 0777) == 0750,
	    "the directory is created (0750) and locked");
	memset(&e, 0, sizeof(e));
	b = dirlock_take(dir, &e);
	ok(b == -1 && e.kind == ERR_CONFLICT &&
		strcmp(e.code, "data_dir_in_use") == 0 &&
		strstr(e.detail, "in use") != NULL,
	    "a second taker is refused while the lock is held");
	dirlock_release(a);
	b = dirlock_take(dir, &e);
	ok(b >= 0, "the lock can be taken again once released");
	dirlock_release(b);

	snprintf(path, sizeof(path), "%s/.lock", dir);
	unlink(path);
	snprintf(dir, sizeof(dir), "%s/elsewhere", tmp);
	ok(symlink(dir, path) == 0, "plant a symbolic link as the lock file");
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	memset(&e, 0, sizeof(e));
	ok(dirlock_take(dir, &e) == -1 && e.kind == ERR_INTERNAL,
	    "the lock file is not followed through a symbolic link");
	snprintf(dir, sizeof(dir), "%s/elsewhere", tmp);
	ok(access(dir, F_OK) == -1, "nothing was created at the link's target");

	unlink(path);
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	rmdir(dir);
	rmdir(tmp);
	return tap_done();
}
