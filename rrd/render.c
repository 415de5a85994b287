/* render.c: not yet written. */
