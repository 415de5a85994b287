/*
 * error.c -- filling struct st_error.  Owns no state and does no I/O.
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

/* Fill e with a refusal; always returns -1. */
int
err_set(struct st_error *e, enum err_kind kind, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->kind = kind;
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}
