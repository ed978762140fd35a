#define _GNU_SOURCE
#include "cpu_round_trip.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The cache line the two threads hand back and forth (allocated alone, 64-byte aligned). An odd `ball` is the caller's,
 * which the other thread answers by writing the next even one; a negative one stops it. The other thread reads `cpu`
 * and writes `pinned` before the first ball. */
typedef struct {
    _Alignas(64) _Atomic long ball;
    int cpu;
    int pinned;
} shared_line;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *answer(void *argument) {
    shared_line *line = argument;
    line->pinned = pin_current_thread(line->cpu) == 0;
    long answered = 0;
    for (;;) {
        long ball = atomic_load_explicit(&line->ball, memory_order_acquire);
        if (ball < 0) break;
        if ((ball & 1) && ball != answered) {
            answered = ball;
            atomic_store_explicit(&line->ball, ball + 1, memory_order_release);
        }
    }
    return NULL;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void toon_cpu_round_trip(int trips, int batches, double timeout_seconds, toon_round_trip *result) {
    memset(result, 0, sizeof *result);
    result->first_cpu = result->second_cpu = -1;
    cpu_set_t allowed;
    int refused = trips < 1 || batches < 1 ? EINVAL : pthread_getaffinity_np(pthread_self(), sizeof allowed, &allowed);
    if (refused != 0) {
        result->status = TOON_ROUND_TRIP_FAILED;
        result->error = refused;
        return;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE && result->second_cpu < 0; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        if (result->first_cpu < 0) result->first_cpu = cpu; else result->second_cpu = cpu;
    }
    if (result->second_cpu < 0) {
        result->status = TOON_ROUND_TRIP_ONE_CPU;
        return;
    }
    shared_line *line = aligned_alloc(64, sizeof *line);
    double *times = malloc(sizeof(double) * (size_t)batches);
    if (!line || !times) {
        free(line);
        free(times);
        result->status = TOON_ROUND_TRIP_FAILED;
        result->error = ENOMEM;
        return;
    }
    atomic_init(&line->ball, 0);
    line->cpu = result->second_cpu;
    line->pinned = 0;
    pthread_t other;
    int failure = pthread_create(&other, NULL, answer, line);
    int created = failure == 0;
    if (created) failure = pin_current_thread(result->first_cpu);
    if (failure != 0) {
        result->status = TOON_ROUND_TRIP_FAILED;
        result->error = failure;
    } else {
        double deadline = now_seconds() + timeout_seconds;
        long ball = 1;
        /* Batch 0 warms up: the other thread may not have started or moved to its CPU yet. */
        for (int batch = 0; batch <= batches && result->status == TOON_ROUND_TRIP_MEASURED; batch++) {
            double start = now_seconds();
            for (int trip = 0; trip < trips && result->status == TOON_ROUND_TRIP_MEASURED; trip++, ball += 2) {
                atomic_store_explicit(&line->ball, ball, memory_order_release);
                for (unsigned spins = 1; atomic_load_explicit(&line->ball, memory_order_acquire) != ball + 1; spins++) {
                    if ((spins & 4095) == 0 && now_seconds() > deadline) {
                        result->status = TOON_ROUND_TRIP_TIMED_OUT;
                        break;
                    }
                }
            }
            if (batch > 0) times[batch - 1] = (now_seconds() - start) / trips * 1e9;
        }
    }
    if (created) {
        atomic_store_explicit(&line->ball, -1, memory_order_release);
        pthread_join(other, NULL);
        if (!line->pinned && result->status == TOON_ROUND_TRIP_MEASURED) {
            result->status = TOON_ROUND_TRIP_FAILED;
            result->error = EINVAL;
        }
    }
    pthread_setaffinity_np(pthread_self(), sizeof allowed, &allowed);
    if (result->status == TOON_ROUND_TRIP_MEASURED) {
        qsort(times, (size_t)batches, sizeof(double), compare_doubles);
        result->nanoseconds = times[batches / 2];
    }
    free(times);
    free(line);
}
