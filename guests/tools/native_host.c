/*
 * native_host: a developer's test host for the COLO guests, without Wasm.
 *
 * It links one guest's C sources natively (compiled with -include include/colo_native.h),
 * implements the `colo` imports on top of POSIX and serves the guest on 127.0.0.1:PORT, so that
 * redis-cli, redis-benchmark, curl and wrk can talk to it. The real host is the Java agent; this
 * one only mirrors the ABI contract (docs/guest-abi.md): one event at a time, input split at
 * arbitrary points (--split makes the pieces small and random), buffers from colo_alloc handed
 * over to colo_on_data, timers, a sector-addressed disk backed by a file.
 *
 *   native_host [--disk FILE] [--disk-size BYTES] [--split N] [--fail-writes-after N]
 *               [--fsync] [--quiet] PORT
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, getrandom; the build passes -D_GNU_SOURCE too */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "colo_native.h"
#include "host_posix.h"

#define MAX_DATA_CHUNK 16384
#define MAX_DISK_REQUEST (1024 * 1024)
#define OUT_PAUSE_BYTES (4 * 1024 * 1024) /* stop reading a client with this much unsent */

typedef struct {
    int32_t id;
    int fd;
    unsigned char *out;
    size_t out_len, out_off, out_cap;
    int guest_closed; /* colo_close: close once the output is sent */
    int peer_closed;  /* EOF seen and colo_on_close delivered */
} conn_t;

static conn_t *conns;
static size_t nconns, conns_cap;
static int32_t next_id = 1;

static int disk_fd = -1;
static int64_t disk_bytes;
static long fail_writes_after = -1;
static int use_fsync;
static int quiet;
static size_t split_max = MAX_DATA_CHUNK;
static volatile sig_atomic_t stop;

static conn_t *find_conn(int32_t id) {
    for (size_t i = 0; i < nconns; i++) {
        if (conns[i].id == id) {
            return &conns[i];
        }
    }
    return NULL;
}

/* ---- imports ---- */

int32_t colo_send(int32_t id, const void *ptr, int32_t len) {
    conn_t *c = find_conn(id);
    if (c == NULL || c->guest_closed || c->peer_closed || len < 0) {
        return COLO_E_NOCONN;
    }
    size_t need = c->out_len + (size_t)len;
    if (need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < need) {
            cap *= 2;
        }
        unsigned char *n = realloc(c->out, cap);
        if (n == NULL) {
            fprintf(stderr, "native_host: out of memory\n");
            exit(2);
        }
        c->out = n;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, ptr, (size_t)len);
    c->out_len += (size_t)len;
    return len;
}

int32_t colo_close(int32_t id) {
    conn_t *c = find_conn(id);
    if (c == NULL || c->guest_closed || c->peer_closed) {
        return COLO_E_NOCONN;
    }
    c->guest_closed = 1;
    return COLO_OK;
}

void colo_random(void *ptr, int32_t len) {
    unsigned char *p = ptr;
    size_t left = (size_t)len;
    while (left > 0) {
        ssize_t r = getrandom(p, left, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            perror("getrandom");
            exit(2);
        }
        p += r;
        left -= (size_t)r;
    }
}

int64_t colo_disk_size(void) { return disk_fd < 0 ? 0 : disk_bytes; }

static int32_t disk_check(int64_t off, int32_t len) {
    if (disk_fd < 0) {
        return COLO_E_NODISK;
    }
    if (off < 0 || len < 0 || off % COLO_SECTOR_SIZE != 0 || len % COLO_SECTOR_SIZE != 0) {
        return COLO_E_ALIGN;
    }
    if (len > MAX_DISK_REQUEST) {
        return COLO_E_LIMIT;
    }
    if (off > disk_bytes || len > disk_bytes - off) {
        return COLO_E_RANGE;
    }
    return COLO_OK;
}

int32_t colo_disk_read(int64_t off, void *ptr, int32_t len) {
    int32_t r = disk_check(off, len);
    if (r != COLO_OK) {
        return r;
    }
    size_t done = 0;
    while (done < (size_t)len) {
        ssize_t n = pread(disk_fd, (char *)ptr + done, (size_t)len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return COLO_E_IO;
        }
        if (n == 0) { /* past the end of a sparse/short file: zeros */
            memset((char *)ptr + done, 0, (size_t)len - done);
            break;
        }
        done += (size_t)n;
    }
    return COLO_OK;
}

int32_t colo_disk_write(int64_t off, const void *ptr, int32_t len) {
    int32_t r = disk_check(off, len);
    if (r != COLO_OK) {
        return r;
    }
    if (fail_writes_after >= 0) {
        if (fail_writes_after == 0) {
            return COLO_E_IO;
        }
        fail_writes_after--;
    }
    size_t done = 0;
    while (done < (size_t)len) {
        ssize_t n = pwrite(disk_fd, (const char *)ptr + done, (size_t)len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return COLO_E_IO;
        }
        done += (size_t)n;
    }
    return COLO_OK;
}

int32_t colo_disk_flush(void) {
    if (disk_fd < 0) {
        return COLO_E_NODISK;
    }
    if (use_fsync && fdatasync(disk_fd) != 0) {
        return COLO_E_IO;
    }
    return COLO_OK;
}

void colo_log(int32_t level, const char *ptr, int32_t len) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (quiet && level < COLO_LOG_WARN) {
        return;
    }
    const char *name = level >= 0 && level <= 3 ? names[level] : "?";
    fprintf(stderr, "[guest %s] %.*s\n", name, (int)len, ptr);
}

/* ---- connections ---- */

static void remove_conn(size_t i) {
    close(conns[i].fd);
    free(conns[i].out);
    nconns--;
    if (i != nconns) {
        conns[i] = conns[nconns];
    }
}

/* Write queued output; returns -1 when the peer is gone. */
static int flush_out(conn_t *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (n <= 0) {
            return -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static void accept_conn(int lfd) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nconns == conns_cap) {
        size_t cap = conns_cap ? conns_cap * 2 : 64;
        conn_t *n = realloc(conns, cap * sizeof *n);
        if (n == NULL) {
            close(fd);
            return;
        }
        conns = n;
        conns_cap = cap;
    }
    conn_t *c = &conns[nconns++];
    memset(c, 0, sizeof *c);
    c->id = next_id++;
    c->fd = fd;
    colo_on_open(c->id);
}

/* Hand n input bytes to the guest, in random pieces when --split is set. */
static void deliver(int32_t id, const unsigned char *data, size_t n) {
    while (n > 0) {
        conn_t *c = find_conn(id);
        if (c == NULL || c->guest_closed) {
            return;
        }
        size_t piece = n;
        if (split_max < MAX_DATA_CHUNK) {
            uint32_t r;
            colo_random(&r, sizeof r);
            piece = 1 + r % split_max;
            if (piece > n) {
                piece = n;
            }
        }
        void *buf = colo_alloc((int32_t)piece);
        if (buf == NULL) {
            fprintf(stderr, "native_host: colo_alloc(%zu) failed, closing connection %d\n", piece,
                    (int)id);
            c->guest_closed = 1;
            c->out_len = c->out_off = 0;
            return;
        }
        memcpy(buf, data, piece);
        colo_on_data(id, buf, (int32_t)piece);
        data += piece;
        n -= piece;
    }
}

static void read_conn(int32_t id) {
    unsigned char buf[MAX_DATA_CHUNK];
    conn_t *c = find_conn(id);
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        c->peer_closed = 1;
        colo_on_close(id);
        return;
    }
    deliver(id, buf, (size_t)n);
}

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 512) != 0) {
        perror("native_host: bind/listen");
        exit(1);
    }
    return fd;
}

static void open_disk(const char *path, int64_t size) {
    disk_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (disk_fd < 0) {
        perror(path);
        exit(1);
    }
    struct stat st;
    fstat(disk_fd, &st);
    if (size <= 0) {
        size = st.st_size > 0 ? st.st_size : 64 * 1024 * 1024;
    }
    if (st.st_size < size && ftruncate(disk_fd, size) != 0) {
        perror("ftruncate");
        exit(1);
    }
    disk_bytes = size;
}

static void usage(void) {
    fprintf(stderr, "usage: native_host [--disk FILE] [--disk-size BYTES] [--split N] "
                    "[--fail-writes-after N] [--fsync] [--quiet] PORT\n");
    exit(64);
}

int main(int argc, char **argv) {
    const char *disk = NULL;
    int64_t disk_size = 0;
    int port = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--disk") == 0 && v) {
            disk = v;
            i++;
        } else if (strcmp(a, "--disk-size") == 0 && v) {
            disk_size = strtoll(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--split") == 0 && v) {
            split_max = (size_t)strtoul(v, NULL, 10);
            if (split_max == 0 || split_max > MAX_DATA_CHUNK) {
                usage();
            }
            i++;
        } else if (strcmp(a, "--fail-writes-after") == 0 && v) {
            fail_writes_after = strtol(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--fsync") == 0) {
            use_fsync = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] != '-' && port < 0) {
            port = atoi(a);
        } else {
            usage();
        }
    }
    if (port <= 0 || port > 65535) {
        usage();
    }
    if (disk != NULL) {
        open_disk(disk, disk_size);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (colo_abi_version() != COLO_ABI_VERSION) {
        fprintf(stderr, "native_host: guest ABI version %d is not supported\n",
                (int)colo_abi_version());
        return 3;
    }
    if (colo_init() != 0) {
        fprintf(stderr, "native_host: colo_init failed\n");
        return 4;
    }
    int lfd = listen_on(port);
    fprintf(stderr, "native_host: listening on 127.0.0.1:%d\n", port);

    struct pollfd *pfds = NULL;
    int32_t *ids = NULL; /* connection id of pfds[i + 1] */
    size_t pfds_cap = 0;
    while (!stop) {
        if (pfds_cap < nconns + 1) {
            pfds_cap = (nconns + 1) * 2;
            struct pollfd *np = realloc(pfds, pfds_cap * sizeof *np);
            int32_t *ni = np != NULL ? realloc(ids, pfds_cap * sizeof *ni) : NULL;
            if (np == NULL || ni == NULL) {
                fprintf(stderr, "native_host: out of memory\n");
                return 2;
            }
            pfds = np;
            ids = ni;
        }
        pfds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        size_t n = nconns;
        for (size_t i = 0; i < n; i++) {
            conn_t *c = &conns[i];
            short ev = 0;
            if (!c->peer_closed && !c->guest_closed && c->out_len - c->out_off < OUT_PAUSE_BYTES) {
                ev |= POLLIN;
            }
            if (c->out_len > c->out_off) {
                ev |= POLLOUT;
            }
            pfds[i + 1] = (struct pollfd){.fd = c->fd, .events = ev};
            ids[i] = c->id;
        }
        int r = poll(pfds, n + 1, host_timer_wait_ms(1000, 1000));
        if (r < 0 && errno != EINTR) {
            perror("poll");
            return 2;
        }
        if (r > 0) {
            for (size_t i = 0; i < n; i++) {
                if (pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) {
                    conn_t *c = find_conn(ids[i]);
                    if (c != NULL && !c->peer_closed && !c->guest_closed) {
                        read_conn(ids[i]);
                    }
                }
            }
            if (pfds[0].revents & POLLIN) {
                accept_conn(lfd);
            }
        }
        host_fire_timers();
        /* send output; drop connections that are done */
        for (size_t i = 0; i < nconns;) {
            conn_t *c = &conns[i];
            int gone = flush_out(c) != 0;
            int drained = c->out_off >= c->out_len;
            if (gone && !c->peer_closed && !c->guest_closed) {
                c->peer_closed = 1;
                colo_on_close(c->id);
            }
            if (gone || ((c->guest_closed || c->peer_closed) && drained)) {
                remove_conn(i);
            } else {
                i++;
            }
        }
    }
    fprintf(stderr, "native_host: stopping\n");
    while (nconns > 0) {
        remove_conn(nconns - 1);
    }
    free(conns);
    free(pfds);
    free(ids);
    close(lfd);
    if (disk_fd >= 0) {
        close(disk_fd);
    }
    return 0;
}
