/* query.c: not yet written. */
