// Run-time detection of AVX-512 and AVX2 + FMA (see CAVX512.h).
#include "CAVX512.h"

#if defined(__x86_64__)
#include <cpuid.h>

/// CPUID leaf 1's ECX, leaf 7's EBX (0 when the CPU has no leaf 7) and XCR0's low word (0
/// unless the OS uses XSAVE): what both feature checks read.
static void topiary_cpu_words(unsigned *leaf1_ecx, unsigned *leaf7_ebx, unsigned *xcr0) {
    unsigned a, b, c, d;
    *leaf1_ecx = *leaf7_ebx = *xcr0 = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    *leaf1_ecx = c;
    if (__get_cpuid_max(0, 0) >= 7) { __cpuid_count(7, 0, a, b, c, d); *leaf7_ebx = b; }
    if (*leaf1_ecx & bit_OSXSAVE) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        *xcr0 = lo;
    }
}

int topiary_avx512_usable(void) {
    unsigned c1, b7, xcr0;
    topiary_cpu_words(&c1, &b7, &xcr0);
    // XCR0: SSE (1), AVX (2), opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7) state enabled by the OS
    return (b7 & bit_AVX512F) && (xcr0 & 0xE6) == 0xE6;
}

int topiary_avx2_fma_usable(void) {
    unsigned c1, b7, xcr0;
    topiary_cpu_words(&c1, &b7, &xcr0);
    // XCR0: SSE (1) and AVX (2) state enabled by the OS
    return (c1 & bit_FMA) && (b7 & bit_AVX2) && (xcr0 & 0x6) == 0x6;
}
#else
int topiary_avx512_usable(void) { return 0; }
int topiary_avx2_fma_usable(void) { return 0; }
#endif
