/*
 * checkpoint.c -- the state file of the writer: parsing, formatting and
 * replacing it.  Owns no policy; flush.c decides what goes in and replay.c
 * what it means.
 *
 *	spamtrend-state 2
 *	done CYCLE POS STEP
 *	cycle CYCLE POS STEP
 *	patch INODE LAST NAME		(belongs to the cycle line above)
 *	parked-through CYCLE
 *	parked STEP COVER COUNT... NAME
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/source.h"

/* Empty state. */
void
checkpoint_init(struct ckpt_state *s)
{
	memset(s, 0, sizeof(*s));
	s->done_step = INT64_MIN;
}

/* Free what s holds. */
void
checkpoint_clear(struct ckpt_state *s)
{
	size_t i;

	for (i = 0; i < s->ncycles; i++)
		free(s->cycles[i].patches);
	free(s->cycles);
	free(s->parked);
	checkpoint_init(s);
}

/* Append a begun cycle. */
void
checkpoint_begin(struct ckpt_state *s, uint64_t cycle, uint64_t pos,
    int64_t step, const struct ckpt_patch *patches, size_t npatches)
{
	struct ckpt_cycle *c;

	s->cycles = reallocarray(s->cycles, s->ncycles + 1, sizeof(*s->cycles));
	if (s->cycles == NULL)
		abort();
	c = &s->cycles[s->ncycles++];
	memset(c, 0, sizeof(*c));
	c->cycle = cycle;
	c->pos = pos;
	c->step = step;
	if (npatches > 0) {
		if ((c->patches = calloc(npatches, sizeof(*c->patches))) ==
		    NULL)
			abort();
		memcpy(c->patches, patches, npatches * sizeof(*patches));
		c->npatches = npatches;
	}
}

/* Forget the newest begun cycle; see checkpoint.h. */
void
checkpoint_unbegin(struct ckpt_state *s)
{
	if (s->ncycles == 0)
		return;
	s->ncycles--;
	free(s->cycles[s->ncycles].patches);
	s->cycles[s->ncycles].patches = NULL;
}

/* Every begun cycle is on disk. */
void
checkpoint_done(struct ckpt_state *s)
{
	size_t i;

	if (s->ncycles > 0) {
		s->done = s->cycles[s->ncycles - 1].cycle;
		s->done_pos = s->cycles[s->ncycles - 1].pos;
		s->done_step = s->cycles[s->ncycles - 1].step;
	}
	for (i = 0; i < s->ncycles; i++)
		free(s->cycles[i].patches);
	free(s->cycles);
	s->cycles = NULL;
	s->ncycles = 0;
	s->legacy = 0;
}

/* Replace the parked points. */
void
checkpoint_park(struct ckpt_state *s, const struct ckpt_parked *p, size_t n,
    uint64_t through)
{
	free(s->parked);
	s->parked = NULL;
	s->nparked = 0;
	s->parked_through = through;
	if (n == 0)
		return;
	if ((s->parked = calloc(n, sizeof(*s->parked))) == NULL)
		abort();
	memcpy(s->parked, p, n * sizeof(*p));
	s->nparked = n;
}

/* Read one unsigned decimal field; advances *p.  0 or -1. */
static int
checkpoint_u64(char **p, uint64_t *v)
{
	char		  *end;
	unsigned long long x;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	x = strtoull(*p, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\0'))
		return -1;
	*v = x;
	*p = end;
	return 0;
}

/* Read one signed decimal field; advances *p.  0 or -1. */
static int
checkpoint_i64(char **p, int64_t *v)
{
	char	 *end;
	long long x;

	while (**p == ' ')
		(*p)++;
	errno = 0;
	x = strtoll(*p, &end, 10);
	if (errno != 0 || end == *p || (*end != ' ' && *end != '\0'))
		return -1;
	*v = x;
	*p = end;
	return 0;
}

/* Read the last field, a file name, into name; 0 or -1. */
static int
checkpoint_name(char *p, char *name, size_t len)
{
	while (*p == ' ')
		p++;
	if (strlen(p) >= len || !source_is_valid_name(p))
		return -1;
	snprintf(name, len, "%s", p);
	return 0;
}

/* Parse one line into s; 0 or -1. */
static int
checkpoint_line(char *line, unsigned ncat, struct ckpt_state *s)
{
	char	*p;
	uint64_t cycle, pos, v;
	int64_t	 step;
	unsigned c;

	if (strncmp(line, "done ", 5) == 0) {
		p = line + 5;
		return checkpoint_u64(&p, &s->done) == -1 ||
			checkpoint_u64(&p, &s->done_pos) == -1 ||
			checkpoint_i64(&p, &s->done_step) == -1 || *p != '\0'
		    ? -1
		    : 0;
	}
	if (strncmp(line, "cycle ", 6) == 0) {
		p = line + 6;
		if (checkpoint_u64(&p, &cycle) == -1 ||
		    checkpoint_u64(&p, &pos) == -1 ||
		    checkpoint_i64(&p, &step) == -1 || *p != '\0')
			return -1;
		checkpoint_begin(s, cycle, pos, step, NULL, 0);
		return 0;
	}
	if (strncmp(line, "patch ", 6) == 0) {
		struct ckpt_cycle *cy;
		struct ckpt_patch  pt;

		if (s->ncycles == 0)
			return -1;
		memset(&pt, 0, sizeof(pt));
		p = line + 6;
		if (checkpoint_u64(&p, &pt.gen) == -1 ||
		    checkpoint_i64(&p, &pt.last) == -1 ||
		    checkpoint_name(p, pt.name, sizeof(pt.name)) == -1)
			return -1;
		cy = &s->cycles[s->ncycles - 1];
		cy->patches = reallocarray(
		    cy->patches, cy->npatches + 1, sizeof(*cy->patches));
		if (cy->patches == NULL)
			abort();
		cy->patches[cy->npatches++] = pt;
		return 0;
	}
	if (strncmp(line, "parked-through ", 15) == 0) {
		p = line + 15;
		return checkpoint_u64(&p, &s->parked_through) == -1 ||
			*p != '\0'
		    ? -1
		    : 0;
	}
	if (strncmp(line, "parked ", 7) == 0) {
		struct ckpt_parked pk;

		memset(&pk, 0, sizeof(pk));
		p = line + 7;
		if (checkpoint_i64(&p, &pk.pt.step) == -1 ||
		    checkpoint_u64(&p, &pk.pt.cover) == -1)
			return -1;
		for (c = 0; c < ncat; c++) {
			if (checkpoint_u64(&p, &v) == -1)
				return -1;
			pk.pt.counts[c] = v;
		}
		if (checkpoint_name(p, pk.name, sizeof(pk.name)) == -1)
			return -1;
		s->parked =
		    reallocarray(s->parked, s->nparked + 1, sizeof(*s->parked));
		if (s->parked == NULL)
			abort();
		s->parked[s->nparked++] = pk;
		return 0;
	}
	return -1;
}

/* Read the state file. */
int
checkpoint_load(const char *path, unsigned ncat, struct ckpt_state *s,
    char *err, size_t errlen)
{
	FILE	 *fp;
	char	 *line = NULL;
	size_t	  cap = 0;
	ssize_t	  n;
	long long w;
	unsigned  lineno = 0;
	int	  rc = 0;

	checkpoint_init(s);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (lineno == 1) {
			if (sscanf(line, "watermark %lld", &w) == 1) {
				/* The earlier kind: written at a clean stop. */
				s->legacy = 1;
				s->done_step = w;
				break;
			}
			if (strcmp(line, "spamtrend-state 2") != 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (checkpoint_line(line, ncat, s) == -1) {
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(fp);
	if (rc == -1) {
		snprintf(err, errlen,
		    "%s: line %u cannot be read; it records which late counts "
		    "the RRD files already hold, so the collector will not "
		    "start without it",
		    path, lineno);
		checkpoint_clear(s);
	}
	return rc;
}

/* Write the state file durably. */
int
checkpoint_save(const char *path, unsigned ncat, const struct ckpt_state *s,
    char *err, size_t errlen)
{
	char	 tmp[4200], dir[4200], *slash;
	FILE	*fp;
	size_t	 i, k;
	unsigned c;
	int	 fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(fp, "spamtrend-state 2\n");
	fprintf(fp, "done %" PRIu64 " %" PRIu64 " %" PRId64 "\n", s->done,
	    s->done_pos, s->done_step);
	for (i = 0; i < s->ncycles; i++) {
		const struct ckpt_cycle *cy = &s->cycles[i];

		fprintf(fp, "cycle %" PRIu64 " %" PRIu64 " %" PRId64 "\n",
		    cy->cycle, cy->pos, cy->step);
		for (k = 0; k < cy->npatches; k++)
			fprintf(fp, "patch %" PRIu64 " %" PRId64 " %s\n",
			    cy->patches[k].gen, cy->patches[k].last,
			    cy->patches[k].name);
	}
	fprintf(fp, "parked-through %" PRIu64 "\n", s->parked_through);
	for (i = 0; i < s->nparked; i++) {
		fprintf(fp, "parked %" PRId64 " %" PRIu64, s->parked[i].pt.step,
		    s->parked[i].pt.cover);
		for (c = 0; c < ncat; c++)
			fprintf(fp, " %" PRIu64, s->parked[i].pt.counts[c]);
		fprintf(fp, " %s\n", s->parked[i].name);
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	fclose(fp);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	return 0;
}
