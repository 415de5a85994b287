/* export.c: not yet written. */
