#pragma once
/// @file
/// `--jitter`: a check at a random θ near the given one, where ReLU pre-activations stuck at 0 by
/// training (1e-23 from a kink) are moved off their corners, said in every report.

#include "gradcheck/model/unroll.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace gradcheck {

/// How far --jitter moves each entry: u · relative · scale, u uniform in [−1, 1] from the seed, and
/// scale the root mean square of the entry's tensor (of every parameter where the tensor is all
/// zero, a bias before its first step; 1 where every parameter is).
struct Jitter {
  static constexpr double relative = 1e-2;
  std::uint64_t seed = 0;
};

/// θ moved by `jitter`: `values` flat, tensor after tensor, `sizes` the tensors' sizes in order.
Eigen::VectorXd jittered(const Eigen::VectorXd& values, const std::vector<Index>& sizes, const Jitter& jitter);

/// The report's line: "θ jittered: each entry moved by u · 1% of its tensor's RMS, u ∈ [−1, 1] from --seed 7".
std::string describe(const Jitter& jitter);

}  // namespace gradcheck
