/*
 * test_sources.c -- the in-memory index of sources: first and last step,
 * hourly sums from writes and from what files held, filtering, and the
 * ranges it can and cannot answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources.h"
#include "rrd/store.h"
#include "tap.h"

#define H 3600LL
#define T (1796036400LL) /* an hour boundary */

/* The row called name, or NULL. */
static const struct source_row *
row(const struct source_row *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

int
main(void)
{
	struct sources		*s = sources_create(2, 60);
	struct store_point	 p[3];
	struct source_row	*v;
	const struct source_row *r;
	uint64_t		 hours[4];
	size_t			 n;
	int			 i;

	plan(16);
	memset(p, 0, sizeof(p));
	for (i = 0; i < 3; i++) {
		p[i].step = T + 60 * (i + 1);
		p[i].counts[0] = 10;
		p[i].counts[1] = 1;
		p[i].cover = 60;
	}
	sources_written(s, "mx1.example.com", p, 3, 0);
	p[0].step = T - 60;
	sources_written(s, "mx1.example.com", p, 1, 0);
	p[0].step = T + 60;
	p[0].cover = 0;
	sources_written(s, "mx2.example.org", p, 1, 0);
	ok(sources_list(s, "", T - H, T + H, &v, &n) == 0 && n == 2,
	    "two sources are listed");
	r = row(v, n, "mx1.example.com");
	ok(r != NULL && r->sums[0] == 40 && r->sums[1] == 4 &&
		r->first == T - 120 && r->last == T + 180,
	    "sums over two hours, first and last steps, a late one too");
	r = row(v, n, "mx2.example.org");
	ok(r != NULL && r->first == 0 && r->sums[0] == 10,
	    "a source that only sent zeros has no first step with data yet");
	free(v);
	ok(sources_list(s, "", T, T + H, &v, &n) == 0 &&
		row(v, n, "mx1.example.com")->sums[0] == 30,
	    "one hour's sums");
	free(v);
	ok(sources_list(s, "example.org", T - H, T + H, &v, &n) == 0 &&
		n == 1 && strcmp(v[0].name, "mx2.example.org") == 0,
	    "a text filter keeps the names that contain it");
	free(v);
	ok(sources_list(s, "", T - 1800, T + H, &v, &n) == -1 && v == NULL,
	    "a range not on hours is not the index's to answer");
	ok(sources_list(s, "", T - 27 * H, T + H, &v, &n) == -1,
	    "nor one further back than the ring");

	/* What the file holds: it replaces what was recorded. */
	hours[0] = 100;
	hours[1] = 0;
	hours[2] = 5;
	hours[3] = 0;
	sources_learn(s, "mx1.example.com", T - 20 * H, T + 180, T, hours, 2);
	sources_list(s, "", T - H, T + H, &v, &n);
	r = row(v, n, "mx1.example.com");
	ok(r != NULL && r->first == T - 20 * H && r->sums[0] == 105 &&
		r->sums[1] == 0 && r->complete,
	    "what a file holds replaces what was recorded, and makes the "
	    "hours complete");
	r = row(v, n, "mx2.example.org");
	ok(r != NULL && !r->complete,
	    "a source whose file was not read yet says its hours are not "
	    "complete");
	free(v);
	sources_written(s, "new.example.net", p, 1, 1);
	sources_list(s, "new", T - H, T + H, &v, &n);
	ok(n == 1 && v[0].complete,
	    "a source whose file this process made is complete at once");
	free(v);
	is_int(sources_count(s), 3, "three sources in the index");
	sources_written(s, "mx1.example.com", p, 1, 0);
	sources_list(s, "mx1", T - H, T + H, &v, &n);
	ok(n == 1 && v[0].sums[0] == 115,
	    "a write after the file was read adds to what it held");
	free(v);
	ok(sources_list(s, "", T - 2 * H, T + H, &v, &n) == 0 &&
		!row(v, n, "mx1.example.com")->complete,
	    "an hour before what the file was read for is not complete");
	free(v);
	sources_add(s, "named.example.net");
	sources_list(s, "", 0, 0, &v, &n);
	r = row(v, n, "named.example.net");
	ok(n == 4 && r != NULL && r->last == 0 && !r->complete &&
		row(v, n, "mx1.example.com")->last == T + 180,
	    "a name without its file read is listed, without sums");
	free(v);
	ok(sources_state(s) == SOURCES_EMPTY, "empty until the scan says");
	sources_set_state(s, SOURCES_READY);
	sources_set_state(s, SOURCES_NAMED);
	ok(sources_state(s) == SOURCES_READY, "what it knows never goes back");
	sources_free(s);
	return tap_done();
}
