/* csv.c: not yet written. */
