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
#include "gradcheck/model/names.hpp"
#include "gradcheck/numeric/directional.hpp"

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
  /// Measure only these coordinates (a shard's, shard_coordinates()); the result then judges
  /// them alone, as a sample.
  std::optional<std::vector<Index>> coordinates;
  /// How the implementation's code names its weights, for the diagnosis's words.
  Names names;
  /// Where J differs from the reference's, name the settings (--activation, --cost, …) under which
  /// the reference's J is the implementation's (cost_settings.hpp). Off for a course homework,
  /// whose settings are the course's: a student is not told to rerun with --activation.
  bool name_settings = true;
};

/// The outcome, with how many requests it took.
struct ExternalResult {
  CheckResult result;
  Measurements measured;  ///< what the result was judged from (a shard's partial report holds it)
  std::size_t requests = 0;
  /// Why no part of this check can be judged (J's noise), or "": a shard carries it to merge.
  std::string unjudgeable;
};

/// Asks `child` about `problem` at θ and judges its answers; what its code printed is added to
/// `printed` when given (also when it fails).
ExternalResult check_external(Channel& child, const Problem& problem, const Weights<double>& theta,
                              const ExternalOptions& options, PrintedOutput* printed = nullptr);

/// The fast mode through an implementation: its gradient at θ (one request) along a few random
/// directions per layer and the Taylor test, against J of the reference (reference mode, with
/// its J compared too) or its own J (self mode: every point asked for at once, a few requests
/// in protocol version 2). `requests` is set to the number of requests made.
DirectionalResult check_external_directional(Channel& child, const Problem& problem, const Weights<double>& theta,
                                             const ExternalOptions& options, const DirectionalOptions& directional,
                                             PrintedOutput* printed, std::size_t& requests);

/// `count` random coordinates of each layer (all of a layer that has fewer), sorted, from `seed`.
std::vector<Index> sample_coordinates(const Layout& layout, Index count, std::uint64_t seed);

}  // namespace gradcheck
