#ifndef TOONKIT_CPU_ROUND_TRIP_H
#define TOONKIT_CPU_ROUND_TRIP_H

/*
 * How long one cache line takes to travel from one CPU to another and back: two threads, pinned to the first two
 * CPUs the calling thread may run on, hand a counter back and forth (docs/engine-kernels.md "The host's slow state").
 * On a virtual machine this follows where the host placed the virtual CPUs: the benchmarks print it beside every
 * measurement, because work split over two threads slows down with it and a single thread does not.
 */

enum toon_round_trip_status {
    TOON_ROUND_TRIP_MEASURED = 0,
    TOON_ROUND_TRIP_ONE_CPU = 1,   /* the calling thread may run on fewer than two CPUs */
    TOON_ROUND_TRIP_FAILED = 2,    /* a thread could not be started, pinned or unpinned, trips or batches < 1, or not
                                      Linux (ENOSYS); `error` holds the errno */
    TOON_ROUND_TRIP_TIMED_OUT = 3, /* the batches did not finish within the time limit (the other CPU ran other work) */
};

typedef struct {
    int status;
    int error;
    int first_cpu, second_cpu;
    /* The median over `batches` batches of `trips` round trips (after one warm-up batch) of one round trip. */
    double nanoseconds;
} toon_round_trip;

/* At most `timeout_seconds` for the warm-up and all batches together. Leaves the calling thread's CPU affinity as it
 * found it (or reports TOON_ROUND_TRIP_FAILED). */
void toon_cpu_round_trip(int trips, int batches, double timeout_seconds, toon_round_trip *result);

#endif
