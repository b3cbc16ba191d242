/*
 * wasi-heap fixture: a stock WASI program (no workaround of any kind) whose heap grows across the
 * end of its initial memory while it blocks between allocations. For each line a client sends it
 * allocates one more 4 KiB block, fills it with a pattern of its own, checks every block so far
 * and answers "ok N" or "corrupt N". Asyncify unwinds at every blocking accept and recv, so a host
 * that kept its Asyncify data in memory the allocator hands out would corrupt a block (or trap).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define BLOCK_WORDS 1024 /* 4 KiB */
#define MAX_BLOCKS 256

static uint32_t *blocks[MAX_BLOCKS];
static size_t nblocks;

static uint32_t pattern(size_t block, size_t word) {
    return (uint32_t)(block * 2654435761u) ^ (uint32_t)word;
}

static int grow_and_check(void) {
    if (nblocks < MAX_BLOCKS) {
        uint32_t *b = malloc(BLOCK_WORDS * sizeof *b);
        if (b == NULL) {
            return 0;
        }
        for (size_t w = 0; w < BLOCK_WORDS; w++) {
            b[w] = pattern(nblocks, w);
        }
        blocks[nblocks++] = b;
    }
    for (size_t k = 0; k < nblocks; k++) {
        for (size_t w = 0; w < BLOCK_WORDS; w++) {
            if (blocks[k][w] != pattern(k, w)) {
                return 0;
            }
        }
    }
    return 1;
}

int main(void) {
    const char *fd = getenv("COLO_LISTEN_FD");
    if (fd == NULL) {
        return 2;
    }
    int listener = atoi(fd);
    for (;;) {
        int c = accept(listener, NULL, NULL);
        if (c < 0) {
            return 2;
        }
        char buf[64];
        ssize_t r;
        while ((r = recv(c, buf, sizeof buf, 0)) > 0) {
            for (ssize_t i = 0; i < r; i++) {
                if (buf[i] == '\n') {
                    char out[32];
                    int ok = grow_and_check();
                    int len = snprintf(out, sizeof out, "%s %zu\n", ok ? "ok" : "corrupt", nblocks);
                    send(c, out, (size_t)len, 0);
                }
            }
        }
        close(c);
    }
}
