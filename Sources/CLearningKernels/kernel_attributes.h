// Attributes and helpers shared by the kernel files (private to CLearningKernels).
//
// SwiftPM compiles C targets of a debug build at -O0, where nothing vectorises: benchmarks
// measure release builds (`swift build -c release`, -O2 plus loop vectorisation). No unsafe
// flags are used; the hints live in the source:
//  - target_clones: one version per micro-architecture level, chosen at load time by an ifunc;
//  - FP_CONTRACT OFF (in every .c file): no fused multiply-add in any version, so all versions
//    round the same;
//  - __builtin_elementwise_sqrt: a square root without errno handling, which vectorises
//    (sqrtf may set errno for negative input and then blocks vectorisation under glibc).
#ifndef CL_KERNEL_ATTRIBUTES_H
#define CL_KERNEL_ATTRIBUTES_H

#include <math.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef CL_CLONES
#define CL_CLONES
#endif

#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define CL_SQRT(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef CL_SQRT
#define CL_SQRT(x) sqrtf(x)
#endif

#endif
