/*
 * test_replay.c -- the writer's state file (checkpoint.c) and the rules by
 * which replay decides, share by share, what the RRD files already hold
 * (replay.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/checkpoint.h"
#include "collector/replay.h"
#include "tap.h"

#define S 1226448000LL /* a step label */

/* Write text to path. */
static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		exit(1);
	fputs(text, fp);
	fclose(fp);
}

int
main(void)
{
	char		   dir[] = "/tmp/spamtrend-replay-XXXXXX", path[128];
	char		   err[512];
	struct ckpt_state  s, r;
	struct ckpt_patch  p[2];
	struct ckpt_parked pk[2];

	plan(27);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state", dir);

	/* The state file. */
	ok(checkpoint_load(path, 4, &s, err, sizeof(err)) == 0 && s.done == 0 &&
		s.ncycles == 0 && s.nparked == 0 && !s.legacy,
	    "a missing state file is the empty state");
	checkpoint_clear(&s);
	checkpoint_init(&s);
	s.done = 7;
	s.done_pos = 100;
	s.done_step = S;
	memset(p, 0, sizeof(p));
	snprintf(p[0].name, sizeof(p[0].name), "_total");
	p[0].inode = 42;
	p[0].last = S + 60;
	snprintf(p[1].name, sizeof(p[1].name), "mx1.example.com");
	p[1].inode = 43;
	p[1].last = S;
	checkpoint_begin(&s, 8, 150, S + 60, p, 2);
	checkpoint_begin(&s, 9, 180, S + 120, NULL, 0);
	memset(pk, 0, sizeof(pk));
	snprintf(pk[0].name, sizeof(pk[0].name), "bad.example.com");
	pk[0].pt.step = S;
	pk[0].pt.counts[0] = 5;
	pk[0].pt.counts[3] = 1000000000000ULL;
	pk[0].pt.cover = 60;
	checkpoint_park(&s, pk, 1, 8);
	ok(checkpoint_save(path, 4, &s, err, sizeof(err)) == 0, "saved (%s)",
	    err);
	ok(checkpoint_load(path, 4, &r, err, sizeof(err)) == 0,
	    "read back (%s)", err);
	ok(r.done == 7 && r.done_pos == 100 && r.done_step == S &&
		r.ncycles == 2 && r.cycles[0].cycle == 8 &&
		r.cycles[0].pos == 150 && r.cycles[0].npatches == 2 &&
		r.cycles[0].patches[0].inode == 42 &&
		strcmp(r.cycles[0].patches[1].name, "mx1.example.com") == 0 &&
		r.cycles[0].patches[1].last == S && r.cycles[1].npatches == 0,
	    "the done cycle and the begun ones with their patches come back");
	ok(r.parked_through == 8 && r.nparked == 1 &&
		r.parked[0].pt.counts[3] == 1000000000000ULL &&
		r.parked[0].pt.cover == 60 &&
		strcmp(r.parked[0].name, "bad.example.com") == 0,
	    "parked points come back exactly");
	checkpoint_done(&r);
	ok(r.done == 9 && r.done_pos == 180 && r.done_step == S + 120 &&
		r.ncycles == 0,
	    "marking done takes the newest begun cycle");
	checkpoint_clear(&r);

	put(path, "watermark 1226448060\n");
	ok(checkpoint_load(path, 4, &r, err, sizeof(err)) == 0 && r.legacy &&
		r.done_step == 1226448060,
	    "the earlier state file is read as legacy");
	checkpoint_clear(&r);
	put(path, "spamtrend-state 2\ndone 1 2 3\npatch 1 2 mx1.example.com\n");
	ok(checkpoint_load(path, 4, &r, err, sizeof(err)) == -1 &&
		strstr(err, "line 3") != NULL,
	    "a patch line outside a cycle is refused, naming the line (%s)",
	    err);
	put(path, "spamtrend-state 2\nparked 1 60 1 2 3 ../etc/passwd\n");
	ok(checkpoint_load(path, 4, &r, err, sizeof(err)) == -1,
	    "a parked point with a bad file name is refused");
	put(path, "spamtrend-state 2\ndone x 2 3\n");
	ok(checkpoint_load(path, 4, &r, err, sizeof(err)) == -1,
	    "a bad number is refused");
	put(path, "something else\n");
	ok(checkpoint_load(path, 4, &r, err, sizeof(err)) == -1,
	    "a foreign file is refused");

	/*
	 * The rules.  s: done through (pos 100, step S); cycle 8 took up to
	 * (150, S + 60) and patched _total (inode 42, last S + 60) and mx1
	 * (inode 43, last S); cycle 9 took up to (180, S + 120); a point of
	 * bad at S is parked, saved after cycle 8.
	 */
	ok(replay_skip(&s, 90, "mx2.example.com", S, 0, 0),
	    "a share within the done cycle is in the file");
	ok(!replay_skip(&s, 90, "mx2.example.com", S + 180, S + 240, 9),
	    "a share of a step no cycle took is added back, whatever the file");
	ok(replay_skip(&s, 120, "mx2.example.com", S + 60, S + 60, 9),
	    "appended by a begun cycle: in the file when its last update "
	    "reached it");
	ok(!replay_skip(&s, 120, "mx2.example.com", S + 60, S, 9),
	    "appended by a begun cycle that did not get that far: added back");
	ok(replay_skip(&s, 120, "_total", S + 60, S + 60, 77),
	    "patched by a begun cycle and the file replaced: in the file");
	ok(!replay_skip(&s, 120, "_total", S + 60, S + 60, 42),
	    "patched by a begun cycle, the file still the old one: added back");
	ok(replay_skip(&s, 120, "mx1.example.com", S + 60, S + 60, 43),
	    "a step after a patched file's old last update was appended, not "
	    "patched: judged by the last update");
	ok(!replay_skip(&s, 190, "_total", S + 60, S + 120, 77),
	    "a record after every begun cycle's position is added back");
	ok(replay_skip(&s, 170, "mx2.example.com", S + 120, S + 120, 9),
	    "the second begun cycle is judged by its own position and step");
	ok(replay_skip(&s, 120, "bad.example.com", S, 0, 0),
	    "a parked share saved after its cycle waits in the state, not the "
	    "journal");
	ok(!replay_skip(&s, 170, "bad.example.com", S + 120, 0, 0),
	    "a share of the parked file from a later cycle is added back");

	ok(!replay_parked_written(&s, &s.parked[0], 0, 0),
	    "a parked point the next cycle could not write stays parked");
	ok(replay_parked_written(&s, &s.parked[0], S, 5),
	    "a parked point that cycle appended is written");
	s.cycles[1].patches = p;
	s.cycles[1].npatches = 1;
	snprintf(pk[1].name, sizeof(pk[1].name), "_total");
	pk[1].pt.step = S;
	ok(!replay_parked_written(&s, &pk[1], S + 60, 42),
	    "a parked point of a file patched in place of the old one: kept");
	s.cycles[1].patches = NULL;
	s.cycles[1].npatches = 0;

	s.legacy = 1;
	ok(replay_skip(&s, 999, "mx2.example.com", S, S, 0) &&
		!replay_skip(&s, 1, "mx2.example.com", S + 60, S, 0),
	    "legacy: the file's last update decides, as before");
	s.legacy = 0;
	checkpoint_clear(&s);
	checkpoint_init(&s);
	ok(!replay_skip(&s, 1, "mx2.example.com", S, S + 600, 1),
	    "with no state at all, everything in the journal is added back");

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cleanup failed");
	return tap_done();
}
