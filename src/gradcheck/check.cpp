#include "gradcheck/check.hpp"

#include <algorithm>
#include <cmath>

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

Tolerances default_tolerances(const FiniteDifference& fd) {
  struct Row {
    Scheme scheme;
    int order;
    double fixed_entry, fixed_norm, scaled_entry, scaled_norm;
  };
  static constexpr Row table[] = {
      {Scheme::central, 2, 1e-4, 1e-5, 1e-6, 1e-8},     {Scheme::central, 4, 1e-7, 1e-9, 1e-7, 1e-9},
      {Scheme::central, 6, 1e-7, 1e-9, 1e-7, 1e-9},     {Scheme::richardson, 4, 1e-7, 1e-9, 1e-7, 1e-9},
      {Scheme::richardson, 6, 1e-7, 1e-9, 1e-8, 1e-10},
  };
  stencil_of(fd);  // throws for a stencil that does not exist
  Tolerances t;
  for (const Row& row : table) {
    if (row.scheme != fd.scheme || row.order != fd.order) continue;
    if (fd.scaled) {
      t.entry = row.scaled_entry;
      t.norm = row.scaled_norm;
    } else {
      const double ratio = fd.step / 1e-4;
      const double scale = std::max(std::pow(ratio, fd.order), 1 / ratio);
      t.entry = row.fixed_entry * scale;
      t.norm = row.fixed_norm * scale;
    }
  }
  return t;
}

Tolerances complex_step_tolerances() {
  Tolerances t;
  t.entry = 1e-9;
  t.norm = 1e-12;
  return t;
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
  const Layout layout(problem.architecture);
  if (options.complex_step) {
    // No kinks to skip: relu(z + ih) takes the branch of z itself, as backprop's g′ does.
    ComplexStep complex = *options.complex_step;
    complex.threads = options.threads;
    complex.progress = options.difference.progress;
    CheckResult result = judge(layout, analytic, complex_step_gradient(problem, theta, complex), options);
    result.method = describe(complex);
    return result;
  }
  IncrementalOptions incremental;
  incremental.difference = options.difference;
  incremental.threads = options.threads;
  std::vector<bool> kinks;
  const NumericalGradient numerical = incremental_gradient(problem, theta, incremental, &kinks);
  return judge(layout, analytic, numerical, options, kinks);
}

}  // namespace gradcheck
