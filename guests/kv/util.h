/* Small string helpers shared by the kv guest. */
#ifndef KV_UTIL_H
#define KV_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* One argument of a request: bytes, not NUL-terminated, binary safe. */
typedef struct {
    const unsigned char *p;
    size_t n;
} kv_arg;

/* Longest decimal int64 plus sign and NUL. */
#define KV_LL_STR_SIZE 21

/*
 * Parse a signed 64-bit integer exactly like Redis' string2ll: optional '-', no '+', no spaces,
 * no leading zeros (except "0" itself), no overflow. Returns 1 on success, 0 otherwise.
 */
int kv_str2ll(const unsigned char *s, size_t n, long long *out);

/* Format v in decimal into buf (at least KV_LL_STR_SIZE bytes); returns the length. */
size_t kv_ll2str(char *buf, long long v);

/* ASCII case-insensitive equality of an argument with a lower-case C string. */
int kv_arg_is(const kv_arg *a, const char *lower);

#endif
