// The few glibc functions that Swift's Glibc module leaves out.
#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>

// Declared by <pthread.h> only under _GNU_SOURCE.
int pthread_setname_np(pthread_t thread, const char *name);

// How many times the system has taken the calling thread's core away
// while it could still run: getrusage(RUSAGE_THREAD) (which <sys/resource.h>
// names only under _GNU_SOURCE; its value is 1 since Linux 2.6.26).
static inline long reslab_thread_preemptions(void) {
    struct rusage usage;
    return getrusage(1, &usage) == 0 ? usage.ru_nivcsw : 0;
}
#endif
