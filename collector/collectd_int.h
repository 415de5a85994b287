/*
 * collectd_int.h -- what collector/collectd.c and collectd_decode.c share:
 * the values read from a body and the calls between the two.  Private to
 * those files; everything else goes through collectd.h.
 */
#ifndef ST_COLLECTD_INT_H
#define ST_COLLECTD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "collectd.h"

/* One mapped data source value, read from the body. */
struct cd_sample {
	char		   host[ST_SOURCE_MAX + 1];	  /* normalised */
	char		   id[4 * COLLECTD_NAME_MAX + 8]; /* state key */
	unsigned	   category;
	enum collectd_kind kind;
	double		   time;
	double		   interval;
	int		   known;     /* 0: "U" or null */
	int		   negative;  /* the number was below zero */
	int		   decimal;   /* written with a point or exponent */
	uint64_t	   u;	      /* counter, derive (as read) */
	double		   g;	      /* gauge, absolute */
	size_t		   sub;	      /* index of its submission */
	char		   field[32]; /* where the body holds it */
};

/* A body being read: the samples found so far and the tallies. */
struct cd_parse {
	const struct collectd_map *map;
	struct cd_sample	  *samples;
	size_t			   n;
	size_t			   cap;
	struct collectd_result	  *res;
	struct st_error		  *e;
	int64_t			   now;
};

/* The names of one value list, as read. */
struct cd_names {
	const char *host;
	const char *plugin;
	const char *plugin_instance;
	const char *type;
	const char *type_instance;
};

/* collectd.c: the kind a name (len bytes at name) stands for, or -1. */
int collectd_kind_of(const char *name, size_t len);

/*
 * collectd.c: record one value v of a value list (names nm, nvalues data
 * sources, dsname its own), sent as kind sent at time with interval;
 * field says where the body holds it.  Unmapped values are only tallied.
 * Returns 0, or -1 with cp->e filled (bad host, too many values).
 */
int collectd_add(struct cd_parse *cp, const struct cd_names *nm,
    const char *dsname, size_t nvalues, enum collectd_kind sent, double time,
    double interval, const struct cd_sample *v, const char *field);

/*
 * collectd_decode.c: read body[0..len), a JSON array of value lists (or
 * one), into cp.  -1 with cp->e filled ("bad_json", or what collectd_add
 * refused).
 */
int collectd_decode_json(struct cd_parse *cp, const char *body, size_t len);

/*
 * collectd_decode.c: read body[0..len), PUTVAL lines, into cp.  -1 with
 * cp->e filled ("bad_command", or what collectd_add refused).
 */
int collectd_decode_putval(struct cd_parse *cp, const char *body, size_t len);

#endif
