/* main.c: not yet written. */
