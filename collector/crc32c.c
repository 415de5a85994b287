/* crc32c.c: not yet written. */
