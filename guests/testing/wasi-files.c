/*
 * wasi-files: a line server that works on files under /data, written only against POSIX/WASI
 * headers (WasiFilesTest). One client at a time (blocking accept and recv on COLO_LISTEN_FD); each
 * line is a command, each answer one line:
 *
 *   put NAME TEXT      create or truncate NAME and write TEXT       -> ok
 *   add NAME TEXT      append TEXT to NAME (O_APPEND)                -> ok
 *   cat NAME           the whole file                                -> TEXT | err ERRNO
 *   mv A B             rename                                        -> ok | err ERRNO
 *   rm NAME            unlink                                        -> ok | err ERRNO
 *   mkdir NAME         create a directory                            -> ok | err ERRNO
 *   ls [DIR]           the names in DIR (default .), sorted, spaces  -> NAMES
 *   size NAME          stat's size                                   -> N | err ERRNO
 *   open NAME          keep NAME open (read/write) as the current file  -> ok | err ERRNO
 *   gets N             read N bytes at the current file's position   -> TEXT
 *   puts TEXT          write TEXT at the current file's position     -> ok
 *   seek N             move the current file's position              -> N
 *   sync               fsync the current file (or /data)             -> ok | err ERRNO
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char out[8192];
static int current = -1;

static void path(char *dst, size_t cap, const char *name) {
    snprintf(dst, cap, "/data/%s", name);
}

static void err(void) { snprintf(out, sizeof out, "err %d", errno); }

static void command(char *line) {
    char *cmd = strtok(line, " ");
    char *a = strtok(NULL, " ");
    char *b = strtok(NULL, "");
    char p[512], q[512];
    out[0] = 0;
    if (cmd == NULL) {
        snprintf(out, sizeof out, "?");
    } else if ((strcmp(cmd, "put") == 0 || strcmp(cmd, "add") == 0) && a != NULL) {
        path(p, sizeof p, a);
        int fd = open(p, O_WRONLY | O_CREAT | (cmd[0] == 'p' ? O_TRUNC : O_APPEND), 0644);
        if (fd < 0) {
            err();
            return;
        }
        size_t n = b == NULL ? 0 : strlen(b);
        if (write(fd, b == NULL ? "" : b, n) != (ssize_t)n) {
            err();
        } else {
            snprintf(out, sizeof out, "ok");
        }
        close(fd);
    } else if (strcmp(cmd, "cat") == 0 && a != NULL) {
        path(p, sizeof p, a);
        int fd = open(p, O_RDONLY);
        if (fd < 0) {
            err();
            return;
        }
        ssize_t n = read(fd, out, sizeof out - 1);
        out[n < 0 ? 0 : n] = 0;
        close(fd);
    } else if (strcmp(cmd, "mv") == 0 && a != NULL && b != NULL) {
        path(p, sizeof p, a);
        path(q, sizeof q, b);
        snprintf(out, sizeof out, "ok");
        if (rename(p, q) != 0) {
            err();
        }
    } else if (strcmp(cmd, "rm") == 0 && a != NULL) {
        path(p, sizeof p, a);
        snprintf(out, sizeof out, "ok");
        if (unlink(p) != 0) {
            err();
        }
    } else if (strcmp(cmd, "mkdir") == 0 && a != NULL) {
        path(p, sizeof p, a);
        snprintf(out, sizeof out, "ok");
        if (mkdir(p, 0755) != 0) {
            err();
        }
    } else if (strcmp(cmd, "ls") == 0) {
        path(p, sizeof p, a == NULL ? "." : a);
        struct dirent **names;
        int n = scandir(p, &names, NULL, alphasort);
        if (n < 0) {
            err();
            return;
        }
        size_t used = 0;
        for (int i = 0; i < n; i++) {
            if (names[i]->d_name[0] != '.') {
                used += (size_t)snprintf(out + used, sizeof out - used, "%s%s", used ? " " : "",
                                         names[i]->d_name);
            }
            free(names[i]);
        }
        free(names);
    } else if (strcmp(cmd, "size") == 0 && a != NULL) {
        struct stat st;
        path(p, sizeof p, a);
        if (stat(p, &st) != 0) {
            err();
        } else {
            snprintf(out, sizeof out, "%lld", (long long)st.st_size);
        }
    } else if (strcmp(cmd, "open") == 0 && a != NULL) {
        path(p, sizeof p, a);
        if (current >= 0) {
            close(current);
        }
        current = open(p, O_RDWR | O_CREAT, 0644);
        snprintf(out, sizeof out, "ok");
        if (current < 0) {
            err();
        }
    } else if (strcmp(cmd, "gets") == 0 && a != NULL) {
        size_t want = (size_t)atoi(a);
        ssize_t n = read(current, out, want < sizeof out ? want : sizeof out - 1);
        out[n < 0 ? 0 : n] = 0;
    } else if (strcmp(cmd, "puts") == 0 && a != NULL) {
        size_t n = strlen(a);
        snprintf(out, sizeof out, "ok");
        if (write(current, a, n) != (ssize_t)n) {
            err();
        }
    } else if (strcmp(cmd, "seek") == 0 && a != NULL) {
        snprintf(out, sizeof out, "%lld", (long long)(lseek)(current, atoll(a), SEEK_SET));
    } else if (strcmp(cmd, "sync") == 0) {
        int fd = current >= 0 ? current : open("/data", O_RDONLY | O_DIRECTORY);
        snprintf(out, sizeof out, "ok");
        if (fd < 0 || fsync(fd) != 0) {
            err();
        }
        if (fd >= 0 && fd != current) {
            close(fd);
        }
    } else {
        snprintf(out, sizeof out, "?");
    }
}

int main(void) {
    const char *env = getenv("COLO_LISTEN_FD");
    int listener = env != NULL ? atoi(env) : 3;
    static char buf[4096];
    for (;;) {
        int c = accept(listener, NULL, NULL);
        if (c < 0) {
            continue;
        }
        size_t have = 0;
        for (;;) {
            ssize_t n = recv(c, buf + have, sizeof buf - 1 - have, 0);
            if (n <= 0) {
                break;
            }
            have += (size_t)n;
            char *nl;
            while ((nl = memchr(buf, '\n', have)) != NULL) {
                *nl = 0;
                command(buf);
                size_t len = strlen(out);
                out[len] = '\n';
                send(c, out, len + 1, 0);
                size_t used = (size_t)(nl - buf) + 1;
                memmove(buf, buf + used, have - used);
                have -= used;
            }
            if (have == sizeof buf - 1) {
                have = 0;
            }
        }
        close(c);
    }
}
