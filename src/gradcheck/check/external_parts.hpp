#pragma once
/// @file
/// What a check of an implementation (external.cpp) and its fast mode (external_directional.cpp)
/// share: J's comparison with the reference, rounding at float32, where the noise probe moves Θ,
/// and the reference's exact D on either side of a kink. Internal: not installed.

#include "gradcheck/check/check.hpp"
#include "gradcheck/model/problem.hpp"

#include <Eigen/Core>

#include <vector>

namespace gradcheck::external_parts {

/// The unit rounding of an implementation: 2^-24 where its gradient's entries are numbers a
/// float32 holds (single_precision()), else ε_mach. Not its J's: numpy's float32 sum over m
/// examples, divided by m, is a float64.
double unit_rounding(const Eigen::VectorXd& analytic);

/// What rounding at a float32 implementation's precision `u` could move its J by (`a` J's scale):
/// 100u times |J| and what every z^(l) rounded moves it by, through δ (term_sizes of the
/// residuals). 0 for float64, judged by the tolerance alone.
double J_rounding(double u, double J, const Problem& course, const Weights<double>& theta, double a);

/// The implementation's J against the reference J at θ, in the implementation's conventions:
/// J_yours = a · J_course(λ'); within the tolerance or the `rounding` of J_rounding().
CostComparison compare_cost(double implementation, const Problem& problem, const Weights<double>& theta,
                            const Tolerances& tolerances, double rounding);

/// Where the noise measurement moves Θ: a network with ReLU kinks has none after its output
/// layer's weights, so only those move (a kink crossed would pass for noise).
std::vector<Span> noise_lines(const Problem& problem, const Layout& layout);

/// The reference's exact D in the implementation's scale, with g′(0) taken from either side at
/// ReLU kinks: equal bit for bit except where some unit has z = 0 exactly, where J has no
/// derivative and implementations differ (`z > 0` or `z >= 0`).
struct ExactGradient {
  Eigen::VectorXd left, right;
  bool defined(Index k) const { return left(k) == right(k); }
};

/// The reference's D at θ from either side of every kink, times J's scale `a`.
ExactGradient exact_gradient(const Problem& course, const Weights<double>& theta, double a);

}  // namespace gradcheck::external_parts
