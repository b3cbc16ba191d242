#include "glob.h"

/*
 * Match one non-'*' pattern token at pat[0..] against byte c. Returns 1/0 and stores the token's
 * length in *tok. Semantics follow Redis' stringmatchlen: an unterminated '[' set runs to the
 * end of the pattern; inside a set '\' escapes the next byte and "a-z" is a range (either order).
 */
static int token_matches(const unsigned char *pat, size_t plen, unsigned char c, size_t *tok) {
    if (pat[0] == '?') {
        *tok = 1;
        return 1;
    }
    if (pat[0] == '\\' && plen >= 2) {
        *tok = 2;
        return pat[1] == c;
    }
    if (pat[0] != '[') {
        *tok = 1;
        return pat[0] == c;
    }
    size_t i = 1;
    int negate = 0;
    if (i < plen && pat[i] == '^') {
        negate = 1;
        i++;
    }
    int match = 0;
    for (;;) {
        if (i >= plen) {
            break; /* unterminated set: it ends with the pattern */
        }
        if (pat[i] == '\\' && plen - i >= 2) {
            i++;
            if (pat[i] == c) {
                match = 1;
            }
        } else if (pat[i] == ']') {
            i++;
            break;
        } else if (plen - i >= 3 && pat[i + 1] == '-') {
            unsigned char lo = pat[i], hi = pat[i + 2];
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
            if (c >= lo && c <= hi) {
                match = 1;
            }
            i += 2;
        } else if (pat[i] == c) {
            match = 1;
        }
        i++;
        if (i > plen) {
            i = plen;
        }
    }
    *tok = i;
    return negate ? !match : match;
}

int glob_match(const unsigned char *pat, size_t plen, const unsigned char *s, size_t slen) {
    size_t p = 0, i = 0;
    size_t star_p = 0, star_i = 0; /* where to resume after the last '*' */
    int have_star = 0;
    while (i < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*') {
                p++;
            }
            if (p == plen) {
                return 1;
            }
            have_star = 1;
            star_p = p;
            star_i = i;
            continue;
        }
        size_t tok;
        if (p < plen && token_matches(pat + p, plen - p, s[i], &tok)) {
            p += tok;
            i++;
            continue;
        }
        if (!have_star) {
            return 0;
        }
        /* let the last '*' swallow one more byte and retry */
        p = star_p;
        i = ++star_i;
    }
    while (p < plen && pat[p] == '*') {
        p++;
    }
    return p == plen;
}
