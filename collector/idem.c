/* idem.c: not yet written. */
