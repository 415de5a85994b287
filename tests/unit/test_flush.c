/*
 * test_flush -- the writer stopped while its state file cannot be saved:
 * the cycle it could not record is given up whole, and no later save may
 * record it as done (its counts must come back from the journal at the
 * next start).
 *
 * The disk "has room again" during the stop's last store sync: this test
 * provides syncfs(2) itself, which removes what blocked the state file
 * before the real call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collector/checkpoint.h"
#include "collector/flush.h"
#include "collector/replay.h"
#include "rrd/store.h"
#include "tap.h"

#define S0 1226448000LL /* a multiple of 60 */

static const char *unblock; /* removed at the next syncfs */

int
syncfs(int fd)
{
	if (unblock != NULL)
		rmdir(unblock);
	return (int)syscall(SYS_syncfs, fd);
}

static const char cats[2][ST_CATEGORY_MAX + 1] = {"spam", "ham"};

int
main(void)
{
	char		      dir[] = "/tmp/spamtrend-flush-XXXXXX", err[256];
	char		      state[300], tmp[310], cmd[400];
	struct store_settings ss;
	struct store	     *st;
	struct flush_settings fs;
	struct ckpt_state     s, r;
	struct agg_batch      b;
	struct flush	     *f;
	struct store_file     sf;

	plan(2);
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp");
	memset(&ss, 0, sizeof(ss));
	ss.data_dir = dir;
	ss.step = 60;
	ss.categories = cats;
	ss.ncategories = 2;
	if ((st = store_create(&ss, err, sizeof(err))) == NULL)
		BAIL_OUT("%s", err);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", state);
	/* The state file cannot be replaced (EISDIR), as on a full disk. */
	if (mkdir(tmp, 0700) == -1)
		BAIL_OUT("mkdir");
	checkpoint_init(&s);
	memset(&fs, 0, sizeof(fs));
	fs.store = st;
	fs.state_path = state;
	fs.ncategories = 2;
	fs.step = 60;
	fs.sync_every = 30;
	fs.keep = 86400;
	f = flush_create(&fs, &s);

	/* Records up to journal position 1000: 42 spam at S0. */
	memset(&b, 0, sizeof(b));
	b.n = 1;
	if ((b.targets = calloc(1, sizeof(*b.targets))) == NULL ||
	    (b.targets[0].name = strdup("mx1.example.com")) == NULL ||
	    (b.targets[0].pts = calloc(1, sizeof(struct store_point))) == NULL)
		BAIL_OUT("calloc");
	b.targets[0].n = 1;
	b.targets[0].pts[0].step = S0;
	b.targets[0].pts[0].counts[0] = 42;
	b.targets[0].pts[0].cover = 60;
	flush_push(f, 1000, S0, &b);
	sleep(1); /* the writer tries to record the cycle, and waits */
	unblock = tmp;
	flush_free(f); /* a stop */
	rmdir(tmp);

	checkpoint_init(&r);
	if (checkpoint_load(state, 2, &r, err, sizeof(err)) == -1)
		BAIL_OUT("%s", err);
	store_info(st, "mx1.example.com", &sf, err, sizeof(err));
	ok(!sf.exists, "the cycle that could not be recorded changed no file");
	ok(r.done_pos < 1000 &&
		replay_skip(&r, 900, "mx1.example.com", S0, sf.last, sf.gen) ==
		    0,
	    "and is not recorded as done: replay adds its counts (done at "
	    "%llu)",
	    (unsigned long long)r.done_pos);
	checkpoint_clear(&r);
	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return tap_done();
}
