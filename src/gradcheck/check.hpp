#pragma once
/// @file
/// A gradient check: an analytic gradient against finite differences of its cost.

#include "gradcheck/backprop.hpp"
#include "gradcheck/compare.hpp"
#include "gradcheck/finite_diff.hpp"
#include "gradcheck/incremental.hpp"
#include "gradcheck/mutants.hpp"
#include "gradcheck/network.hpp"
#include "gradcheck/problem.hpp"
#include "gradcheck/unroll.hpp"

#include <Eigen/Core>

#include <utility>
#include <vector>

namespace gradcheck {

/// How to check: the finite difference, the tolerances, how many worst entries to keep, and
/// how many threads the reference's incremental finite differences may use.
struct CheckOptions {
  FiniteDifference difference;
  Tolerances tolerances;
  std::size_t worst = 5;
  unsigned threads = 1;
};

/// Compares and records how the numerical gradient was made.
CheckResult judge(const Layout& layout, const Eigen::VectorXd& analytic, const NumericalGradient& numerical,
                  const CheckOptions& options, const std::vector<bool>& kinks = {});

/// Checks the analytic gradient of any cost J: R^P → R (a callable double(const VectorXd&))
/// at θ against its finite differences. Costs P × (stencil size) evaluations of J.
template <class Cost>
CheckResult check_gradient(Cost&& J, const Eigen::VectorXd& theta, const Eigen::VectorXd& analytic,
                           const Layout& layout, const CheckOptions& options, const std::vector<bool>& kinks = {}) {
  return judge(layout, analytic, numerical_gradient(std::forward<Cost>(J), theta, options.difference), options, kinks);
}

/// The reference network's J as a function of the unrolled parameters.
inline auto reference_cost(const Problem& problem) {
  return [&problem, layout = Layout(problem.architecture)](const Eigen::VectorXd& flat) {
    return cost(problem, reroll(layout, flat));
  };
}

/// For each parameter k, whether some point of the finite difference at θ + o ε e_k lies across
/// a ReLU kink from θ: the sign pattern of a ReLU layer's z^(l) differs there. Such an entry's
/// finite difference measures a corner, not a derivative. All false when no layer is ReLU.
std::vector<bool> kink_crossings(const Problem& problem, const Eigen::VectorXd& theta, const FiniteDifference& fd);

/// The reference backprop checked against finite differences of the reference J, made by
/// incremental evaluation (incremental.hpp) on options.threads threads: the main job of
/// `gradcheck check`. With `planted` other than Mistake::none, the backprop checked is the
/// copy with that mistake (J stays right), which the check must fail.
CheckResult check_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                            Mistake planted = Mistake::none);

}  // namespace gradcheck
