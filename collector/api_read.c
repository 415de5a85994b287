/* api_read.c: not yet written. */
