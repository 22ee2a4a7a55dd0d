/*
 * How long one load takes when every load depends on the one before, for
 * working sets from 16 KiB to 2 MiB: a pointer chase through the cache
 * lines of a buffer in a shuffled order, so that no prefetcher can guess
 * the next line. While the buffer fits in a cache level, each load costs
 * that level's latency; the step up shows the level's real size, whatever
 * the virtual machine's CPUID reports.
 *
 *     cc -O2 -o /tmp/load_latency Tests/Reference/load_latency.c && /tmp/load_latency
 *
 * The README's Performance section uses it to tell which core this is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

/* Nanoseconds per load chasing pointers through `bytes` of memory, one
 * pointer per 64-byte line, the lines linked in a shuffled cycle. */
static double nanosecondsPerLoad(size_t bytes) {
    size_t lines = bytes / 64, wordsPerLine = 64 / sizeof(void *);
    void **buffer = aligned_alloc(64, bytes);
    size_t *order = malloc(lines * sizeof(size_t));
    if (buffer == NULL || order == NULL) {
        fprintf(stderr, "load_latency: out of memory for %zu bytes\n", bytes);
        exit(1);
    }
    for (size_t i = 0; i < lines; i++) order[i] = i;
    srand(1);
    for (size_t i = lines - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1), kept = order[i];
        order[i] = order[j];
        order[j] = kept;
    }
    for (size_t i = 0; i < lines; i++)
        buffer[order[i] * wordsPerLine] = &buffer[order[(i + 1) % lines] * wordsPerLine];

    void **p = &buffer[order[0] * wordsPerLine];
    for (size_t i = 0; i < 4 * lines; i++) p = (void **)*p; /* warm the caches */
    const long loads = 20000000;
    double start = seconds();
    for (long i = 0; i < loads; i++) p = (void **)*p;
    double elapsed = seconds() - start;
    if (p == NULL) puts(""); /* uses p, so the chase is not optimised away */
    free(buffer);
    free(order);
    return elapsed / loads * 1e9;
}

int main(void) {
    const size_t kilobytes[] = {16, 24, 28, 32, 36, 40, 44, 48, 56, 64, 96, 128, 256, 512, 768, 1024, 1536, 2048};
    for (size_t i = 0; i < sizeof kilobytes / sizeof kilobytes[0]; i++)
        printf("%5zu KiB  %5.2f ns\n", kilobytes[i], nanosecondsPerLoad(kilobytes[i] * 1024));
    return 0;
}
