/* glob: Redis' pattern matching for KEYS (stringmatchlen without nocase). */
#ifndef KV_GLOB_H
#define KV_GLOB_H

#include <stddef.h>

/*
 * 1 when s matches pattern: '*' any run, '?' one byte, [abc] [^abc] [a-z] sets, '\x' the
 * literal x. Iterative (no recursion, so no stack risk); O(len(pattern) * len(s)) worst case.
 */
int glob_match(const unsigned char *pat, size_t plen, const unsigned char *s, size_t slen);

#endif
