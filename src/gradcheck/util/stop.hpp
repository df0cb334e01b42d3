#pragma once
/// @file
/// Stopping long work early, e.g. on Ctrl-C: a flag the work polls between parameters. Work that
/// sees it set starts no new parameter; what it finished is kept (NumericalGradient::completed)
/// and judged, and the result is marked incomplete.

#include <atomic>
#include <stdexcept>

namespace gradcheck {

/// Set (from a signal handler, say) to ask running work to stop. Lock-free, so a handler may set it.
using StopFlag = std::atomic<bool>;

inline bool stop_requested(const StopFlag* stop) { return stop && stop->load(std::memory_order_relaxed); }

/// Thrown where stopping leaves nothing to keep: a request to an implementation in flight.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace gradcheck
