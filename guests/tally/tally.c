/*
 * tally: a small HTTP/1.1 server written only against POSIX/WASI headers (accept, poll, recv,
 * send, clock_gettime, gmtime_r, strftime, getenv, malloc), not against COLO's guest ABI or its
 * platform layer. COLO HA protects it unchanged as a WASI command module (docs/guest-abi.md,
 * "WASI guests"): the listening socket is the descriptor named by COLO_LISTEN_FD.
 *
 *   POST /hit            counts a hit; answers the count after it ("42\n")
 *   GET  /hits           the count ("42\n")
 *   PUT  /notes/KEY      stores the request body under KEY (204; 201 when new)
 *   GET  /notes/KEY      the body stored under KEY, or 404
 *   GET  /               a line of text
 *
 * Keep-alive (HTTP/1.1 by default, "Connection: close" honoured), request bodies by
 * Content-Length (at most 64 KiB), pipelined requests answered in order; a Date header on each
 * response. Everything lives in memory.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 128
#define MAX_HEAD 8192
#define MAX_BODY 65536
#define BUCKETS 4096

struct client {
    int fd;
    size_t used;
    char buf[MAX_HEAD + MAX_BODY];
};

struct note {
    struct note *next;
    char *key;
    char *value;
    size_t len;
};

static unsigned long long hits;
static struct note *notes[BUCKETS];

static uint32_t hash(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

static struct note *find(const char *key) {
    for (struct note *n = notes[hash(key) % BUCKETS]; n != NULL; n = n->next) {
        if (strcmp(n->key, key) == 0) {
            return n;
        }
    }
    return NULL;
}

/* Stores value under key; 1 when new, 0 when replaced, -1 out of memory. */
static int store(const char *key, const char *value, size_t len) {
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, value, len);
    copy[len] = '\0';
    struct note *n = find(key);
    if (n != NULL) {
        free(n->value);
        n->value = copy;
        n->len = len;
        return 0;
    }
    n = malloc(sizeof *n);
    char *k = strdup(key);
    if (n == NULL || k == NULL) {
        free(n);
        free(k);
        free(copy);
        return -1;
    }
    uint32_t b = hash(key) % BUCKETS;
    n->key = k;
    n->value = copy;
    n->len = len;
    n->next = notes[b];
    notes[b] = n;
    return 1;
}

static int send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int respond(int fd, int status, const char *reason, const char *body, size_t len,
                   int keep_alive) {
    char head[512];
    char date[64];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nServer: tally/1\r\nDate: %s\r\n"
                     "Content-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
                     status, reason, date, len, keep_alive ? "" : "Connection: close\r\n");
    if (n < 0 || (size_t)n >= sizeof head) {
        return -1;
    }
    /* one send for head and body: two small sends would wait for a delayed ACK (Nagle) */
    char *all = malloc((size_t)n + len);
    if (all == NULL) {
        return -1;
    }
    memcpy(all, head, (size_t)n);
    memcpy(all + n, body, len);
    int r = send_all(fd, all, (size_t)n + len);
    free(all);
    return r;
}

static int respond_text(int fd, int status, const char *reason, const char *text,
                        int keep_alive) {
    return respond(fd, status, reason, text, strlen(text), keep_alive);
}

/* The value of header name in head (lines after the request line), or NULL. */
static const char *header(const char *head, const char *name, size_t *len) {
    size_t name_len = strlen(name);
    const char *line = strstr(head, "\r\n");
    while (line != NULL && line[2] != '\r') {
        line += 2;
        const char *end = strstr(line, "\r\n");
        if (end == NULL) {
            return NULL;
        }
        if ((size_t)(end - line) > name_len && line[name_len] == ':' &&
            strncasecmp(line, name, name_len) == 0) {
            const char *v = line + name_len + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            *len = (size_t)(end - v);
            return v;
        }
        line = end;
    }
    return NULL;
}

/* Answers one request; -1 when the connection is to be closed afterwards. */
static int answer(int fd, char *method, char *target, int keep_alive, const char *body,
                  size_t body_len) {
    char text[64];
    if (strcmp(method, "POST") == 0 && strcmp(target, "/hit") == 0) {
        snprintf(text, sizeof text, "%llu\n", ++hits);
        return respond_text(fd, 200, "OK", text, keep_alive);
    }
    if (strcmp(method, "GET") == 0 && strcmp(target, "/hits") == 0) {
        snprintf(text, sizeof text, "%llu\n", hits);
        return respond_text(fd, 200, "OK", text, keep_alive);
    }
    if (strncmp(target, "/notes/", 7) == 0 && target[7] != '\0') {
        const char *key = target + 7;
        if (strcmp(method, "PUT") == 0) {
            int r = store(key, body, body_len);
            if (r < 0) {
                respond_text(fd, 507, "Insufficient Storage", "out of memory\n", 0);
                return -1;
            }
            return respond(fd, r ? 201 : 204, r ? "Created" : "No Content", "", 0, keep_alive);
        }
        if (strcmp(method, "GET") == 0) {
            struct note *n = find(key);
            if (n == NULL) {
                return respond_text(fd, 404, "Not Found", "no such note\n", keep_alive);
            }
            return respond(fd, 200, "OK", n->value, n->len, keep_alive);
        }
        return respond_text(fd, 405, "Method Not Allowed", "GET or PUT\n", keep_alive);
    }
    if (strcmp(method, "GET") == 0 && strcmp(target, "/") == 0) {
        return respond_text(fd, 200, "OK", "tally: POST /hit, GET /hits, PUT|GET /notes/KEY\n",
                            keep_alive);
    }
    return respond_text(fd, 404, "Not Found", "not found\n", keep_alive);
}

/* Answers every complete request in the client's buffer; -1 when the connection is done. */
static int serve_buffered(struct client *c) {
    for (;;) {
        c->buf[c->used] = '\0';
        char *end = strstr(c->buf, "\r\n\r\n");
        if (end == NULL) {
            if (c->used >= MAX_HEAD) {
                respond_text(c->fd, 431, "Request Header Fields Too Large", "head too large\n", 0);
                return -1;
            }
            return 0;
        }
        size_t head_len = (size_t)(end - c->buf) + 4;
        size_t cl_len = 0;
        size_t body_len = 0;
        const char *cl = header(c->buf, "Content-Length", &cl_len);
        if (cl != NULL) {
            char *stop;
            unsigned long v = strtoul(cl, &stop, 10);
            if (stop == cl || v > MAX_BODY) {
                respond_text(c->fd, 413, "Content Too Large", "body too large\n", 0);
                return -1;
            }
            body_len = v;
        }
        if (c->used < head_len + body_len) {
            return 0;
        }
        size_t conn_len = 0;
        const char *conn = header(c->buf, "Connection", &conn_len);
        char method[16];
        char target[1024];
        char version[16];
        if (sscanf(c->buf, "%15s %1023s %15s", method, target, version) != 3) {
            respond_text(c->fd, 400, "Bad Request", "bad request line\n", 0);
            return -1;
        }
        int keep_alive = strcmp(version, "HTTP/1.1") == 0;
        if (conn != NULL && conn_len == 5 && strncasecmp(conn, "close", 5) == 0) {
            keep_alive = 0;
        } else if (conn != NULL && conn_len == 10 && strncasecmp(conn, "keep-alive", 10) == 0) {
            keep_alive = 1;
        }
        if (answer(c->fd, method, target, keep_alive, c->buf + head_len, body_len) != 0 ||
            !keep_alive) {
            return -1;
        }
        size_t consumed = head_len + body_len;
        memmove(c->buf, c->buf + consumed, c->used - consumed);
        c->used -= consumed;
    }
}

/* Reads what is there and answers it; -1 when the connection is done. */
static int serve_some(struct client *c) {
    ssize_t n = recv(c->fd, c->buf + c->used, sizeof c->buf - 1 - c->used, 0);
    if (n <= 0) {
        return -1;
    }
    c->used += (size_t)n;
    return serve_buffered(c);
}

int main(void) {
    const char *listen_fd = getenv("COLO_LISTEN_FD");
    if (listen_fd == NULL) {
        fprintf(stderr, "tally: COLO_LISTEN_FD is not set\n");
        return 2;
    }
    int listener = atoi(listen_fd);
    fprintf(stderr, "tally: serving HTTP on descriptor %d\n", listener);
    struct client *clients[MAX_CLIENTS] = {0};
    struct pollfd fds[MAX_CLIENTS + 1];
    for (;;) {
        int n = 0;
        fds[n].fd = listener;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i] != NULL) {
                fds[n].fd = clients[i]->fd;
                fds[n].events = POLLIN;
                fds[n].revents = 0;
                n++;
            }
        }
        if (poll(fds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("tally: poll");
            return 1;
        }
        for (int k = 1; k < n; k++) {
            if (fds[k].revents == 0) {
                continue;
            }
            for (int i = 0; i < MAX_CLIENTS; i++) {
                if (clients[i] != NULL && clients[i]->fd == fds[k].fd) {
                    if (serve_some(clients[i]) != 0) {
                        close(clients[i]->fd);
                        free(clients[i]);
                        clients[i] = NULL;
                    }
                    break;
                }
            }
        }
        if (fds[0].revents & POLLIN) {
            int fd = accept(listener, NULL, NULL);
            if (fd < 0) {
                continue;
            }
            int slot = -1;
            for (int i = 0; i < MAX_CLIENTS && slot < 0; i++) {
                if (clients[i] == NULL) {
                    slot = i;
                }
            }
            struct client *c = slot < 0 ? NULL : malloc(sizeof *c);
            if (c == NULL) {
                close(fd);
                continue;
            }
            c->fd = fd;
            c->used = 0;
            clients[slot] = c;
        }
    }
}
