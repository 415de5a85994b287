/*
 * error.h -- the one shape every refusal takes on its way to the client.
 *
 * Pure modules fill a struct st_error; the HTTP layer is the only place that
 * turns it into a status line and a JSON body.
 */
#ifndef ST_ERROR_H
#define ST_ERROR_H

#include <stdarg.h>

struct st_error {
	int  status;	  /* HTTP status the refusal maps to */
	char code[40];	  /* stable machine-readable code */
	char field[96];	  /* JSON path, header or parameter name; may be "" */
	char detail[256]; /* one human sentence */
};

/* Fill e (which may be NULL) and return -1, so callers can "return err_set(...)". */
int err_set(struct st_error *e, int status, const char *code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
