// The few glibc functions that Swift's Glibc module leaves out.
#if defined(__linux__)
#include <malloc.h>
#include <pthread.h>

// Declared by <pthread.h> only under _GNU_SOURCE.
int pthread_setname_np(pthread_t thread, const char *name);
#endif
