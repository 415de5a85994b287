/*
 * source.c -- checking and lowercasing source (host) names at the edge.
 *
 * Owns the rules for what a source name may be.  It does not decide whether
 * a source may be created (that is the ingest layer's quota) and does no I/O.
 */
#include "source.h"

#include <string.h>

/* Return 1 if c may appear in a label once lowered. */
static int
source_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Describe a byte that may not appear in a host name. */
static const char *
source_bad_byte(unsigned char c)
{
	if (c == '\0')
		return "contains a NUL byte";
	if (c < 0x20 || c == 0x7f)
		return "contains a control character";
	if (c >= 0x80)
		return "contains a non-ASCII byte";
	if (c == ' ')
		return "contains a space";
	if (c == '/' || c == '\\')
		return "contains a path separator";
	if (c == '_')
		return "contains '_' (not allowed in host names)";
	return "contains a character other than letters, digits, '-' and '.'";
}

/* Check in[0..len) as a host name and write its lowercase form to out. */
int
source_normalise(const char *in, size_t len, char *out, const char *field,
    struct st_error *e)
{
	size_t	      i, label = 0;
	unsigned char c;

	if (in == NULL || len == 0)
		return err_set(
		    e, ERR_INVALID, "bad_source", field, "source is empty");
	if (in[0] == '_')
		return err_set(e, ERR_INVALID, "bad_source", field,
		    "names starting with '_' are reserved");
	/* One trailing dot is the root label and is dropped. */
	if (len > 1 && in[len - 1] == '.')
		len--;
	if (len > ST_SOURCE_STORED_MAX)
		return err_set(e, ERR_INVALID, "bad_source", field,
		    "longer than %d bytes: a source name must fit a file name "
		    "with its suffixes",
		    ST_SOURCE_STORED_MAX);
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (c == '.') {
			if (label == 0)
				return err_set(e, ERR_INVALID, "bad_source",
				    field, "empty label");
			if (out[i - 1] == '-')
				return err_set(e, ERR_INVALID, "bad_source",
				    field, "label ends with '-'");
			out[i] = '.';
			label = 0;
			continue;
		}
		if (!source_label_char(c))
			return err_set(e, ERR_INVALID, "bad_source", field,
			    "%s", source_bad_byte(c));
		if (label == 0 && c == '-')
			return err_set(e, ERR_INVALID, "bad_source", field,
			    "label starts with '-'");
		if (++label > ST_LABEL_MAX)
			return err_set(e, ERR_INVALID, "bad_source", field,
			    "label longer than %d bytes", ST_LABEL_MAX);
		out[i] = (char)c;
	}
	if (label == 0)
		return err_set(
		    e, ERR_INVALID, "bad_source", field, "empty label");
	if (out[len - 1] == '-')
		return err_set(
		    e, ERR_INVALID, "bad_source", field, "label ends with '-'");
	out[len] = '\0';
	return 0;
}

/* Accept only names that normalise to themselves, or the total series. */
int
source_is_valid_name(const char *name)
{
	char   buf[ST_SOURCE_MAX + 1];
	size_t len;

	if (name == NULL)
		return 0;
	if (source_is_total(name))
		return 1;
	len = strnlen(name, ST_SOURCE_MAX + 2);
	if (len == 0 || len > ST_SOURCE_MAX || name[len - 1] == '.')
		return 0;
	if (source_normalise(name, len, buf, NULL, NULL) == -1)
		return 0;
	return strcmp(buf, name) == 0;
}

/* "_total", or "_total." and a collector id ([a-z0-9-], 1..32 bytes). */
int
source_is_total(const char *name)
{
	size_t n = strlen(ST_TOTAL_SOURCE), i;

	if (name == NULL || strncmp(name, ST_TOTAL_SOURCE, n) != 0)
		return 0;
	if (name[n] == '\0')
		return 1;
	if (name[n] != '.' || name[n + 1] == '\0')
		return 0;
	for (i = n + 1; name[i] != '\0'; i++)
		if (i - n > ST_COLLECTOR_ID_MAX ||
		    !((name[i] >= 'a' && name[i] <= 'z') ||
			(name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return 0;
	return 1;
}
