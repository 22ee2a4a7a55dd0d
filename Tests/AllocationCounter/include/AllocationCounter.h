#ifndef RESLAB_ALLOCATION_COUNTER_H
#define RESLAB_ALLOCATION_COUNTER_H

/// How many times the calling thread has asked the C allocator for memory
/// (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) since
/// it started. Linked into the test binary only, whose definitions of those
/// functions stand in front of glibc's for the whole process.
long reslab_thread_allocations(void);

#endif
