#pragma once
/// @file
/// Checking an implementation that is not ours, through the protocol (protocol.hpp).
///
/// Reference mode: one request for J and the gradient; the gradient is judged against
/// gradcheck's own numerical gradient of the reference J, and J against the reference J.
/// Self mode (black box): the gradient is judged against central differences of the
/// implementation's own J, two requests per checked parameter, for costs gradcheck does not know;
/// a sample of coordinates per layer keeps big networks fast.

#include "gradcheck/check/check.hpp"
#include "gradcheck/check/session.hpp"
#include "gradcheck/io/process.hpp"

#include <cstdint>
#include <optional>

namespace gradcheck {

/// How to judge an implementation.
struct ExternalOptions {
  CheckOptions check;
  bool self = false;                     ///< self mode instead of reference mode
  std::optional<Index> sample_per_layer; ///< self mode: this many random coordinates per layer
  std::uint64_t sample_seed = 0;
  int protocol = protocol_version;       ///< the newest protocol version to speak (1: whole requests only)
};

/// The outcome, with how many requests it took.
struct ExternalResult {
  CheckResult result;
  std::size_t requests = 0;
};

/// Asks `child` about `problem` at θ and judges its answers; what its code printed is added to
/// `printed` when given (also when it fails).
ExternalResult check_external(Child& child, const Problem& problem, const Weights<double>& theta,
                              const ExternalOptions& options, PrintedOutput* printed = nullptr);

/// `count` random coordinates of each layer (all of a layer that has fewer), sorted, from `seed`.
std::vector<Index> sample_coordinates(const Layout& layout, Index count, std::uint64_t seed);

}  // namespace gradcheck
