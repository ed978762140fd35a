// One kernel source (kernel_bodies.h), compiled once per instruction set under its target attribute (kernel_set.h).
// See docs/engine-kernels.md for how a set is chosen and how the sets differ.

#include "ckernels.h"

// The kernels must round exactly as the Swift code they replaced: a product followed by a sum stays
// two roundings unless the source asks for a fused multiply-add (clang contracts `a * b + c` by default).
#pragma STDC FP_CONTRACT OFF

// The baseline's 8-float vectors are only passed between always-inlined helpers, so clang's note that
// passing them without AVX changes the calling convention concerns no real call.
#pragma clang diagnostic ignored "-Wpsabi"

// Output channels per tile of the direct and Winograd kernels, on every set.
#define CK_CONV_CHANNELS 6

// Put before a loop that reads or writes memory at strides (a transposition, a row split into column phases, a tap added
// at strides) to keep it scalar: for AVX-512, clang vectorises such loops into gathers and scatters, which ran slower than
// the scalar loops on an AMD EPYC Zen 5 (docs/engine-kernels.md "Gathers and scatters").
#define CK_STRIDED_COPY _Pragma("clang loop vectorize(disable)")

#define CK_NAME(name) name##_baseline
#define CK_LANES 8
#if defined(__x86_64__)
#define CK_FUSED 0
#endif
#include "kernel_set.h"

#if defined(__x86_64__)

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define CK_NAME(name) name##_avx2
#define CK_LANES 8
#include "kernel_set.h"
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define CK_NAME(name) name##_avx512
#define CK_LANES 16
#include "kernel_set.h"
#pragma clang attribute pop

// AVX-512's 16-lane source compiled for AVX2: what only AVX-512 machines run (16-lane tiles, panels, interleaves and
// tails) runs here too, and sums formed alike give AVX2's bits (docs/engine-kernels.md "A check of the 16-lane kernels").
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define CK_NAME(name) name##_avx2x16
#define CK_LANES 16
#include "kernel_set.h"
#pragma clang attribute pop

bool ck_cpu_supports(ck_instruction_set set) {
    __builtin_cpu_init();
    switch (set) {
    case ck_baseline: return true;
    case ck_avx2:
    case ck_avx2x16: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ck_avx512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
    }
    return false;
}

const ck_kernel_table *ck_kernels(ck_instruction_set set) {
    switch (set) {
    case ck_baseline: return &kernel_table_baseline;
    case ck_avx2: return &kernel_table_avx2;
    case ck_avx512: return &kernel_table_avx512;
    case ck_avx2x16: return &kernel_table_avx2x16;
    }
    return 0;
}

#else

bool ck_cpu_supports(ck_instruction_set set) { return set == ck_baseline; }

const ck_kernel_table *ck_kernels(ck_instruction_set set) { return set == ck_baseline ? &kernel_table_baseline : 0; }

#endif
