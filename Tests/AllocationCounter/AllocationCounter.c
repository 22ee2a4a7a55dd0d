// A counting allocator: every allocation function glibc offers is defined
// here, counts one call on the calling thread and in the process, and hands
// the request to glibc's own implementation (its __libc_ entry points, which
// glibc exports for exactly this use). Frees are passed through uncounted.
//
// Linked into the test binary, it serves the allocation tests. Built as a
// library and preloaded (Tests/Reference/count_allocations.sh), it prints
// the process's count at exit when RESLAB_REPORT_ALLOCATIONS is set.
#include "AllocationCounter.h"
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

// Initial-exec: reaching the counter must never itself allocate.
static _Thread_local long threadAllocations __attribute__((tls_model("initial-exec")));
static atomic_long processAllocations;

long reslab_thread_allocations(void) { return threadAllocations; }

static void countOne(void) {
    threadAllocations += 1;
    atomic_fetch_add_explicit(&processAllocations, 1, memory_order_relaxed);
}

__attribute__((destructor)) static void report(void) {
    if (getenv("RESLAB_REPORT_ALLOCATIONS")) dprintf(2, "malloc calls: %ld\n", atomic_load(&processAllocations));
}

void *malloc(size_t size) {
    countOne();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    countOne();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    countOne();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    countOne();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    countOne();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    countOne();
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}
