/* aggregate.c: not yet written. */
