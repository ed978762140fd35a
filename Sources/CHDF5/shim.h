#ifndef TOONKIT_CHDF5_SHIM_H
#define TOONKIT_CHDF5_SHIM_H

#include <hdf5.h>
#include <string.h>

/*
 * Swift cannot import HDF5's function-like macros (they call H5open() and read mutable globals),
 * and imports H5P_DEFAULT / H5S_ALL / H5E_DEFAULT as Int32 instead of hid_t. These accessors
 * return the macro values with their real C types.
 */

static inline hid_t toon_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t toon_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t toon_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline haddr_t toon_HADDR_UNDEF(void) { return HADDR_UNDEF; }
static inline size_t toon_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline unsigned toon_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned toon_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned toon_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }

static inline hid_t toon_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t toon_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t toon_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t toon_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline unsigned toon_H5P_CRT_ORDER_TRACKED_INDEXED(void) {
    return H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
}

static inline hid_t toon_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t toon_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t toon_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t toon_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t toon_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t toon_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t toon_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t toon_H5T_C_S1(void) { return H5T_C_S1; }

/* H5Dvlen_reclaim was replaced by H5Treclaim in 1.12; keep one name for both. */
static inline herr_t toon_reclaim_vlen(hid_t type_id, hid_t space_id, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type_id, space_id, H5P_DEFAULT, buf);
#else
    return H5Dvlen_reclaim(type_id, space_id, H5P_DEFAULT, buf);
#endif
}

/* H5Oget_info changed signature in 1.10.3 and again in 1.12; only the attribute count is needed. */
static inline long long toon_attribute_count(hid_t object_id) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(object_id, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
#elif H5_VERSION_GE(1, 10, 3)
    H5O_info_t info;
    if (H5Oget_info2(object_id, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
#else
    H5O_info_t info;
    if (H5Oget_info(object_id, &info) < 0) return -1;
#endif
    return (long long)info.num_attrs;
}

/* Error-stack capture: joins the description of every frame, outermost (API call) first. */
typedef struct {
    char *buffer;
    size_t capacity;
    size_t used;
} toon_error_text;

static inline herr_t toon_collect_error_frame(unsigned n, const H5E_error2_t *frame, void *context) {
    (void)n;
    toon_error_text *text = (toon_error_text *)context;
    const char *desc = (frame->desc && frame->desc[0]) ? frame->desc : frame->func_name;
    if (!desc || text->used + 3 >= text->capacity) return 0;
    if (text->used > 0) {
        memcpy(text->buffer + text->used, ": ", 2);
        text->used += 2;
    }
    size_t room = text->capacity - text->used - 1;
    size_t length = strlen(desc);
    if (length > room) length = room;
    memcpy(text->buffer + text->used, desc, length);
    text->used += length;
    text->buffer[text->used] = 0;
    return 0;
}

/* Writes the current thread's HDF5 error stack into buffer (NUL-terminated) and clears it. */
static inline void toon_take_error_stack(char *buffer, size_t capacity) {
    if (capacity == 0) return;
    buffer[0] = 0;
    toon_error_text text = { buffer, capacity, 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, toon_collect_error_frame, &text);
    H5Eclear2(H5E_DEFAULT);
}

/* The automatic error printer is per thread in thread-safe builds, so it is silenced per call site. */
static inline void toon_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
