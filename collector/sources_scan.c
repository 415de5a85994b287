/*
 * sources_scan.c -- reading the RRD files into the index of sources.
 *
 * Owns one sweep's list of names and where it stands in it; reads through
 * rrd/store and rrd/export (each read takes and drops the store lock, so
 * renders and exports go between two files).
 */
#include "sources_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/clock.h"
#include "../lib/log.h"
#include "../rrd/export.h"
#include "../rrd/store.h"
#include "sources.h"

#define HOUR 3600

struct sources_scan {
	struct sources *s;
	struct store   *st;
	unsigned	ncat;
	unsigned	rescan;
	char	      **names; /* the sweep under way; NULL between sweeps */
	size_t		n, next;
	double		started, idle_until;
	int		sweeps;
};

/* Start scanning. */
struct sources_scan *
sources_scan_create(
    struct sources *s, struct store *st, unsigned ncategories, unsigned rescan)
{
	struct sources_scan *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		abort();
	sc->s = s;
	sc->st = st;
	sc->ncat = ncategories;
	sc->rescan = rescan;
	return sc;
}

/* Stop. */
void
sources_scan_free(struct sources_scan *sc)
{
	if (sc == NULL)
		return;
	store_names_free(sc->names, sc->n);
	free(sc);
}

/* Read one file into the index; a file that cannot be read is left out. */
static void
scan_one(struct sources_scan *sc, const char *name)
{
	uint64_t	  hours[SOURCES_HOURS * ST_MAX_CATEGORIES];
	unsigned	  cats[ST_MAX_CATEGORIES], c;
	struct store_file f;
	struct series	  ser;
	struct st_error	  e;
	char		  err[256];
	int64_t		  first = 0, top, bottom, v;
	size_t		  r, k, nhours = 0;

	if (store_info(sc->st, name, &f, err, sizeof(err)) == -1 || !f.exists)
		return;
	memset(hours, 0, sizeof(hours));
	for (c = 0; c < sc->ncat; c++)
		cats[c] = c;
	top = ((f.last - 1) / HOUR + 1) * HOUR; /* the hour holding last */
	bottom = top - SOURCES_HOURS * HOUR;
	if (f.last > 0 &&
	    export_fetch(sc->st, name, bottom, top, HOUR, cats, sc->ncat, 0,
		&ser, &e) == 0) {
		if (ser.step == HOUR) {
			nhours = SOURCES_HOURS;
			for (r = 0; r < ser.nrows; r++) {
				int64_t t = ser.first + (int64_t)r * HOUR;

				if (t <= bottom || t > top)
					continue;
				k = (size_t)((t - bottom) / HOUR - 1);
				for (c = 0; c < sc->ncat; c++) {
					v = ser.counts[r * ser.ncat + c];
					if (v != SERIES_UNKNOWN && v > 0)
						hours[k * sc->ncat + c] =
						    (uint64_t)v;
				}
			}
		}
		series_free(&ser);
	}
	export_first_seen(sc->st, name, &first);
	sources_learn(sc->s, name, first, f.last, bottom + HOUR, hours, nhours);
}

/* Read files for about budget seconds. */
double
sources_scan_run(struct sources_scan *sc, double budget)
{
	double t0 = clock_mono(), now;
	size_t i;

	if (sc->names == NULL) {
		if (t0 < sc->idle_until)
			return sc->idle_until - t0;
		if (store_list_sources(sc->st, &sc->names, &sc->n) == -1) {
			sc->names = NULL;
			sc->idle_until = t0 + 60;
			return 60;
		}
		for (i = 0; i < sc->n; i++)
			sources_add(sc->s, sc->names[i]);
		sources_set_state(sc->s, SOURCES_NAMED);
		sc->next = 0;
		sc->started = t0;
	}
	while (sc->next < sc->n) {
		scan_one(sc, sc->names[sc->next++]);
		if (clock_mono() - t0 >= budget)
			return 0;
	}
	now = clock_mono();
	if (sc->sweeps++ == 0) {
		sources_set_state(sc->s, SOURCES_READY);
		log_info(
		    "read %zu source files into the source index in %.1f s",
		    sc->n, now - sc->started);
	}
	store_names_free(sc->names, sc->n);
	sc->names = NULL;
	sc->n = 0;
	if (sc->rescan == 0) {
		sc->idle_until = 1e300;
		return 1e9;
	}
	sc->idle_until = now + sc->rescan;
	return sc->rescan;
}
