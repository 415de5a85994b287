/*
 * test_dirlock.c -- the data directory's lock: created with the directory,
 * exclusive for a collector alone or an import, shared by the collectors of
 * a cluster (each exclusive on its own id), given back on release, never
 * taken through a symbolic link.
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
	struct dirlock	a, b, c;

	plan(10);
	if (mkdtemp(tmp) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	ok(dirlock_take(dir, NULL, &a, &e) == 0 && stat(dir, &sb) == 0 &&
		S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0750,
	    "the directory is created (0750) and locked");
	memset(&e, 0, sizeof(e));
	ok(dirlock_take(dir, NULL, &b, &e) == -1 && e.kind == ERR_CONFLICT &&
		strcmp(e.code, "data_dir_in_use") == 0 &&
		strstr(e.detail, "in use") != NULL,
	    "a second taker is refused while the lock is held");
	ok(dirlock_take(dir, "c1", &b, &e) == -1 && e.kind == ERR_CONFLICT,
	    "so is a collector of a cluster");
	dirlock_release(&a);
	ok(dirlock_take(dir, NULL, &b, &e) == 0,
	    "the lock can be taken again once released");
	dirlock_release(&b);

	ok(dirlock_take(dir, "c1", &a, &e) == 0 &&
		dirlock_take(dir, "c2", &b, &e) == 0,
	    "two collectors of a cluster share the directory");
	ok(dirlock_take(dir, "c1", &c, &e) == -1 && e.kind == ERR_CONFLICT,
	    "a second collector with the same id is refused");
	ok(dirlock_take(dir, NULL, &c, &e) == -1 && e.kind == ERR_CONFLICT,
	    "and so is one that would run alone, or an import");
	dirlock_release(&a);
	dirlock_release(&b);

	snprintf(path, sizeof(path), "%s/.lock", dir);
	unlink(path);
	snprintf(dir, sizeof(dir), "%s/elsewhere", tmp);
	ok(symlink(dir, path) == 0, "plant a symbolic link as the lock file");
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	memset(&e, 0, sizeof(e));
	ok(dirlock_take(dir, NULL, &a, &e) == -1 && e.kind == ERR_INTERNAL,
	    "the lock file is not followed through a symbolic link");
	snprintf(dir, sizeof(dir), "%s/elsewhere", tmp);
	ok(access(dir, F_OK) == -1, "nothing was created at the link's target");

	unlink(path);
	snprintf(dir, sizeof(dir), "%s/data/.lock.c1", tmp);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/data/.lock.c2", tmp);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	rmdir(dir);
	rmdir(tmp);
	return tap_done();
}
