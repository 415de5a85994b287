/*
 * test_conf.c -- the option table: defaults, values, bounds, the config file
 * and the rules that span options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/conf.h"
#include "tap.h"

static char tmpdir[] = "/tmp/st-conf-XXXXXX";

/* Write text to a file in the temporary directory; returns its path. */
static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE	   *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

/* Set name to value on a fresh default configuration; returns conf_set's result. */
static int
try_set(const char *name, const char *value, char *err, size_t errlen)
{
	struct conf c;
	int	    rc;

	conf_defaults(&c);
	err[0] = '\0';
	rc = conf_set(&c, name, value, err, errlen);
	conf_clear(&c);
	return rc;
}

/* Run conf_finish on defaults with categories set to list; returns its result. */
static int
try_categories(const char *list, unsigned *n, char *err, size_t errlen)
{
	struct conf c;
	int	    rc;

	conf_defaults(&c);
	err[0] = '\0';
	if (conf_set(&c, "categories", list, err, errlen) == -1) {
		conf_clear(&c);
		return -2;
	}
	rc = conf_finish(&c, err, errlen);
	*n = c.ncategories;
	conf_clear(&c);
	return rc;
}

int
main(void)
{
	struct conf c, d;
	char	    err[512], list[512], name[32], *dump = NULL;
	const char *path;
	unsigned    n, i;
	size_t	    dumplen = 0;
	FILE	   *fp;

	plan(75);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	/* Defaults. */
	conf_defaults(&c);
	is_str(c.listen, "127.0.0.1:8080", "default listen address");
	is_str(
	    c.categories_list, "spam,ham,virus,rejected", "default categories");
	is_int(c.step, 60, "default step is 60 s");
	is_int(c.lateness, 2, "default lateness is 2 steps");
	is_int(c.max_body, 1048576, "default max_body is 1 MiB");
	is_int(
	    c.journal_segment, 67108864, "default journal segment is 64 MiB");
	is_int(c.idempotency_ttl, 600, "default idempotency ttl");
	is_str(c.tokens_file, "", "no tokens file by default");
	is_str(c.log_level, "info", "default log level");
	is_int(
	    conf_finish(&c, err, sizeof(err)), 0, "defaults pass conf_finish");
	is_int(c.ncategories, 4, "four default categories");
	is_str(c.categories[0], "spam", "first category");
	is_str(c.categories[3], "rejected", "last category");

	/* conf_set with either spelling. */
	is_int(conf_set(&c, "max-body", "2M", err, sizeof(err)), 0,
	    "max-body with '-'");
	is_int(c.max_body, 2 * 1024 * 1024, "2M is 2 MiB");
	is_int(conf_set(&c, "max_body", "1K", err, sizeof(err)), 0,
	    "max_body with '_'");
	is_int(c.max_body, 1024, "1K is 1024 bytes");
	is_int(conf_set(&c, "journal-segment", "1g", err, sizeof(err)), 0,
	    "lower-case size suffix");
	is_int(c.journal_segment, 1ULL << 30, "1g is 1 GiB");
	is_int(conf_set(&c, "new-sources-per-minute", "5", err, sizeof(err)), 0,
	    "several dashes in one name");
	is_int(c.new_sources_per_minute, 5, "the value landed in its field");
	is_int(conf_set(&c, "step", "3600", err, sizeof(err)), 0,
	    "step at its maximum");
	is_int(c.step, 3600, "step set");
	is_int(conf_set(&c, "listen", "[::1]:0", err, sizeof(err)), 0,
	    "string option");
	is_str(c.listen, "[::1]:0", "string stored");
	is_int(conf_set(&c, "min_free_disk", "18446744073709551615", err,
		   sizeof(err)),
	    0, "the largest 64-bit value");
	ok(c.min_free_disk == 18446744073709551615ULL, "stored without loss");
	conf_clear(&c);
	ok(c.listen == NULL && c.data_dir == NULL,
	    "conf_clear frees and clears strings");

	/* Bounds and malformed numbers: each message names the option. */
	ok(try_set("step", "9", err, sizeof(err)) == -1 &&
		strstr(err, "step") != NULL,
	    "step below its minimum is refused naming step (%s)", err);
	ok(try_set("step", "3601", err, sizeof(err)) == -1 &&
		strstr(err, "step") != NULL,
	    "step above its maximum is refused");
	ok(try_set("lateness", "0", err, sizeof(err)) == -1 &&
		strstr(err, "lateness") != NULL,
	    "lateness 0 is refused naming lateness");
	ok(try_set("max-body", "63", err, sizeof(err)) == -1 &&
		strstr(err, "max_body") != NULL,
	    "max-body below 64 is refused naming max_body");
	ok(try_set("max_body", "2G", err, sizeof(err)) == -1,
	    "max_body above 1 GiB is refused");
	ok(try_set("step", "60s", err, sizeof(err)) == -1,
	    "trailing garbage is refused");
	ok(try_set("step", "1K", err, sizeof(err)) == -1,
	    "a size suffix on a plain number is refused");
	ok(try_set("max_body", "1KB", err, sizeof(err)) == -1,
	    "a two-letter suffix is refused");
	ok(try_set("max_body", "1T", err, sizeof(err)) == -1,
	    "an unknown suffix is refused");
	ok(try_set("step", "", err, sizeof(err)) == -1,
	    "an empty number is refused");
	ok(try_set("step", "-60", err, sizeof(err)) == -1,
	    "a negative number is refused");
	ok(try_set("step", " 60", err, sizeof(err)) == -1,
	    "leading space is refused");
	ok(try_set("min_free_disk", "18446744073709551616", err, sizeof(err)) ==
		-1,
	    "a value past 64 bits is refused");
	ok(try_set("min_free_disk", "17179869184G", err, sizeof(err)) == -1,
	    "a suffix that overflows 64 bits is refused");
	ok(try_set("no_such_option", "1", err, sizeof(err)) == -1 &&
		strstr(err, "unknown option") != NULL &&
		strstr(err, "no_such_option") != NULL,
	    "an unknown option is refused by name (%s)", err);
	ok(try_set("step_", "60", err, sizeof(err)) == -1,
	    "a near miss is unknown");

	/* The config file. */
	path = write_file("good.conf",
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "step = 300\n"
	    "  max-batch=50  \n"
	    "listen = \"0.0.0.0:9000\"\n"
	    "data_dir = \" /var/x \"\n"
	    "admin_token = \"\n"
	    "\t# an indented comment\n"
	    "categories = spam,ham\n"
	    "tokens_file =\n");
	conf_defaults(&c);
	err[0] = '\0';
	ok(conf_load_file(&c, path, err, sizeof(err)) == 0,
	    "good file loads (%s)", err);
	is_int(c.step, 300, "step from the file");
	is_int(c.max_batch, 50, "dashed name and no spaces around '='");
	is_str(c.listen, "0.0.0.0:9000", "quotes are removed");
	is_str(c.data_dir, " /var/x ", "space inside quotes is kept");
	is_str(c.admin_token, "\"",
	    "a lone quote is a value, not a quoted string");
	is_str(c.categories_list, "spam,ham", "categories from the file");
	is_str(c.tokens_file, "", "an empty value is allowed for a string");
	conf_clear(&c);

	path = write_file(
	    "bad-value.conf", "# ok\nstep = 60\n\nstep = 5\nlateness = 3\n");
	conf_defaults(&c);
	ok(conf_load_file(&c, path, err, sizeof(err)) == -1,
	    "a bad value fails the file");
	snprintf(list, sizeof(list), "%s:4:", path);
	ok(strncmp(err, list, strlen(list)) == 0 && strstr(err, "step") != NULL,
	    "the error names FILE:4: and the option (%s)", err);
	is_int(c.lateness, 2, "lines after the bad one are not applied");
	conf_clear(&c);

	path = write_file("unknown.conf", "step = 60\nbogus = 1\n");
	conf_defaults(&c);
	ok(conf_load_file(&c, path, err, sizeof(err)) == -1,
	    "unknown option in a file fails");
	snprintf(list, sizeof(list), "%s:2: unknown option 'bogus'", path);
	is_str(err, list, "the error names FILE:2: and the option");
	conf_clear(&c);

	path = write_file("noeq.conf", "\n\n\nstep 60\n");
	conf_defaults(&c);
	ok(conf_load_file(&c, path, err, sizeof(err)) == -1,
	    "a line without '=' fails");
	snprintf(list, sizeof(list), "%s:4:", path);
	ok(strncmp(err, list, strlen(list)) == 0, "the error names line 4 (%s)",
	    err);
	conf_clear(&c);

	conf_defaults(&c);
	ok(conf_load_file(
	       &c, "/nonexistent/spamtrend.conf", err, sizeof(err)) == -1 &&
		strstr(err, "/nonexistent/spamtrend.conf") != NULL,
	    "a missing file fails naming it");
	conf_clear(&c);

	/* A dump read back gives the same configuration. */
	conf_defaults(&c);
	conf_set(&c, "step", "120", err, sizeof(err));
	conf_set(&c, "max_body", "3M", err, sizeof(err));
	conf_set(&c, "categories", "a,b_2", err, sizeof(err));
	conf_set(&c, "admin_token", "topsecretvalue", err, sizeof(err));
	if ((fp = open_memstream(&dump, &dumplen)) == NULL)
		abort();
	conf_dump(&c, fp);
	fclose(fp);
	ok(strstr(dump, "topsecretvalue") == NULL &&
		strstr(dump, "admin_token = (set)") != NULL,
	    "the dump hides the admin token");
	conf_set(&c, "admin_token", "", err, sizeof(err));
	path = write_file("dump.conf", dump);
	conf_defaults(&d);
	ok(conf_load_file(&d, path, err, sizeof(err)) == 0,
	    "the dump loads back");
	ok(d.step == 120 && d.max_body == 3 * 1024 * 1024 &&
		strcmp(d.categories_list, "a,b_2") == 0 &&
		d.lateness == c.lateness && strcmp(d.web_dir, c.web_dir) == 0,
	    "the dump round-trips");
	conf_clear(&d);
	conf_clear(&c);
	free(dump);

	/* Categories. */
	ok(try_categories("spam, ham ,virus", &n, err, sizeof(err)) == 0 &&
		n == 3,
	    "spaces around names are separators");
	ok(try_categories("Spam", &n, err, sizeof(err)) == -1 &&
		strstr(err, "Spam") != NULL,
	    "upper case is refused (%s)", err);
	ok(try_categories("spam,bad-name", &n, err, sizeof(err)) == -1 &&
		strstr(err, "bad-name") != NULL,
	    "a dash is refused");
	ok(try_categories("spam,ham,spam", &n, err, sizeof(err)) == -1 &&
		strstr(err, "twice") != NULL,
	    "a duplicate is refused (%s)", err);
	list[0] = '\0';
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "%sc%u", i ? "," : "", i);
		strcat(list, name);
	}
	ok(try_categories(list, &n, err, sizeof(err)) == 0 && n == 16,
	    "sixteen categories are accepted");
	strcat(list, ",c16");
	ok(try_categories(list, &n, err, sizeof(err)) == -1,
	    "seventeen are refused");
	ok(try_categories("", &n, err, sizeof(err)) == -1 &&
		try_categories(" , ,", &n, err, sizeof(err)) == -1,
	    "an empty list is refused");
	ok(try_categories("abcdefghijklmnopqrs", &n, err, sizeof(err)) == 0 &&
		try_categories("abcdefghijklmnopqrst", &n, err, sizeof(err)) ==
		    -1,
	    "19 characters are accepted, 20 refused");

	/* The rules spanning options. */
	conf_defaults(&c);
	conf_set(&c, "tls_cert", "/etc/cert.pem", err, sizeof(err));
	ok(conf_finish(&c, err, sizeof(err)) == -1 &&
		strstr(err, "tls_key") != NULL,
	    "a certificate without a key is refused");
	conf_set(&c, "tls_key", "/etc/key.pem", err, sizeof(err));
	is_int(conf_finish(&c, err, sizeof(err)), 0,
	    "certificate and key together pass");
	conf_set(&c, "tls_cert", "", err, sizeof(err));
	ok(conf_finish(&c, err, sizeof(err)) == -1,
	    "a key without a certificate is refused");
	conf_set(&c, "tls_key", "", err, sizeof(err));
	conf_set(&c, "log_level", "verbose", err, sizeof(err));
	ok(conf_finish(&c, err, sizeof(err)) == -1 &&
		strstr(err, "log_level") != NULL,
	    "an unknown log level is refused");
	conf_clear(&c);

	unlink(write_file("good.conf", ""));
	unlink(write_file("bad-value.conf", ""));
	unlink(write_file("unknown.conf", ""));
	unlink(write_file("noeq.conf", ""));
	unlink(write_file("dump.conf", ""));
	rmdir(tmpdir);
	return tap_done();
}
