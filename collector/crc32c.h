/* crc32c.h */
