/*
 * How long a cache line takes to travel from one core to the other and
 * back: two threads, pinned to CPUs 0 and 1, hand a counter to each other
 * through one line, each waiting to see the other's increment before it
 * writes its own. Every hand-over moves the line between the cores' caches,
 * so a round trip is two such moves, as when one thread writes what the
 * other then reads (a weight updated by one core and read by the other's
 * shard, a gradient summed across shards, a batch norm's exchange).
 *
 *     cc -O2 -pthread -o /tmp/core_to_core Tests/Reference/core_to_core.c && /tmp/core_to_core
 *
 * Prints the median of five timings of 200 000 round trips, in
 * nanoseconds. The README's Performance section uses it, beside
 * `reslab bench` (Tests/Reference/core_distance.py), to show that on this
 * virtual machine the distance between its two CPUs changes from hour to
 * hour, and with it the speed of the data-parallel dense steps.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { roundTrips = 200000, timings = 5 };

/* The line the counter travels in, alone in it. */
static _Alignas(64) _Atomic long counter;

static int pinToCPU(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* CPU 1's side: answers every odd value with the next even one. */
static void *answer(void *failed) {
    if (pinToCPU(1) != 0) {
        atomic_store((_Atomic int *)failed, 1);
        return NULL;
    }
    for (long i = 0; i < roundTrips; i++) {
        while (atomic_load_explicit(&counter, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&counter, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    if (pinToCPU(0) != 0) {
        fprintf(stderr, "core_to_core: cannot pin a thread to CPU 0\n");
        return 1;
    }
    double nanoseconds[timings];
    for (int timing = 0; timing < timings; timing++) {
        _Atomic int failed = 0;
        atomic_store(&counter, 0);
        pthread_t other;
        if (pthread_create(&other, NULL, answer, &failed) != 0) {
            fprintf(stderr, "core_to_core: cannot start a second thread\n");
            return 1;
        }
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long i = 0; i < roundTrips && !atomic_load(&failed); i++) {
            atomic_store_explicit(&counter, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&counter, memory_order_acquire) != 2 * i + 2 && !atomic_load(&failed)) {}
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        pthread_join(other, NULL);
        if (atomic_load(&failed)) {
            fprintf(stderr, "core_to_core: cannot pin a thread to CPU 1 (this machine needs two CPUs)\n");
            return 1;
        }
        nanoseconds[timing] = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / roundTrips;
    }
    qsort(nanoseconds, timings, sizeof nanoseconds[0], ascending);
    printf("%.0f\n", nanoseconds[timings / 2]);
    return 0;
}
