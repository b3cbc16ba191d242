/*
 * platform_wasi: runs an ABI v1 guest (kv, http) as a plain WASI command.
 *
 * The guest's sources are compiled unchanged with `-include include/colo_wasi.h`, which turns the
 * `colo` imports and exports into ordinary C functions. This file implements the imports on top of
 * POSIX (wasi-libc: accept, poll, recv, send, clock_gettime, getentropy) and drives the exports
 * from main(), the way the micro-VM's ABI v1 host does: one event at a time, input as it arrives,
 * one-shot timers. The listening socket is the pre-opened descriptor named by COLO_LISTEN_FD
 * (docs/guest-abi.md, "WASI guests").
 *
 * The guest's disk is a file under /data, the pre-opened directory the host gives a VM with a disk
 * (docs/guest-abi.md, "Files under /data"): COLO_DISK_FILE (default /data/colo-disk) of
 * COLO_DISK_BYTES bytes (default 16 MiB; the size colo_disk_size() answers, the file grows as it
 * is written and reads past its end are zeros). colo_disk_read/write are pread/pwrite on it,
 * colo_disk_flush is fsync. Without /data (a VM without a disk) colo_disk_size() is 0 and the disk
 * calls answer COLO_E_NODISK: kv then runs from memory.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "colo_wasi.h"
#include "host_posix.h"

#define MAX_CONNS 1024
#define RECV_CHUNK 16384
#define OUT_PAUSE_BYTES (4u * 1024u * 1024u) /* stop reading a client with this much unsent */

typedef struct {
    int fd;
    int32_t id;
    unsigned char *out;
    size_t out_len, out_off, out_cap;
    int guest_closed; /* colo_close: close once the output is sent */
} conn_t;

static conn_t conns[MAX_CONNS];
static size_t nconns;
static int32_t next_id = 1;

static conn_t *find_conn(int32_t id) {
    for (size_t i = 0; i < nconns; i++) {
        if (conns[i].id == id) {
            return &conns[i];
        }
    }
    return NULL;
}

static void log_line(const char *what, int err) {
    fprintf(stderr, "platform_wasi: %s: %s\n", what, strerror(err));
}

/* ---- the colo imports ---- */

int32_t colo_send(int32_t id, const void *ptr, int32_t len) {
    conn_t *c = find_conn(id);
    if (c == NULL || c->guest_closed || len < 0) {
        return COLO_E_NOCONN;
    }
    size_t need = c->out_len + (size_t)len;
    if (need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < need) {
            cap *= 2;
        }
        unsigned char *grown = realloc(c->out, cap);
        if (grown == NULL) {
            fprintf(stderr, "platform_wasi: out of memory for output\n");
            exit(2);
        }
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, ptr, (size_t)len);
    c->out_len += (size_t)len;
    return len;
}

int32_t colo_close(int32_t id) {
    conn_t *c = find_conn(id);
    if (c == NULL || c->guest_closed) {
        return COLO_E_NOCONN;
    }
    c->guest_closed = 1;
    return COLO_OK;
}

void colo_random(void *ptr, int32_t len) {
    unsigned char *p = ptr;
    size_t left = len < 0 ? 0 : (size_t)len;
    while (left > 0) {
        size_t n = left < 256 ? left : 256; /* getentropy's limit */
        if (getentropy(p, n) != 0) {
            log_line("getentropy", errno);
            exit(2);
        }
        p += n;
        left -= n;
    }
}

#define DEFAULT_DISK_FILE "/data/colo-disk"
#define DEFAULT_DISK_BYTES (16 * 1024 * 1024)
#define SECTOR 512

static struct {
    int opened; /* 1 once looked for */
    int fd;     /* -1: no disk */
    int64_t size;
} disk = {0, -1, 0};

static void disk_open(void) {
    if (disk.opened) {
        return;
    }
    disk.opened = 1;
    const char *path = getenv("COLO_DISK_FILE");
    const char *bytes = getenv("COLO_DISK_BYTES");
    int64_t size = bytes != NULL ? strtoll(bytes, NULL, 10) : DEFAULT_DISK_BYTES;
    if (size <= 0 || size % SECTOR != 0) {
        fprintf(stderr, "platform_wasi: COLO_DISK_BYTES must be a positive multiple of 512\n");
        exit(2);
    }
    int fd = open(path != NULL ? path : DEFAULT_DISK_FILE, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        if (errno != ENOENT && errno != ENOTCAPABLE) {
            log_line("open the disk file", errno);
        }
        return; /* no /data: no disk */
    }
    disk.fd = fd;
    disk.size = size;
}

static int disk_check(int64_t offset, int32_t len) {
    disk_open();
    if (disk.fd < 0) {
        return COLO_E_NODISK;
    }
    if (offset < 0 || len < 0 || offset % SECTOR != 0 || len % SECTOR != 0) {
        return COLO_E_ALIGN;
    }
    if (offset + len > disk.size) {
        return COLO_E_RANGE;
    }
    return COLO_OK;
}

int64_t colo_disk_size(void) {
    disk_open();
    return disk.fd < 0 ? 0 : disk.size;
}

int32_t colo_disk_read(int64_t offset, void *ptr, int32_t len) {
    int r = disk_check(offset, len);
    if (r != COLO_OK) {
        return r;
    }
    unsigned char *p = ptr;
    size_t done = 0;
    while (done < (size_t)len) {
        ssize_t n = pread(disk.fd, p + done, (size_t)len - done, (off_t)(offset + (int64_t)done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return COLO_E_IO;
        }
        if (n == 0) {
            memset(p + done, 0, (size_t)len - done); /* past the end of the file: zeros */
            break;
        }
        done += (size_t)n;
    }
    return COLO_OK;
}

int32_t colo_disk_write(int64_t offset, const void *ptr, int32_t len) {
    int r = disk_check(offset, len);
    if (r != COLO_OK) {
        return r;
    }
    const unsigned char *p = ptr;
    size_t done = 0;
    while (done < (size_t)len) {
        ssize_t n = pwrite(disk.fd, p + done, (size_t)len - done, (off_t)(offset + (int64_t)done));
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
    disk_open();
    if (disk.fd < 0) {
        return COLO_E_NODISK;
    }
    return fsync(disk.fd) == 0 ? COLO_OK : COLO_E_IO;
}

void colo_log(int32_t level, const char *ptr, int32_t len) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    const char *name = level >= 0 && level <= 3 ? names[level] : "?";
    fprintf(stderr, "[%s] %.*s\n", name, len < 0 ? 0 : (int)len, ptr);
}

/* ---- the event loop ---- */

/* Sends what c has queued, as far as the socket takes it; -1 when the client is gone. */
static int flush_out(conn_t *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static void drop_conn(size_t i) {
    close(conns[i].fd);
    free(conns[i].out);
    conns[i] = conns[--nconns];
}

static void accept_clients(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                log_line("accept", errno);
            }
            return;
        }
        if (nconns == MAX_CONNS) {
            close(fd);
            continue;
        }
        conn_t *c = &conns[nconns++];
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->id = next_id++;
        if (next_id <= 0) {
            next_id = 1;
        }
        colo_on_open(c->id);
    }
}

/* Reads once from c and hands the bytes to the guest; -1 at end of input or on an error. */
static int deliver_input(conn_t *c) {
    static unsigned char chunk[RECV_CHUNK];
    ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return 0;
    }
    if (n <= 0) {
        return -1;
    }
    void *buf = colo_alloc((int32_t)n);
    if (buf == NULL) {
        return -1; /* the guest is out of memory: drop the client as the host would */
    }
    memcpy(buf, chunk, (size_t)n);
    colo_on_data(c->id, buf, (int32_t)n);
    return 0;
}

/* Milliseconds until the earliest armed timer, rounded up; -1 when none is armed. */
/* Sends queued output and closes the connections the guest closed once it is out. */
static void settle_conns(void) {
    for (size_t i = 0; i < nconns;) {
        conn_t *c = &conns[i];
        if (flush_out(c) != 0) {
            if (!c->guest_closed) {
                colo_on_close(c->id);
            }
            drop_conn(i);
        } else if (c->guest_closed && c->out_len == 0) {
            drop_conn(i);
        } else {
            i++;
        }
    }
}

int main(void) {
    const char *listen_fd = getenv("COLO_LISTEN_FD");
    if (listen_fd == NULL) {
        fprintf(stderr, "platform_wasi: COLO_LISTEN_FD is not set\n");
        return 2;
    }
    int listener = atoi(listen_fd);
    int flags = fcntl(listener, F_GETFL);
    if (flags < 0 || fcntl(listener, F_SETFL, flags | O_NONBLOCK) != 0) {
        log_line("fcntl(COLO_LISTEN_FD, O_NONBLOCK)", errno);
        return 2;
    }
    if (colo_abi_version() != COLO_ABI_VERSION || colo_init() != 0) {
        fprintf(stderr, "platform_wasi: the guest failed to boot\n");
        return 1;
    }
    static struct pollfd fds[MAX_CONNS + 1];
    static int32_t ids[MAX_CONNS + 1];
    for (;;) {
        /* wasi-libc's poll fails (ENOSYS) on an entry that asks for nothing: such entries get
         * fd -1, which poll skips */
        size_t n = 0;
        fds[n].fd = nconns < MAX_CONNS ? listener : -1;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        ids[n++] = 0;
        for (size_t i = 0; i < nconns; i++) {
            conn_t *c = &conns[i];
            short events = 0;
            if (!c->guest_closed && c->out_len - c->out_off < OUT_PAUSE_BYTES) {
                events |= POLLIN;
            }
            if (c->out_len > c->out_off) {
                events |= POLLOUT;
            }
            fds[n].fd = events != 0 ? c->fd : -1;
            fds[n].events = events;
            fds[n].revents = 0;
            ids[n++] = c->id;
        }
        int ready = poll(fds, (nfds_t)n, host_timer_wait_ms(-1, 60000));
        if (ready < 0 && errno != EINTR) {
            log_line("poll", errno);
            return 1;
        }
        for (size_t k = 1; ready > 0 && k < n; k++) {
            conn_t *c = find_conn(ids[k]);
            if (c == NULL || c->guest_closed ||
                (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            if (deliver_input(c) != 0) {
                c = find_conn(ids[k]); /* the guest may have closed it meanwhile */
                if (c != NULL && !c->guest_closed) {
                    c->guest_closed = 1; /* the peer is gone: no more events for it */
                    c->out_len = c->out_off = 0;
                    colo_on_close(c->id);
                }
            }
        }
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            accept_clients(listener);
        }
        host_fire_timers();
        settle_conns();
    }
}
