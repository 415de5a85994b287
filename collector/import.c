/*
 * import.c -- `spamtrendd import`: history from CSV files (the /export.csv
 * format) written into a data directory, all or nothing.
 *
 * Owns the subcommand (its arguments, reading the files), the spreading of
 * coarse rows over the store's steps (exactly, with step_share), the sum
 * written to _total, and the all-or-nothing dance: every file is checked
 * first, the RRD files are written as copies in a temporary directory
 * inside the data directory and renamed into place at the end.  It takes
 * the data directory's lock, so it never runs beside a daemon.  It does not
 * parse the CSV text (import_csv.c does) nor talk to librrd (rrd/store
 * does).
 *
 * _total: for each step after _total's last update, the sum of the files
 * of this import is added (sources not in this import add nothing for those
 * steps, so sources covering the same times belong in one import).  Steps
 * at or before _total's last update cannot be rewritten; they are left out
 * of _total with a warning saying how many.
 */
#include "import.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../rrd/store.h"
#include "conf.h"
#include "csv.h"
#include "../lib/dirlock.h"
#include "../lib/error.h"
#include "../lib/source.h"
#include "../lib/step.h"

#define IMPORT_MAX_FILES 64
#define IMPORT_MAX_BYTES (4ULL << 30)

/* Read a whole file into a malloc'd buffer. */
static char *
import_read(const char *path, size_t *len)
{
	FILE  *fp;
	char  *buf = NULL, *nb;
	size_t cap = 0, n;

	*len = 0;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "spamtrendd import: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (*len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > IMPORT_MAX_BYTES ||
			    (nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr,
				    "spamtrendd import: %s: too "
				    "large\n",
				    path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "spamtrendd import: %s: read error\n", path);
		goto fail;
	}
	fclose(fp);
	return buf;
fail:
	fclose(fp);
	free(buf);
	return NULL;
}

/* Copy src to dst (a new file); 0 when src does not exist, 1 copied, -1 error. */
static int
import_copy(const char *src, const char *dst)
{
	char	    buf[65536];
	struct stat sb;
	ssize_t	    n, w, off;
	int	    in, out, ret = -1;

	if (lstat(src, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "spamtrendd import: %s: %s\n", src,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(
		    stderr, "spamtrendd import: %s: not a regular file\n", src);
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		fprintf(stderr, "spamtrendd import: %s: %s\n", src,
		    strerror(errno));
		return -1;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		 sb.st_mode & 0777)) == -1) {
		fprintf(stderr, "spamtrendd import: %s: %s\n", dst,
		    strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) <= 0)
				goto done;
	}
	if (n == 0)
		ret = 1;
done:
	if (ret == -1)
		fprintf(stderr, "spamtrendd import: copying %s: %s\n", src,
		    strerror(errno));
	close(in);
	close(out);
	return ret;
}

/* The row of f whose span holds step label t, or -1. */
static long
import_row_at(const struct import_file *f, int64_t t)
{
	int64_t d = t - f->first_end, k;

	if (d <= -(int64_t)f->res)
		return -1;
	k = d <= 0 ? 0 : (d + f->res - 1) / f->res;
	return k < (int64_t)f->nrows ? (long)k : -1;
}

/* The first and last step labels with known data in f; 0 when none. */
static int
import_known_span(
    const struct import_file *f, unsigned step, int64_t *lo, int64_t *hi)
{
	size_t i;
	int    any = 0;

	for (i = 0; i < f->nrows; i++) {
		if (!f->known[i])
			continue;
		if (!any)
			*lo =
			    f->first_end + (int64_t)i * f->res - f->res + step;
		*hi = f->first_end + (int64_t)i * f->res;
		any = 1;
	}
	return any;
}

/* Path of name.rrd in dir; a path too long for buf is cut (and not found). */
static void
import_path(char *buf, size_t len, const char *dir, const char *name,
    const char *suffix)
{
	if ((size_t)snprintf(buf, len, "%s/%s.rrd%s", dir, name, suffix) >= len)
		buf[0] = '\0';
}

/* Print the usage. */
static void
import_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: spamtrendd import --data-dir DIR [--config FILE] "
	    "[--categories LIST]\n"
	    "           [--step SECONDS] --source NAME FILE.csv "
	    "[--source NAME FILE.csv ...]\n"
	    "\n"
	    "Writes CSV files in the /export.csv format (time,iso8601,"
	    "<category>...;\n"
	    "time is the end of each row; rows of one step or a constant "
	    "multiple of it;\n"
	    "empty cells are unknown) into DIR/NAME.rrd, for a new source or "
	    "after the\n"
	    "source's last update, and adds them to _total after its last "
	    "update.\n"
	    "Everything is checked first; nothing is written unless all of "
	    "it can be.\n"
	    "Refused while a spamtrendd runs on DIR.\n");
}

/*
 * Points waiting for one file: appended in batches, so that librrd opens
 * and maps a file once per IMPORT_BATCH steps rather than once per step (a
 * year of minutes is half a million steps per file).
 */
#define IMPORT_BATCH 4096

struct import_batch {
	const char	   *name;
	struct store_point *pts;
	size_t		    n;
};

/* Append what b holds to its file; 0, or -1 with the error printed. */
static int
import_flush(struct store *st, struct import_batch *b)
{
	char err[512];

	if (b->n == 0)
		return 0;
	if (store_update(st, b->name, b->pts, b->n, err, sizeof(err)) == -1) {
		fprintf(stderr, "spamtrendd import: %s: %s\n", b->name, err);
		return -1;
	}
	b->n = 0;
	return 0;
}

/* Add one step to b, appending the batch when it is full. */
static int
import_push(struct store *st, struct import_batch *b, int64_t t,
    const uint64_t *counts, unsigned ncat, uint64_t cover)
{
	struct store_point *p = &b->pts[b->n++];

	memset(p, 0, sizeof(*p));
	p->step = t;
	memcpy(p->counts, counts, ncat * sizeof(counts[0]));
	p->cover = cover;
	return b->n == IMPORT_BATCH ? import_flush(st, b) : 0;
}

/* Write every step of the files into the store at tmp; see the top comment. */
static int
import_write(struct store *st, struct import_file *files, size_t nfiles,
    unsigned ncat, unsigned step, int64_t total_last)
{
	uint64_t	    counts[ST_MAX_CATEGORIES], total[ST_MAX_CATEGORIES];
	uint64_t	    cover, total_cover;
	struct import_batch batch[IMPORT_MAX_FILES + 1];
	int64_t		    lo = INT64_MAX, hi = INT64_MIN, a, b, t;
	size_t		    i, steps = 0, total_steps = 0, total_skipped = 0;
	unsigned	    c;
	long		    row;
	int		    any, rc = -1;

	for (i = 0; i <= nfiles; i++) {
		batch[i].name = i < nfiles ? files[i].source : ST_TOTAL_SOURCE;
		batch[i].n = 0;
		if ((batch[i].pts = calloc(
			 IMPORT_BATCH, sizeof(*batch[i].pts))) == NULL)
			abort();
	}
	for (i = 0; i < nfiles; i++)
		if (import_known_span(&files[i], step, &a, &b)) {
			if (a < lo)
				lo = a;
			if (b > hi)
				hi = b;
		}
	for (t = lo; lo != INT64_MAX && t <= hi; t += step) {
		memset(total, 0, sizeof(total));
		total_cover = 0;
		any = 0;
		for (i = 0; i < nfiles; i++) {
			const struct import_file *f = &files[i];
			int64_t			  end;

			if ((row = import_row_at(f, t)) < 0 || !f->known[row])
				continue;
			end = f->first_end + (int64_t)row * f->res;
			for (c = 0; c < ncat; c++) {
				counts[c] = step_share(
				    f->counts[(size_t)row * ncat + c], end,
				    f->res, step, t);
				total[c] += counts[c];
			}
			/* The row's reported seconds, spread like its counts. */
			cover = step_share(isnan(f->cover[row])
				? f->res
				: (uint64_t)llround(f->cover[row] * f->res),
			    end, f->res, step, t);
			total_cover += cover;
			if (import_push(
				st, &batch[i], t, counts, ncat, cover) == -1)
				goto out;
			steps++;
			any = 1;
		}
		if (!any)
			continue;
		if (t <= total_last) {
			total_skipped++;
			continue;
		}
		if (import_push(
			st, &batch[nfiles], t, total, ncat, total_cover) == -1)
			goto out;
		total_steps++;
	}
	for (i = 0; i <= nfiles; i++)
		if (import_flush(st, &batch[i]) == -1)
			goto out;
	printf("spamtrendd import: wrote %zu steps of %zu source%s; "
	       "_total: %zu steps added\n",
	    steps, nfiles, nfiles == 1 ? "" : "s", total_steps);
	if (total_skipped > 0)
		fprintf(stderr,
		    "spamtrendd import: warning: %zu steps are at "
		    "or before _total's last update and were not added to "
		    "_total (it keeps what it had for those times)\n",
		    total_skipped);
	rc = 0;
out:
	for (i = 0; i <= nfiles; i++)
		free(batch[i].pts);
	return rc;
}

/*
 * Check the files against what the store at tmp already holds: rows with
 * counts must start after the source's last update, and an existing file
 * must have the same layout.  Fills *total_last.  Returns the problems.
 */
static size_t
import_check_store(struct store *st, const char *tmp, struct import_file *files,
    size_t nfiles, int64_t *total_last)
{
	char	    path[PATH_MAX], when[32];
	struct stat sb;
	int64_t	    last;
	size_t	    i, r, nerr = 0;
	const char *names[IMPORT_MAX_FILES + 1];

	for (i = 0; i < nfiles; i++)
		names[i] = files[i].source;
	names[nfiles] = ST_TOTAL_SOURCE;
	for (i = 0; i <= nfiles; i++) {
		if (store_last(st, names[i], &last) == -1) {
			fprintf(stderr,
			    "spamtrendd import: %s: cannot read "
			    "its file\n",
			    names[i]);
			nerr++;
			continue;
		}
		import_path(path, sizeof(path), tmp, names[i], ".corrupt");
		if (lstat(path, &sb) == 0) {
			fprintf(stderr,
			    "spamtrendd import: %s.rrd: not a file "
			    "of this layout (another step or other categories;"
			    " see --step, --categories, --config)\n",
			    names[i]);
			nerr++;
			continue;
		}
		if (i == nfiles) {
			*total_last = last;
			break;
		}
		if (last == 0)
			continue;
		csv_iso8601(last, when, sizeof(when));
		for (r = 0; r < files[i].nrows; r++) {
			int64_t end =
			    files[i].first_end + (int64_t)r * files[i].res;

			if (files[i].known[r] &&
			    end - (int64_t)files[i].res < last)
				import_problem(stderr, &nerr, files[i].path,
				    files[i].lines[r],
				    "row ending %lld overlaps "
				    "data already stored for %s (last update "
				    "%lld, %s)",
				    (long long)end, files[i].source,
				    (long long)last, when);
		}
	}
	return nerr;
}

/* Remove the temporary directory and what is left in it. */
static void
import_cleanup(const char *tmp, struct import_file *files, size_t nfiles)
{
	char   path[PATH_MAX];
	size_t i;

	for (i = 0; i <= nfiles; i++) {
		const char *name =
		    i < nfiles ? files[i].source : ST_TOTAL_SOURCE;

		import_path(path, sizeof(path), tmp, name, "");
		unlink(path);
		import_path(path, sizeof(path), tmp, name, ".corrupt");
		unlink(path);
	}
	rmdir(tmp);
}

/* Run `spamtrendd import`. */
int
import_main(int argc, char **argv)
{
	struct import_file    files[IMPORT_MAX_FILES];
	struct store_settings ss;
	struct store	     *st = NULL;
	struct conf	      c;
	char		err[1024], tmp[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	char	       *text;
	const char     *paths[IMPORT_MAX_FILES];
	char		names[IMPORT_MAX_FILES][ST_SOURCE_MAX + 1];
	struct st_error e;
	size_t		nfiles = 0, i, j, len, nerr = 0;
	int64_t		now = (int64_t)time(NULL), total_last = 0;
	struct dirlock	lock = {-1, -1};
	int		rc = 1, made_tmp = 0, dfd;

	conf_defaults(&c);
	memset(files, 0, sizeof(files));
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 < (size_t)argc &&
		    conf_load_file(&c, argv[++i], err, sizeof(err)) == -1) {
			fprintf(stderr, "spamtrendd import: %s\n", err);
			rc = 2;
			goto done;
		}
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			import_usage(stdout);
			rc = 0;
			goto done;
		}
		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		if (strcmp(a, "--source") == 0) {
			if (i + 2 >= (size_t)argc) {
				fprintf(stderr,
				    "spamtrendd import: --source "
				    "needs a NAME and a FILE\n");
				rc = 2;
				goto done;
			}
			if (nfiles == IMPORT_MAX_FILES) {
				fprintf(stderr,
				    "spamtrendd import: at most %d "
				    "files at once\n",
				    IMPORT_MAX_FILES);
				rc = 2;
				goto done;
			}
			if (source_normalise(argv[i + 1], strlen(argv[i + 1]),
				names[nfiles], "--source", &e) == -1) {
				fprintf(stderr,
				    "spamtrendd import: --source "
				    "'%s': %s\n",
				    argv[i + 1], e.detail);
				rc = 2;
				goto done;
			}
			for (j = 0; j < nfiles; j++)
				if (strcmp(names[j], names[nfiles]) == 0) {
					fprintf(stderr,
					    "spamtrendd import: "
					    "source %s given twice\n",
					    names[j]);
					rc = 2;
					goto done;
				}
			paths[nfiles++] = argv[i + 2];
			i += 2;
			continue;
		}
		if (strcmp(a, "--data-dir") == 0 ||
		    strcmp(a, "--categories") == 0 ||
		    strcmp(a, "--step") == 0) {
			if (i + 1 >= (size_t)argc) {
				fprintf(stderr,
				    "spamtrendd import: %s needs a "
				    "value\n",
				    a);
				rc = 2;
				goto done;
			}
			if (conf_set(&c, a + 2, argv[i + 1], err,
				sizeof(err)) == -1) {
				fprintf(stderr, "spamtrendd import: %s: %s\n",
				    a, err);
				rc = 2;
				goto done;
			}
			i++;
			continue;
		}
		fprintf(stderr,
		    "spamtrendd import: unexpected argument '%s' "
		    "(see --help)\n",
		    a);
		rc = 2;
		goto done;
	}
	if (nfiles == 0) {
		import_usage(stderr);
		rc = 2;
		goto done;
	}
	if (conf_finish(&c, err, sizeof(err)) == -1) {
		fprintf(stderr, "spamtrendd import: %s\n", err);
		rc = 2;
		goto done;
	}

	/* The daemon's lock: never write beside a running daemon. */
	if (dirlock_take(c.data_dir, NULL, &lock, &e) == -1) {
		fprintf(stderr, "spamtrendd import: %s%s\n", e.detail,
		    e.kind == ERR_CONFLICT ? "; stop it first" : "");
		goto done;
	}

	/* Check every file completely before anything is written. */
	for (i = 0; i < nfiles; i++) {
		if ((text = import_read(paths[i], &len)) == NULL) {
			nerr++;
			continue;
		}
		nerr += import_parse(text, len, paths[i],
		    (const char(*)[ST_CATEGORY_MAX + 1]) c.categories,
		    c.ncategories, c.step, now, &files[i], stderr);
		memcpy(files[i].source, names[i], sizeof(files[i].source));
		free(text);
	}
	if (nerr > 0) {
		fprintf(stderr,
		    "spamtrendd import: %zu problem%s; nothing was "
		    "written\n",
		    nerr, nerr == 1 ? "" : "s");
		goto done;
	}

	/* Work on copies in a temporary directory beside the real files. */
	snprintf(tmp, sizeof(tmp), "%s/.import-XXXXXX", c.data_dir);
	if (mkdtemp(tmp) == NULL) {
		fprintf(stderr, "spamtrendd import: %s: %s\n", tmp,
		    strerror(errno));
		goto done;
	}
	made_tmp = 1;
	for (i = 0; i <= nfiles; i++) {
		const char *name = i < nfiles ? names[i] : ST_TOTAL_SOURCE;

		import_path(src, sizeof(src), c.data_dir, name, "");
		import_path(dst, sizeof(dst), tmp, name, "");
		if (import_copy(src, dst) == -1)
			goto done;
	}
	memset(&ss, 0, sizeof(ss));
	ss.data_dir = tmp;
	ss.step = c.step;
	ss.categories = (const char(*)[ST_CATEGORY_MAX + 1]) c.categories;
	ss.ncategories = c.ncategories;
	ss.holes = !c.reserve_disk;
	if ((st = store_create(&ss, err, sizeof(err))) == NULL) {
		fprintf(stderr, "spamtrendd import: %s\n", err);
		goto done;
	}
	if ((nerr = import_check_store(st, tmp, files, nfiles, &total_last)) >
	    0) {
		fprintf(stderr,
		    "spamtrendd import: %zu problem%s; nothing was "
		    "written\n",
		    nerr, nerr == 1 ? "" : "s");
		goto done;
	}
	if (import_write(
		st, files, nfiles, c.ncategories, c.step, total_last) == -1) {
		fprintf(stderr, "spamtrendd import: nothing was written\n");
		goto done;
	}
	if (store_sync(st, err, sizeof(err)) == -1) {
		fprintf(stderr, "spamtrendd import: %s; nothing was written\n",
		    err);
		goto done;
	}
	store_free(st);
	st = NULL;

	/* Everything is on disk: move the new files into place. */
	for (i = 0; i <= nfiles; i++) {
		const char *name = i < nfiles ? names[i] : ST_TOTAL_SOURCE;
		struct stat sb;

		import_path(src, sizeof(src), tmp, name, "");
		import_path(dst, sizeof(dst), c.data_dir, name, "");
		if (lstat(src, &sb) == -1)
			continue; /* _total untouched and absent */
		if (rename(src, dst) == -1) {
			fprintf(stderr, "spamtrendd import: rename %s: %s\n",
			    dst, strerror(errno));
			goto done;
		}
	}
	if ((dfd = open(c.data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
done:
	store_free(st);
	if (made_tmp)
		import_cleanup(tmp, files, nfiles);
	for (i = 0; i < nfiles; i++)
		import_file_clear(&files[i]);
	dirlock_release(&lock);
	conf_clear(&c);
	return rc;
}
