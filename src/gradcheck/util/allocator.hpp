#pragma once
/// @file
/// The allocator's thresholds for a process that evaluates J thousands of times.
///
/// Each evaluation of J allocates and frees temporaries of m × s_l numbers (1–16 MB at ex4's
/// size). glibc maps a block that large with mmap and unmaps it when freed, and gives a freed top
/// of the heap back to the system beyond 128 KiB; its dynamic threshold raises both after the
/// first such free, but not in every process: an implementation checked in reference mode through
/// the protocol spent 67% of its time in page faults, mapping and touching the same memory anew
/// for every evaluation (11 s against 1.4 s for the reference check alone, 400-25-10, m = 5,000).
/// Keeping blocks below 256 MiB in the heap and that much freed memory for reuse ends it, as the
/// environment variable GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…
/// did, with nothing to set. The cost: a process keeps up to 256 MiB it freed until it exits.

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gradcheck {

/// Call once, first thing in main(): later allocations follow the thresholds. A no-op outside glibc.
inline void keep_freed_memory() {
#if defined(__GLIBC__)
  constexpr int threshold = 256 << 20;
  mallopt(M_MMAP_THRESHOLD, threshold);
  mallopt(M_TRIM_THRESHOLD, threshold);
#endif
}

}  // namespace gradcheck
