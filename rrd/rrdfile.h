/*
 * rrdfile.h -- the RRD file format as bytes: where a file's rows and
 * consolidation state lie, and adding counts to a primary data point that
 * librrd has already consolidated.
 *
 * librrd only appends: an update before a file's last update is refused.  A
 * count that arrives after its step was written is therefore added here,
 * directly to the image of the file, in every archive that holds the step:
 * the finest row, each coarser row that has consolidated it (or the
 * consolidation still in progress), AVERAGE and MAX alike.  The result is
 * the file librrd would have written had the count been there in time.
 *
 * Pure: works on a memory image of a whole file (rrd/store_patch.c reads it,
 * writes the patched copy and renames it into place).  Only files of this
 * machine's byte order and word size, as librrd writes them.
 */
#ifndef ST_RRDFILE_H
#define ST_RRDFILE_H

#include <stddef.h>
#include <stdint.h>

#define RRDFILE_MAX_DS	32
#define RRDFILE_MAX_RRA 16

enum rrdfile_cf { RRDFILE_AVERAGE, RRDFILE_MAX, RRDFILE_OTHER };

/* Where the parts of one file lie (byte offsets into its image). */
struct rrdfile_layout {
	unsigned ds_cnt;
	unsigned rra_cnt;
	unsigned step;
	int64_t	 last_up;
	size_t	 live_off; /* live_head */
	size_t	 pdp_off;  /* pdp_prep[ds_cnt] */
	size_t	 cdp_off;  /* cdp_prep[rra_cnt][ds_cnt] */
	size_t	 data_off; /* the first row of the first archive */
	size_t	 cdp_size;
	size_t	 size; /* the whole file */
	char	 ds_names[RRDFILE_MAX_DS][20];
	struct {
		enum rrdfile_cf cf;
		unsigned	pdp;  /* steps per row */
		unsigned	rows; /* row count */
		unsigned	cur;  /* the row written last */
		size_t		data_off;
	} rra[RRDFILE_MAX_RRA];
};

/*
 * Read the layout of the file image buf[0..len).  Returns 0, or -1 with err
 * filled when it is not an RRD file of this machine's format or its size
 * does not match its header.
 */
int rrdfile_parse(const unsigned char *buf, size_t len,
    struct rrdfile_layout *l, char *err, size_t errlen);

/* The index of data source name in l, or -1. */
int rrdfile_ds_index(const struct rrdfile_layout *l, const char *name);

/*
 * Add delta[d] (a rate, the count divided by the step; one per data source
 * of the file, 0 for none) to the primary data point that ends at step_end,
 * which must be a multiple of the step, at or before the file's last update
 * and still inside the finest (one step per row) archive.  A point that was
 * unknown becomes known.  Returns 0, or -1 with err filled (nothing is
 * changed then).  *inexact is set to 1 when a coarse row that consolidated
 * unknown points had to be left as it was (files written before gaps were
 * stored as zeros).
 */
int rrdfile_patch(unsigned char *buf, const struct rrdfile_layout *l,
    int64_t step_end, const double *delta, int *inexact, char *err,
    size_t errlen);

/*
 * How many times the file was patched: kept in the static header's first
 * unused parameter (librrd never writes it after creation), so it moves
 * with the file's content and a replaced file is told from its old self
 * even when the file system hands out the same inode again.  Pure.
 */
uint64_t rrdfile_generation(const unsigned char *buf, size_t len);
void	 rrdfile_set_generation(unsigned char *buf, uint64_t gen);

/*
 * The header of a new file of the same layout as the image tmpl (described
 * by tl; a file librrd created) whose last update is start, a multiple of
 * the step: tl->data_off bytes into hdr (at least that long).  Every
 * consolidation starts empty and every row is to be zero: the file is the
 * header followed by tl->size - tl->data_off zero bytes, which a file
 * system keeps as a hole until a row is written.  Zero rows are known
 * zeros, which is how this collector stores "nothing reported" (with zero
 * coverage), so a new file costs a few kilobytes instead of every row, and
 * a late count for a step before the file's start still finds a known row.
 * Returns 0, or -1 with err filled.  Pure.
 */
int rrdfile_header(const unsigned char *tmpl, const struct rrdfile_layout *tl,
    int64_t start, unsigned char *hdr, char *err, size_t errlen);

#endif
