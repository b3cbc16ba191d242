#include "util.h"

#include <limits.h>
#include <string.h>

int kv_str2ll(const unsigned char *s, size_t n, long long *out) {
    if (n == 0 || n >= KV_LL_STR_SIZE) {
        return 0;
    }
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    size_t i = 0;
    int negative = 0;
    if (s[0] == '-') {
        negative = 1;
        i = 1;
        if (n == 1) {
            return 0;
        }
    }
    if (s[i] < '1' || s[i] > '9') {
        return 0;
    }
    unsigned long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10u) {
            return 0;
        }
        v = v * 10u + d;
    }
    if (negative) {
        if (v > (unsigned long long)LLONG_MAX + 1u) {
            return 0;
        }
        *out = v == (unsigned long long)LLONG_MAX + 1u ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) {
            return 0;
        }
        *out = (long long)v;
    }
    return 1;
}

size_t kv_ll2str(char *buf, long long v) {
    char tmp[KV_LL_STR_SIZE];
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (u % 10u));
        u /= 10u;
    } while (u != 0);
    size_t len = 0;
    if (v < 0) {
        buf[len++] = '-';
    }
    while (n > 0) {
        buf[len++] = tmp[--n];
    }
    buf[len] = '\0';
    return len;
}

int kv_arg_is(const kv_arg *a, const char *lower) {
    size_t n = strlen(lower);
    if (a->n != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = a->p[i];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c + ('a' - 'A'));
        }
        if (c != (unsigned char)lower[i]) {
            return 0;
        }
    }
    return 1;
}
