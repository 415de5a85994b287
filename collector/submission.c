/* submission.c: not yet written. */
