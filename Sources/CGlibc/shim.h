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

// The calling thread's floating-point control word (x86-64: MXCSR; arm64:
// FPCR), and the same with subnormals flushed: subnormal inputs read as
// zero and subnormal results written as zero (MXCSR's DAZ and FTZ bits,
// FPCR's FZ bit). Each thread has its own.
#if defined(__x86_64__)
#include <xmmintrin.h>
static inline unsigned long reslab_fp_control(void) { return _mm_getcsr(); }
static inline void reslab_set_fp_control(unsigned long word) { _mm_setcsr((unsigned int)word); }
static inline unsigned long reslab_subnormals_flushed(unsigned long word) { return word | 0x8040; }
#elif defined(__aarch64__)
static inline unsigned long reslab_fp_control(void) {
    unsigned long word;
    __asm__ volatile("mrs %0, fpcr" : "=r"(word));
    return word;
}
static inline void reslab_set_fp_control(unsigned long word) { __asm__ volatile("msr fpcr, %0" : : "r"(word)); }
static inline unsigned long reslab_subnormals_flushed(unsigned long word) { return word | (1UL << 24); }
#else
static inline unsigned long reslab_fp_control(void) { return 0; }
static inline void reslab_set_fp_control(unsigned long word) { (void)word; }
static inline unsigned long reslab_subnormals_flushed(unsigned long word) { return word; }
#endif

// Returns the pages of the heap's free chunks to the system (glibc's
// malloc_trim, which since 2.8 releases free pages inside the heap too, not
// only at its top). Other C libraries keep their own policy: nothing to do.
#if defined(__GLIBC__)
#include <malloc.h>
static inline void reslab_release_free_heap_pages(void) { (void)malloc_trim(0); }
#else
static inline void reslab_release_free_heap_pages(void) {}
#endif

// Sixteen floats stored straight to memory at `p`, which must be 64-byte
// aligned (x86-64: vmovntps), and the fence that orders such stores before
// the stores that follow it (sfence), which must come before another
// thread may read them. Swift has neither.
typedef float reslab_float16 __attribute__((ext_vector_type(16)));
static inline void reslab_store_streaming(float *p, reslab_float16 v) {
    __builtin_nontemporal_store(v, (reslab_float16 *)p);
}
#if defined(__x86_64__)
static inline void reslab_streaming_fence(void) { _mm_sfence(); }
#else
static inline void reslab_streaming_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#endif

// Asks the caches to fetch the 64-byte line at `p` into L1 and L2 ahead of
// its first read (x86-64: prefetcht0), without waiting for it. Swift has none.
static inline void reslab_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
