#ifndef TOONKIT_HDF5_PROBE_H
#define TOONKIT_HDF5_PROBE_H

/*
 * Reads the structure of an untrusted HDF5 file in a child process (see docs/untrusted-files.md):
 * libhdf5 1.10 crashes on some malformed metadata, which no check from outside the
 * library can prevent, so the library first walks the file in a throwaway process. The child is this same
 * executable, started with TOONKIT_HDF5_PROBE_PATH set; a constructor runs the walk before main and exits.
 */

enum toon_probe_outcome {
    TOON_PROBE_ACCEPTED = 0,   /* libhdf5 parsed every object, link and attribute; nothing refused */
    TOON_PROBE_REFUSED = 1,    /* the structure holds something toonkit refuses; message says what */
    TOON_PROBE_UNREADABLE = 2, /* libhdf5 reported an error; message holds its error stack */
    TOON_PROBE_CRASHED = 3,    /* the child died by a signal (signal_number) */
    TOON_PROBE_TIMED_OUT = 4,  /* the child ran past the time limit and was killed */
    TOON_PROBE_FAILED = 5,     /* the child could not be started; message says why */
};

typedef struct {
    int outcome;
    int signal_number;
    char message[2048];
} toon_probe_result;

/* Walks `path` in a child process, waiting at most `timeout_ms`. Thread-safe. */
void toon_probe_file(const char *path, int timeout_ms, toon_probe_result *result);

#endif
