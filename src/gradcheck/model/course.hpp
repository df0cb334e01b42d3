#pragma once
/// @file
/// Problems to check: the course's checkNNGradients setup, and seeded random ones.

#include "gradcheck/model/problem.hpp"

#include <cstdint>
#include <string>

namespace gradcheck {

/// A problem together with the weights Θ at which its gradient is checked.
struct Instance {
  Problem problem;
  Weights<double> theta;
  std::string origin;  ///< where Θ, X and y come from, for reports
};

/// The course's debugInitializeWeights(fan_out, fan_in): a fan_out × (1 + fan_in) matrix
/// holding sin(1), sin(2), … in column-major order, divided by 10. Deterministic, so a check
/// gives the same numbers every time.
Eigen::MatrixXd debug_initialize_weights(Index fan_out, Index fan_in);

/// The course's checkNNGradients setup for any architecture: Θ^(l) and X made by
/// debugInitializeWeights (X = debugInitializeWeights(m, s_1 − 1)), labels y = 1 + mod(1:m, K)
/// as one-hot rows. With the default 3-5-3 sigmoid network and m = 5 it is the course's problem.
Instance course_instance(const Architecture& architecture, Index m, double lambda);

/// A random problem drawn from `seed` (the same seed gives the same problem on every machine):
/// Θ^(l) uniform in ±√6 / √(s_l + s_(l+1)) (the course's randInitializeWeights rule, so units
/// start unsaturated), X uniform in [−1, 1], targets to suit the cost: class labels for the
/// cross-entropies (every class present when m ≥ K, in a random order), uniform in [−1, 1] for
/// identity-quadratic and in [0, 1] for sigmoid-quadratic.
Instance random_instance(const Architecture& architecture, Index m, double lambda, std::uint64_t seed);

/// The course's homework takes class labels 1 … K: a drawn single sigmoid output's 0/1 targets
/// become y = 1 for every example, all that 1 … 1 allows (its J's −(1 − y) log(1 − h) half then
/// goes unexercised, as in the course's own checkNNGradients with K = 1). Other problems are
/// left as they are.
void as_class_labels(Instance& instance);

}  // namespace gradcheck
