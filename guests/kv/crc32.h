/* CRC-32 (IEEE 802.3, the zlib one). */
#ifndef KV_CRC32_H
#define KV_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update(0, p, n) is the CRC of p; feeding pieces in order gives the CRC of the whole. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
