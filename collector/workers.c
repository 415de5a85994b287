/* workers.c: not yet written. */
