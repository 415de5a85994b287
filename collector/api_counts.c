/* api_counts.c: not yet written. */
