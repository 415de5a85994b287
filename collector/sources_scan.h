/*
 * sources_scan.h -- reading the RRD files into the index of sources, a few
 * at a time, on the writer's thread when it has nothing to write.
 *
 * One sweep lists the data directory, names every source in the index at
 * once, then reads each file's last update, first step with data and the
 * hourly sums of its last SOURCES_HOURS hours.  The first sweep makes the
 * index ready; with rescan > 0 (collectors sharing a directory, where the
 * others write files too) a new sweep starts rescan seconds after the last
 * one ended.  Not thread-safe: the writer's own.
 */
#ifndef ST_SOURCES_SCAN_H
#define ST_SOURCES_SCAN_H

struct sources;
struct store;
struct sources_scan;

struct sources_scan *sources_scan_create(
    struct sources *s, struct store *st, unsigned ncategories, unsigned rescan);
void sources_scan_free(struct sources_scan *sc);

/*
 * Read files for about budget seconds.  Returns 0 when there is more to
 * read, or the number of seconds (monotonic, at least 1) until there is.
 */
double sources_scan_run(struct sources_scan *sc, double budget);

#endif
