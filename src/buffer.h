/* SPDX-License-Identifier: MIT */
/* buffer.h — a growable allocation, for the workspaces of net.c and draw.c:
 * buffers grow to the largest configuration a rank has seen and are reused.
 * Internal to the maths. */
#ifndef GRADSWEEP_BUFFER_H
#define GRADSWEEP_BUFFER_H

#include <stdbool.h>
#include <stdlib.h>

typedef struct gs_buffer {
    void *p;
    size_t cap; /* bytes */
} gs_buffer;

/* Grows b to hold at least bytes, keeping its contents when keep is set.
 * Sets *moved when the contents are gone. Returns false when memory runs out
 * (the configuration fails, the rank goes on). */
static inline bool buffer_reserve(gs_buffer *b, size_t bytes, bool keep, bool *moved) {
    if (b->cap >= bytes) return true;
    if (keep) {
        void *p = realloc(b->p, bytes);
        if (!p) return false;
        b->p = p;
    } else {
        free(b->p);
        b->p = malloc(bytes);
        *moved = true;
    }
    b->cap = b->p ? bytes : 0;
    return b->p != NULL;
}

/* A buffer whose contents need not survive. */
static inline bool buffer_grow(gs_buffer *b, size_t bytes) {
    bool moved = false;
    return buffer_reserve(b, bytes, false, &moved);
}

static inline void buffer_free(gs_buffer *b) {
    free(b->p);
    *b = (gs_buffer){0};
}

#endif
