#define _GNU_SOURCE
#include "cpu_round_trip.h"

#include <errno.h>
#include <string.h>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
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

/* The other thread: answers each odd ball with the next even one. The answer only replaces the ball it read, so a stop
 * written meanwhile is never overwritten. */
static void *answer(void *argument) {
    shared_line *line = argument;
    line->pinned = pin_current_thread(line->cpu) == 0;
    for (;;) {
        long ball = atomic_load_explicit(&line->ball, memory_order_acquire);
        if (ball < 0) break;
        if (ball & 1) {
            atomic_compare_exchange_strong_explicit(&line->ball, &ball, ball + 1, memory_order_release, memory_order_relaxed);
        }
    }
    return NULL;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The first two CPUs of `allowed` into the result; 0 when there are fewer than two. */
static int choose_cpus(const cpu_set_t *allowed, toon_round_trip *result) {
    for (int cpu = 0; cpu < CPU_SETSIZE && result->second_cpu < 0; cpu++) {
        if (!CPU_ISSET(cpu, allowed)) continue;
        if (result->first_cpu < 0) result->first_cpu = cpu; else result->second_cpu = cpu;
    }
    return result->second_cpu >= 0;
}

/* Throws balls from the calling thread (pinned already): a warm-up batch, then `batches` batches of `trips`, each
 * batch's time per trip into `times`. Stops with TOON_ROUND_TRIP_TIMED_OUT at the deadline. */
static int throw_balls(shared_line *line, int trips, int batches, double timeout_seconds, double *times) {
    double deadline = now_seconds() + timeout_seconds;
    long ball = 1;
    for (int batch = 0; batch <= batches; batch++) {
        double start = now_seconds();
        for (int trip = 0; trip < trips; trip++, ball += 2) {
            atomic_store_explicit(&line->ball, ball, memory_order_release);
            for (unsigned spins = 1; atomic_load_explicit(&line->ball, memory_order_acquire) != ball + 1; spins++) {
                if ((spins & 4095) == 0 && now_seconds() > deadline) return TOON_ROUND_TRIP_TIMED_OUT;
            }
        }
        if (batch > 0) times[batch - 1] = (now_seconds() - start) / trips * 1e9;
    }
    return TOON_ROUND_TRIP_MEASURED;
}

void toon_cpu_round_trip(int trips, int batches, double timeout_seconds, toon_round_trip *result) {
    memset(result, 0, sizeof *result);
    result->first_cpu = result->second_cpu = -1;
    cpu_set_t allowed;
    int failure = trips < 1 || batches < 1 ? EINVAL : pthread_getaffinity_np(pthread_self(), sizeof allowed, &allowed);
    if (failure == 0 && !choose_cpus(&allowed, result)) {
        result->status = TOON_ROUND_TRIP_ONE_CPU;
        return;
    }
    shared_line *line = failure ? NULL : aligned_alloc(64, sizeof *line);
    double *times = failure ? NULL : malloc(sizeof(double) * (size_t)batches);
    if (failure == 0 && (!line || !times)) failure = ENOMEM;
    pthread_t other;
    int created = 0;
    if (failure == 0) {
        atomic_init(&line->ball, 0);
        line->cpu = result->second_cpu;
        line->pinned = 0;
        failure = pthread_create(&other, NULL, answer, line);
        created = failure == 0;
    }
    int caller_moved = failure == 0;
    if (caller_moved) failure = pin_current_thread(result->first_cpu);
    if (failure == 0) result->status = throw_balls(line, trips, batches, timeout_seconds, times);
    if (created) {
        atomic_store_explicit(&line->ball, -1, memory_order_release);
        pthread_join(other, NULL);
        if (failure == 0 && !line->pinned) failure = EINVAL;
    }
    if (caller_moved) {
        int restored = pthread_setaffinity_np(pthread_self(), sizeof allowed, &allowed);
        if (failure == 0 && restored != 0) failure = restored;
    }
    if (failure != 0) {
        result->status = TOON_ROUND_TRIP_FAILED;
        result->error = failure;
    } else if (result->status == TOON_ROUND_TRIP_MEASURED) {
        qsort(times, (size_t)batches, sizeof(double), compare_doubles);
        result->nanoseconds = times[batches / 2];
    }
    free(times);
    free(line);
}

#else

void toon_cpu_round_trip(int trips, int batches, double timeout_seconds, toon_round_trip *result) {
    (void)trips, (void)batches, (void)timeout_seconds;
    memset(result, 0, sizeof *result);
    result->first_cpu = result->second_cpu = -1;
    result->status = TOON_ROUND_TRIP_FAILED;
    result->error = ENOSYS;  /* pinning threads to CPUs is Linux's pthread_setaffinity_np */
}

#endif
