/* journal.c: not yet written. */
