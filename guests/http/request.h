/* request: HTTP/1.x request-head parser of the http guest (RFC 9112 syntax, strict). */
#ifndef HTTP_REQUEST_H
#define HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD 8192 /* request line + headers; more is 431 */

typedef struct {
    const unsigned char *method;
    size_t method_len;
    const unsigned char *path; /* target without query; for absolute-form, the path part */
    size_t path_len;
    int minor;                 /* HTTP/1.<minor>: 0 or 1 */
    int keep_alive;            /* after the version's default and Connection tokens */
    uint64_t content_length;   /* body bytes that follow the head */
} http_request;

enum {
    REQ_OK,          /* *head_len bytes form a request head */
    REQ_INCOMPLETE,  /* need more input */
    REQ_TOO_LARGE,   /* 431 */
    REQ_BAD,         /* 400 */
    REQ_VERSION,     /* 505 */
    REQ_NOT_IMPL     /* 501: Transfer-Encoding */
};

/* Parse the head at buf[0..len) (the request's pointers point into buf). */
int http_parse(const unsigned char *buf, size_t len, http_request *r, size_t *head_len);

#endif
