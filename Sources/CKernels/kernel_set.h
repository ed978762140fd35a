// Compiles kernel_bodies.h for the set that CK_NAME and CK_LANES (and CK_FUSED, 1 unless defined) describe, then
// forgets them, so that kernels.c can describe the next set. No include guard: kernels.c includes it once per set.
#ifndef CK_FUSED
#define CK_FUSED 1
#endif
#include "kernel_bodies.h"
#undef CK_NAME
#undef CK_LANES
#undef CK_FUSED
