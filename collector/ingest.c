/* ingest.c: not yet written. */
