/* api_misc.c: not yet written. */
