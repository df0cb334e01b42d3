#include "gradcheck/check.hpp"

#include <algorithm>

namespace gradcheck {
namespace {

/// Which ReLU units are active (z > 0), for every example and every ReLU layer, in one vector.
std::vector<bool> relu_pattern(const Problem& problem, const Weights<double>& theta) {
  const Architecture& arch = problem.architecture;
  const ForwardPass<double> pass = forward(problem, theta);
  std::vector<bool> pattern;
  for (Index l = 2; l < arch.layers(); ++l)
    if (arch.activation(l) == Activation::relu)
      for (const double z : pass.z[static_cast<std::size_t>(l - 1)].reshaped()) pattern.push_back(z > 0);
  return pattern;
}

}  // namespace

std::vector<bool> kink_crossings(const Problem& problem, const Eigen::VectorXd& theta, const FiniteDifference& fd) {
  const auto& hidden = problem.architecture.hidden;
  std::vector<bool> kinks(static_cast<std::size_t>(theta.size()), false);
  if (std::find(hidden.begin(), hidden.end(), Activation::relu) == hidden.end()) return kinks;

  const Layout layout(problem.architecture);
  const std::vector<bool> centre = relu_pattern(problem, reroll(layout, theta));
  Eigen::VectorXd moved = theta;
  for (Index k = 0; k < theta.size(); ++k) {
    for (const double offset : stencil_of(fd).offsets) {
      moved(k) = theta(k) + offset * step_for(fd, theta(k));
      if (relu_pattern(problem, reroll(layout, moved)) != centre) {
        kinks[static_cast<std::size_t>(k)] = true;
        break;
      }
    }
    moved(k) = theta(k);
  }
  return kinks;
}

CheckResult judge(const Layout& layout, const Eigen::VectorXd& analytic, const NumericalGradient& numerical,
                  const CheckOptions& options, const std::vector<bool>& kinks) {
  CheckResult result = compare(layout, analytic, numerical.gradient, options.tolerances, kinks, options.worst);
  result.method = describe(options.difference);
  result.evaluations = numerical.evaluations;
  return result;
}

CheckResult check_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                            Mistake planted) {
  validate(problem);
  validate(problem.architecture, theta);
  const Eigen::VectorXd analytic =
      unroll(planted == Mistake::none ? backprop(problem, theta).D : backprop_with(planted, problem, theta).D);
  IncrementalOptions incremental;
  incremental.difference = options.difference;
  incremental.threads = options.threads;
  std::vector<bool> kinks;
  const NumericalGradient numerical = incremental_gradient(problem, theta, incremental, &kinks);
  return judge(Layout(problem.architecture), analytic, numerical, options, kinks);
}

}  // namespace gradcheck
