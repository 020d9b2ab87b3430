// Software prefetch for the convolution kernels: Swift has no prefetch of its own (the
// intrinsics headers' _mm_prefetch is a macro, which Swift does not import). Static
// inline, so each call compiles to the one instruction where it is used.
#ifndef TOPIARY_CPREFETCH_H
#define TOPIARY_CPREFETCH_H

/// Brings the cache line at p towards the core for reading (all cache levels).
static inline __attribute__((always_inline)) void topiary_prefetch_read(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

/// Brings the cache line at p towards the core for writing (owned, so the store that
/// follows does not wait for it).
static inline __attribute__((always_inline)) void topiary_prefetch_write(const void *p) {
    __builtin_prefetch(p, 1, 3);
}

#endif
