/*
 * counter: an ordinary line-oriented TCP server written only against POSIX/WASI headers
 * (accept, poll, recv, send, clock_gettime, getentropy, getenv). COLO HA protects it unchanged
 * as a WASI command module (docs/guest-abi.md, "WASI guests").
 *
 * The listening socket is the pre-opened descriptor named by COLO_LISTEN_FD. Each line a client
 * sends is answered with one line:
 *
 *   "<n> <line>"        n counts the lines of every client since the start
 *   "rand" ->  "<n> rand <hex of 8 random bytes>"
 *   "time" ->  "<n> time <monotonic ns> <realtime s>"
 *   "ticks" -> "<n> ticks <t>"   t counts poll timeouts (one a 50 ms of idle time)
 *   "quit" ->  closes the connection
 *
 * With argument "serial" it serves one client at a time with blocking accept and recv instead
 * of poll, so that both ways of blocking are exercised.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define LINE_MAX_BYTES 4096

struct client {
    int fd;
    size_t used;
    char line[LINE_MAX_BYTES];
};

static unsigned long long lines;
static unsigned long long ticks;

static int send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Answers one complete line; returns -1 when the connection is to be closed. */
static int answer(int fd, const char *line) {
    char out[LINE_MAX_BYTES + 96];
    int len;
    lines++;
    if (strcmp(line, "quit") == 0) {
        return -1;
    } else if (strcmp(line, "rand") == 0) {
        unsigned char r[8];
        if (getentropy(r, sizeof r) != 0) {
            return -1;
        }
        len = snprintf(out, sizeof out, "%llu rand %02x%02x%02x%02x%02x%02x%02x%02x\n", lines,
                       r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    } else if (strcmp(line, "time") == 0) {
        struct timespec mono, real;
        clock_gettime(CLOCK_MONOTONIC, &mono);
        clock_gettime(CLOCK_REALTIME, &real);
        len = snprintf(out, sizeof out, "%llu time %lld %lld\n", lines,
                       (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec, (long long)real.tv_sec);
    } else if (strcmp(line, "ticks") == 0) {
        len = snprintf(out, sizeof out, "%llu ticks %llu\n", lines, ticks);
    } else {
        len = snprintf(out, sizeof out, "%llu %s\n", lines, line);
    }
    if (len < 0) {
        return -1;
    }
    return send_all(fd, out, (size_t)len < sizeof out ? (size_t)len : sizeof out - 1);
}

/* Takes received bytes into the client's line buffer; -1 when the connection is to be closed. */
static int take(struct client *c, const char *buf, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char ch = buf[i];
        if (ch == '\r') {
            continue;
        }
        if (ch == '\n' || c->used == LINE_MAX_BYTES - 1) {
            c->line[c->used] = '\0';
            c->used = 0;
            if (answer(c->fd, c->line) != 0) {
                return -1;
            }
            if (ch == '\n') {
                continue;
            }
        }
        c->line[c->used++] = ch;
    }
    return 0;
}

/* Reads what is there; -1 at end of input or on error. */
static int serve_some(struct client *c) {
    char buf[2048];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n <= 0) {
        return -1;
    }
    return take(c, buf, (size_t)n);
}

static int serve_serial(int listener) {
    struct client *c = malloc(sizeof *c);
    if (c == NULL) {
        return 1;
    }
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            perror("accept");
            return 1;
        }
        c->fd = fd;
        c->used = 0;
        while (serve_some(c) == 0) {
        }
        close(fd);
    }
}

static int serve_polled(int listener) {
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
        int ready = poll(fds, (nfds_t)n, 50);
        if (ready < 0) {
            perror("poll");
            return 1;
        }
        if (ready == 0) {
            ticks++;
            continue;
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

int main(int argc, char **argv) {
    const char *listen_fd = getenv("COLO_LISTEN_FD");
    if (listen_fd == NULL) {
        fprintf(stderr, "counter: COLO_LISTEN_FD is not set\n");
        return 2;
    }
    int listener = atoi(listen_fd);
    fprintf(stderr, "counter: serving on descriptor %d\n", listener);
    if (argc > 1 && strcmp(argv[1], "serial") == 0) {
        return serve_serial(listener);
    }
    return serve_polled(listener);
}
