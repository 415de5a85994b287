/*
 * crc32c.h -- CRC-32C (Castagnoli), the checksum of journal records.
 */
#ifndef ST_CRC32C_H
#define ST_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over len bytes at p. */
uint32_t crc32c(uint32_t crc, const void *p, size_t len);
/* The same without the processor's crc32 instruction (for tests). */
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t len);

#endif
