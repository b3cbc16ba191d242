/*
 * proto: incremental RESP2 request parser (multibulk and inline), one per connection.
 *
 * Input is appended with proto_feed() as it arrives (split at arbitrary points); proto_next()
 * then yields complete requests one by one. The parser remembers how far it got, so a large
 * bulk arriving in many small deliveries is not rescanned. Protocol errors carry the exact text
 * Redis uses ("Protocol error: invalid multibulk length", ...); the caller replies and closes.
 */
#ifndef KV_PROTO_H
#define KV_PROTO_H

#include <stddef.h>

#include "util.h"

#define PROTO_INLINE_MAX (64u * 1024u)           /* longest inline request / length line */
#define PROTO_MAX_MULTIBULK (1024ll * 1024ll)    /* most arguments in one request */
#define PROTO_MAX_BULK (512ll * 1024ll * 1024ll) /* Redis' proto-max-bulk-len */

enum {
    PROTO_CMD,  /* a request is ready in *argc / *argv */
    PROTO_MORE, /* need more input */
    PROTO_ERR,  /* protocol error: q->err holds the message (without "-ERR ") */
    PROTO_OOM   /* out of memory while buffering */
};

struct proto_span {
    size_t off; /* relative to the start of the request */
    size_t len;
};

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    size_t start;         /* first byte of the request being parsed */
    size_t pos;           /* parse position */
    int type;             /* 0 none, 1 multibulk, 2 inline */
    long long mb_left;    /* bulks still expected (multibulk) */
    long long bulk_len;   /* length of the bulk being read, -1 while reading its header */
    size_t argc, arg_cap;
    struct proto_span *spans;
    kv_arg *argv;
    size_t max_query;     /* largest request accepted */
    const char *err;
} proto_state;

void proto_init(proto_state *q, size_t max_query);

/* Free every buffer of q (q can be reused after proto_init). */
void proto_free(proto_state *q);

/*
 * Append n bytes. With adopt, data is a malloc'ed buffer that q takes over (freed by q in every
 * case); without, it is copied. Returns PROTO_MORE, or PROTO_OOM (q is then unchanged).
 */
int proto_feed(proto_state *q, unsigned char *data, size_t n, int adopt);

/* Parse the next request; see the enum. argv stays valid until the next proto_feed. */
int proto_next(proto_state *q, size_t *argc, kv_arg **argv);

/* True when no partial request is buffered. */
static inline int proto_idle(const proto_state *q) { return q->start >= q->len; }

/* Release the input buffer when idle (keeps memory of idle connections small). */
void proto_trim(proto_state *q);

#endif
