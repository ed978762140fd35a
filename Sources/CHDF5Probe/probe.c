#define _GNU_SOURCE
#include "hdf5_probe.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The variable that turns a start of this executable into a probe of the file it names. */
static const char path_variable[] = "TOONKIT_HDF5_PROBE_PATH";

/*
 * Bounds on what a walk may meet. A checkpoint holds hundreds of tensors per network (a few thousand
 * objects with optimizer state), at most three groups deep, with attributes of a few hundred bytes;
 * these bounds leave wide margins while keeping a hostile file from steering the child into unbounded work.
 */
enum {
    max_depth = 16,
    max_objects = 200000,
    max_name_bytes = 4096,
    max_attribute_bytes = 1 << 20,
    max_string_elements = 1 << 20,
    max_fixed_string_bytes = 64 << 20,
};
/* The executable with its libraries and one OpenBLAS thread maps about 140 MB; the rest is for libhdf5. */
static const rlim_t child_memory_bytes = (rlim_t)1 << 30;

/* ------------------------------------------------------------------ the walk (child side) */

typedef struct {
    unsigned char bytes[16];
} object_key;

typedef struct {
    hid_t file;
    hsize_t file_size;
    object_key *seen;
    size_t seen_count, seen_capacity;
    int outcome;
    char message[sizeof(((toon_probe_result *)0)->message)];
} walk_state;

static int refuse(walk_state *w, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(w->message, sizeof w->message, format, arguments);
    va_end(arguments);
    w->outcome = TOON_PROBE_REFUSED;
    return -1;
}

typedef struct {
    char *text;
    size_t capacity, used;
    unsigned frames;
} error_text;

static herr_t collect_error_frame(unsigned n, const H5E_error2_t *frame, void *context) {
    (void)n;
    error_text *out = context;
    const char *description = (frame->desc && frame->desc[0]) ? frame->desc : frame->func_name;
    if (!description) return 0;
    int written = snprintf(out->text + out->used, out->capacity - out->used, "%s%s", out->frames++ ? ": " : "", description);
    if (written > 0) out->used += (size_t)written < out->capacity - out->used ? (size_t)written : out->capacity - out->used - 1;
    return 0;
}

/* An HDF5 call failed: the library's own error stack becomes the message. */
static int unreadable(walk_state *w, const char *what, const char *path) {
    int written = snprintf(w->message, sizeof w->message, "%s %s", what, path);
    error_text out = {w->message, sizeof w->message, written > 0 ? (size_t)written : 0, 0};
    if (out.used + 4 < out.capacity) {
        memcpy(out.text + out.used, " (", 3);
        out.used += 2;
        size_t before = out.used;
        H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error_frame, &out);
        if (out.used == before) out.used -= 2, out.text[out.used] = 0;
        else if (out.used + 1 < out.capacity) out.text[out.used++] = ')', out.text[out.used] = 0;
    }
    w->outcome = TOON_PROBE_UNREADABLE;
    return -1;
}

static int object_identity(walk_state *w, hid_t location, const char *name, const char *path, H5O_type_t *type,
                           object_key *key) {
    memset(key, 0, sizeof *key);
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(location, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return unreadable(w, "cannot read the object header of", path);
    memcpy(key->bytes, &info.token, sizeof info.token < sizeof key->bytes ? sizeof info.token : sizeof key->bytes);
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(location, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return unreadable(w, "cannot read the object header of", path);
    memcpy(key->bytes, &info.addr, sizeof info.addr);
#endif
    *type = info.type;
    return 0;
}

/* Every object may be reached by one path only: a second hard link to it is an alias or a cycle. */
static int remember(walk_state *w, const object_key *key, const char *path) {
    for (size_t i = 0; i < w->seen_count; i++) {
        if (memcmp(w->seen[i].bytes, key->bytes, sizeof key->bytes) == 0)
            return refuse(w, "%s is a second hard link to an object already reached by another path (a hard-link cycle "
                             "or alias; checkpoints link every object once)", path);
    }
    if (w->seen_count >= max_objects) return refuse(w, "the file holds more than %d objects", max_objects);
    if (w->seen_count == w->seen_capacity) {
        size_t capacity = w->seen_capacity ? w->seen_capacity * 2 : 256;
        object_key *grown = realloc(w->seen, capacity * sizeof *grown);
        if (!grown) return refuse(w, "out of memory while walking the file");
        w->seen = grown;
        w->seen_capacity = capacity;
    }
    w->seen[w->seen_count++] = *key;
    return 0;
}

static int element_count(walk_state *w, hid_t space, const char *path, hsize_t *count) {
    H5S_class_t class = H5Sget_simple_extent_type(space);
    if (class == H5S_NULL) return *count = 0, 0;
    if (class == H5S_SCALAR) return *count = 1, 0;
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > H5S_MAX_RANK) return unreadable(w, "cannot read the dataspace of", path);
    hsize_t dims[H5S_MAX_RANK];
    if (H5Sget_simple_extent_dims(space, dims, NULL) < 0) return unreadable(w, "cannot read the dataspace of", path);
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] != 0 && total > UINT64_MAX / dims[i]) return refuse(w, "%s declares more elements than 2^64", path);
        total *= dims[i];
    }
    *count = total;
    return 0;
}

/* Reads a string value the way the checkpoint reader will (variable length as pointers, fixed as bytes). */
static int read_strings(walk_state *w, hid_t object, int is_attribute, hid_t type, hid_t space, hsize_t count,
                        const char *path) {
    if (count > max_string_elements) return refuse(w, "%s holds %llu strings, more than the %d allowed", path,
                                                   (unsigned long long)count, max_string_elements);
    hid_t memory = H5Tcopy(H5T_C_S1);
    int status = -1;
    void *buffer = NULL;
    htri_t variable = H5Tis_variable_str(type);
    size_t width = H5Tget_size(type);
    if (memory < 0 || variable < 0 || H5Tset_cset(memory, H5Tget_cset(type)) < 0) goto done;
    if (variable) {
        if (H5Tset_size(memory, H5T_VARIABLE) < 0) goto done;
        buffer = calloc(count ? count : 1, sizeof(char *));
    } else {
        if (width == 0 || count > max_fixed_string_bytes / width) {
            status = refuse(w, "%s declares %llu fixed strings of %zu bytes, more than %d bytes", path,
                            (unsigned long long)count, width, max_fixed_string_bytes);
            goto done;
        }
        if (H5Tset_size(memory, width) < 0) goto done;
        buffer = calloc(count ? count : 1, width);
    }
    if (!buffer) goto done;
    herr_t read = is_attribute ? H5Aread(object, memory, buffer) : H5Dread(object, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    if (read < 0) goto done;
    if (variable) H5Dvlen_reclaim(memory, space, H5P_DEFAULT, buffer);
    status = 0;
done:
    if (status < 0 && w->outcome == TOON_PROBE_ACCEPTED) unreadable(w, "cannot read the strings of", path);
    free(buffer);
    if (memory >= 0) H5Tclose(memory);
    return status;
}

static int check_attribute(walk_state *w, hid_t attribute, const char *path) {
    hid_t type = H5Aget_type(attribute), space = H5Aget_space(attribute);
    int status = -1;
    hsize_t count = 0;
    if (type < 0 || space < 0) {
        unreadable(w, "cannot read the type of attribute", path);
        goto done;
    }
    if (element_count(w, space, path, &count) < 0) goto done;
    H5T_class_t class = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    if (class == H5T_STRING) {
        status = read_strings(w, attribute, 1, type, space, count, path);
    } else if (class == H5T_INTEGER || class == H5T_FLOAT || class == H5T_ENUM) {
        if (count > max_attribute_bytes / 8 || size > 8) {
            status = refuse(w, "attribute %s is larger than %d bytes", path, max_attribute_bytes);
            goto done;
        }
        hid_t memory = class == H5T_INTEGER ? H5T_NATIVE_INT64 : class == H5T_FLOAT ? H5T_NATIVE_DOUBLE : type;
        void *buffer = calloc(count ? count : 1, 8);
        status = buffer && H5Aread(attribute, memory, buffer) >= 0 ? 0 : unreadable(w, "cannot read attribute", path);
        free(buffer);
    } else {
        status = 0; /* other classes are reported as unsupported by the reader, never read */
    }
done:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    return status;
}

static int check_attributes(walk_state *w, hid_t object, const char *path) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(object, &info, H5O_INFO_NUM_ATTRS) < 0) return unreadable(w, "cannot count the attributes of", path);
#else
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS) < 0) return unreadable(w, "cannot count the attributes of", path);
#endif
    for (hsize_t i = 0; i < info.num_attrs; i++) {
        char name[max_name_bytes], attribute_path[2 * max_name_bytes];
        ssize_t length = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (length < 0) return unreadable(w, "cannot read an attribute name of", path);
        if ((size_t)length >= sizeof name) return refuse(w, "an attribute name of %s is longer than %d bytes", path, max_name_bytes);
        snprintf(attribute_path, sizeof attribute_path, "%s@%s", path, name);
        hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
        if (attribute < 0) return unreadable(w, "cannot open attribute", attribute_path);
        int status = check_attribute(w, attribute, attribute_path);
        H5Aclose(attribute);
        if (status < 0) return -1;
    }
    return 0;
}

static int check_storage(walk_state *w, hid_t dataset, hid_t properties, const char *path) {
    int external = H5Pget_external_count(properties);
    if (external < 0) return unreadable(w, "cannot read the storage properties of", path);
    if (external > 0) {
        char target[512] = "";
        off_t offset = 0;
        hsize_t size = 0;
        H5Pget_external(properties, 0, sizeof target, target, &offset, &size);
        target[sizeof target - 1] = 0;
        for (char *c = target; *c; c++) if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
        return refuse(w, "%s keeps its data in an external file ('%s'); checkpoints are self-contained", path, target);
    }
    switch (H5Pget_layout(properties)) {
    case H5D_CONTIGUOUS: break;
    case H5D_COMPACT: break;
    case H5D_CHUNKED: return refuse(w, "%s is chunked; checkpoints store every dataset contiguous and unfiltered", path);
    case H5D_VIRTUAL: return refuse(w, "%s is a virtual dataset (its data lives in other files); checkpoints are self-contained", path);
    default: return unreadable(w, "cannot read the layout of", path);
    }
    if (H5Pget_nfilters(properties) != 0) return refuse(w, "%s has filters (compression); checkpoints store data unfiltered", path);
    haddr_t offset = H5Dget_offset(dataset);
    hsize_t stored = H5Dget_storage_size(dataset);
    if (offset != HADDR_UNDEF && (offset > w->file_size || stored > w->file_size - offset))
        return refuse(w, "%s: its data (%llu bytes at offset %llu) lies beyond the end of the file (%llu bytes)", path,
                      (unsigned long long)stored, (unsigned long long)offset, (unsigned long long)w->file_size);
    return 0;
}

static int check_dataset(walk_state *w, hid_t dataset, const char *path) {
    hid_t properties = H5Dget_create_plist(dataset), type = H5Dget_type(dataset), space = H5Dget_space(dataset);
    int status = -1;
    hsize_t count = 0;
    if (properties < 0 || type < 0 || space < 0) {
        unreadable(w, "cannot read the header of dataset", path);
        goto done;
    }
    if (check_storage(w, dataset, properties, path) < 0 || element_count(w, space, path, &count) < 0) goto done;
    size_t size = H5Tget_size(type);
    if (size != 0 && count > UINT64_MAX / size) {
        status = refuse(w, "%s declares more than 2^64 bytes", path);
        goto done;
    }
    status = H5Tget_class(type) == H5T_STRING ? read_strings(w, dataset, 0, type, space, count, path) : 0;
done:
    if (properties >= 0) H5Pclose(properties);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    return status;
}

static int walk_group(walk_state *w, hid_t group, const char *path, int depth);

static int visit_link(walk_state *w, hid_t group, const char *name, const char *path, int depth) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t link;
    if (H5Lget_info2(group, name, &link, H5P_DEFAULT) < 0) return unreadable(w, "cannot read the link", path);
#else
    H5L_info_t link;
    if (H5Lget_info(group, name, &link, H5P_DEFAULT) < 0) return unreadable(w, "cannot read the link", path);
#endif
    if (link.type == H5L_TYPE_SOFT) return refuse(w, "%s is a soft link; checkpoints hold hard links only", path);
    if (link.type == H5L_TYPE_EXTERNAL) return refuse(w, "%s is an external link (to an object in another file); checkpoints are self-contained", path);
    if (link.type != H5L_TYPE_HARD) return refuse(w, "%s is a user-defined link; checkpoints hold hard links only", path);
    H5O_type_t type;
    object_key key;
    if (object_identity(w, group, name, path, &type, &key) < 0 || remember(w, &key, path) < 0) return -1;
    hid_t object = H5Oopen(group, name, H5P_DEFAULT);
    if (object < 0) return unreadable(w, "cannot open", path);
    int status = check_attributes(w, object, path);
    if (status == 0) {
        switch (type) {
        case H5O_TYPE_GROUP: status = walk_group(w, object, path, depth + 1); break;
        case H5O_TYPE_DATASET: status = check_dataset(w, object, path); break;
        case H5O_TYPE_NAMED_DATATYPE: status = refuse(w, "%s is a committed datatype, which checkpoints do not hold", path); break;
        default: status = refuse(w, "%s is an object of unknown type", path); break;
        }
    }
    H5Oclose(object);
    return status;
}

static int walk_group(walk_state *w, hid_t group, const char *path, int depth) {
    if (depth > max_depth) return refuse(w, "%s is nested more than %d groups deep", path, max_depth);
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) return unreadable(w, "cannot read group", path);
    if (info.nlinks > max_objects) return refuse(w, "%s holds %llu links, more than %d", path, (unsigned long long)info.nlinks, max_objects);
    hid_t properties = H5Gget_create_plist(group);
    unsigned order = 0;
    if (properties < 0 || H5Pget_link_creation_order(properties, &order) < 0) {
        if (properties >= 0) H5Pclose(properties);
        return unreadable(w, "cannot read the properties of group", path);
    }
    H5Pclose(properties);
    /* The reader lists links by creation order when the group tracks it and looks names up by name:
       both indexes are read here so that a damaged one fails in this process. */
    H5_index_t index = (order & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    for (hsize_t i = 0; i < info.nlinks; i++) {
        char name[max_name_bytes], child[2 * max_name_bytes];
        ssize_t length = H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (length < 0) return unreadable(w, "cannot list the links of", path);
        if ((size_t)length >= sizeof name) return refuse(w, "a link name in %s is longer than %d bytes", path, max_name_bytes);
        snprintf(child, sizeof child, "%s%s%s", path, strcmp(path, "/") == 0 ? "" : "/", name);
        htri_t exists = H5Lexists(group, name, H5P_DEFAULT);
        if (exists < 0) return unreadable(w, "cannot look up", child);
        if (exists == 0) return refuse(w, "%s is listed by its group but cannot be found by name (a damaged link index)", child);
        if (visit_link(w, group, name, child, depth) < 0) return -1;
    }
    return 0;
}

static void walk_file(walk_state *w, const char *path) {
    w->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (w->file < 0) {
        unreadable(w, "cannot open", "the file as HDF5");
        return;
    }
    if (H5Fget_filesize(w->file, &w->file_size) < 0) {
        unreadable(w, "cannot read the size of", "the file");
        return;
    }
    hid_t root = H5Gopen2(w->file, "/", H5P_DEFAULT);
    if (root < 0) {
        unreadable(w, "cannot open", "the root group");
        return;
    }
    if (check_attributes(w, root, "/") == 0) walk_group(w, root, "/", 0);
    H5Gclose(root);
}

static void limit(int resource, rlim_t value) {
    struct rlimit bound = {value, value};
    setrlimit(resource, &bound);
}

/* Runs before main in a process started by toon_probe_file, and never returns there. */
__attribute__((constructor)) static void toon_probe_child_entry(void) {
    const char *path = getenv(path_variable);
    if (!path) return;
    limit(RLIMIT_CORE, 0); /* a crash must not leave a core file beside the user's data */
    limit(RLIMIT_AS, child_memory_bytes);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    walk_state w;
    memset(&w, 0, sizeof w);
    w.outcome = TOON_PROBE_ACCEPTED;
    walk_file(&w, path);
    size_t length = strlen(w.message);
    ssize_t written = write(STDOUT_FILENO, w.message, length);
    (void)written;
    _exit(w.outcome);
}

/* ------------------------------------------------------------------ the spawn (parent side) */

static void fail(toon_probe_result *result, const char *what) {
    result->outcome = TOON_PROBE_FAILED;
    snprintf(result->message, sizeof result->message, "%s: %s", what, strerror(errno));
}

/* The parent's environment with the probe's variables set: OpenBLAS, loaded into the child with the rest of
   the executable, starts one thread instead of one per core, and the child, which only reads, takes no
   HDF5 file lock that could make a writer of the same file fail while it runs. */
static char **child_environment(const char *path) {
    size_t count = 0;
    while (environ[count]) count++;
    char **environment = calloc(count + 4, sizeof(char *));
    if (!environment) return NULL;
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(environ[i], "OPENBLAS_NUM_THREADS=", 21) == 0 || strncmp(environ[i], "HDF5_USE_FILE_LOCKING=", 22) == 0 ||
            strncmp(environ[i], path_variable, sizeof path_variable - 1) == 0) continue;
        environment[used++] = environ[i];
    }
    size_t length = strlen(path_variable) + strlen(path) + 2;
    char *variable = malloc(length);
    if (!variable) {
        free(environment);
        return NULL;
    }
    snprintf(variable, length, "%s=%s", path_variable, path);
    environment[used++] = variable;
    environment[used++] = "OPENBLAS_NUM_THREADS=1";
    environment[used++] = "HDF5_USE_FILE_LOCKING=FALSE";
    environment[used] = NULL;
    return environment;
}

static long long milliseconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Reads the child's message until it closes its end or the deadline passes; returns 0 on time-out. */
static int read_message(int descriptor, int timeout_ms, toon_probe_result *result) {
    long long deadline = milliseconds_now() + timeout_ms;
    size_t used = 0;
    for (;;) {
        long long left = deadline - milliseconds_now();
        if (left <= 0) return 0;
        struct pollfd poll_descriptor = {descriptor, POLLIN, 0};
        int ready = poll(&poll_descriptor, 1, (int)left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return ready == 0 ? 0 : 1;
        char discard[256];
        char *into = used + 1 < sizeof result->message ? result->message + used : discard;
        size_t room = used + 1 < sizeof result->message ? sizeof result->message - used - 1 : sizeof discard;
        ssize_t got = read(descriptor, into, room);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return 1;
        if (into != discard) used += (size_t)got;
        result->message[used] = 0;
    }
}

void toon_probe_file(const char *path, int timeout_ms, toon_probe_result *result) {
    memset(result, 0, sizeof *result);
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) return fail(result, "cannot create a pipe for the HDF5 probe");
    char **environment = child_environment(path);
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    /* Descriptors another thread opened without close-on-exec (HDF5 opens files that way and marks them
       only afterwards) would carry their flock into the child for as long as it runs. */
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    posix_spawnattr_init(&attributes);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    char *arguments[] = {"toonkit-hdf5-probe", NULL};
    pid_t child = -1;
    int spawned = environment ? posix_spawn(&child, "/proc/self/exe", &actions, &attributes, arguments, environment) : ENOMEM;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(pipe_ends[1]);
    if (environment) {
        for (size_t i = 0; environment[i]; i++)
            if (strncmp(environment[i], path_variable, sizeof path_variable - 1) == 0) free(environment[i]);
        free(environment);
    }
    if (spawned != 0) {
        close(pipe_ends[0]);
        errno = spawned;
        return fail(result, "cannot start the HDF5 probe process");
    }
    int finished = read_message(pipe_ends[0], timeout_ms, result);
    close(pipe_ends[0]);
    if (!finished) kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return fail(result, "cannot wait for the HDF5 probe process");
    }
    if (!finished) {
        result->outcome = TOON_PROBE_TIMED_OUT;
    } else if (WIFSIGNALED(status)) {
        result->outcome = TOON_PROBE_CRASHED;
        result->signal_number = WTERMSIG(status);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) <= TOON_PROBE_UNREADABLE) {
        result->outcome = WEXITSTATUS(status);
    } else {
        result->outcome = TOON_PROBE_FAILED;
        snprintf(result->message, sizeof result->message, "the HDF5 probe process exited with status %d", WEXITSTATUS(status));
    }
}
