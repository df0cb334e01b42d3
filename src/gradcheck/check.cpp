#include "gradcheck/check.hpp"
#include "gradcheck/diagnosis.hpp"
#include "gradcheck/parallel.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
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

CheckResult judge(const Layout& layout, const Measurements& measured, const CheckOptions& options, bool sampled) {
  const Index P = layout.parameters();
  const auto n = static_cast<Index>(measured.coordinates.size());
  if (measured.analytic.size() != n || measured.numerical.size() != n ||
      !(measured.kinks.empty() || static_cast<Index>(measured.kinks.size()) == n))
    throw std::invalid_argument("measurements hold different numbers of coordinates and values");
  Eigen::VectorXd analytic = Eigen::VectorXd::Constant(P, std::numeric_limits<double>::quiet_NaN());
  Eigen::VectorXd numerical = analytic;
  std::vector<bool> kinks(static_cast<std::size_t>(P), false), seen(static_cast<std::size_t>(P), false);
  for (Index c = 0; c < n; ++c) {
    const Index k = measured.coordinates[static_cast<std::size_t>(c)];
    if (k < 0 || k >= P || seen[static_cast<std::size_t>(k)])
      throw std::invalid_argument("parameter " + std::to_string(k) + " is measured twice or does not exist (P = " +
                                  std::to_string(P) + ")");
    seen[static_cast<std::size_t>(k)] = true;
    analytic(k) = measured.analytic(c);
    numerical(k) = measured.numerical(c);
    kinks[static_cast<std::size_t>(k)] = !measured.kinks.empty() && measured.kinks[static_cast<std::size_t>(c)];
  }
  if (n != P && !sampled && measured.complete)
    throw std::invalid_argument("measurements cover " + std::to_string(n) + " of the " + std::to_string(P) +
                                " parameters; expected every one");
  std::vector<bool> unchecked;
  if (n != P) unchecked.assign(seen.size(), false);
  for (std::size_t k = 0; k < unchecked.size(); ++k) unchecked[k] = !seen[k];
  CheckResult result = compare(layout, analytic, numerical, options.tolerances, kinks, options.worst, unchecked);
  result.method = measured.method;
  result.evaluations = measured.evaluations;
  result.complete = measured.complete;
  result.pass = result.pass && result.complete;
  return result;
}

void Measurements::keep_completed(Index completed) {
  if (completed >= static_cast<Index>(coordinates.size())) return;
  complete = false;
  coordinates.resize(static_cast<std::size_t>(completed));
  analytic.conservativeResize(completed);
  numerical.conservativeResize(completed);
  if (!kinks.empty()) kinks.resize(static_cast<std::size_t>(completed));
}

std::vector<Index> shard_coordinates(Index parameters, Index index, Index count) {
  if (count < 1 || index < 1 || index > count)
    throw std::invalid_argument("shard " + std::to_string(index) + "/" + std::to_string(count) +
                                " does not exist; expected i/N with 1 ≤ i ≤ N, e.g. 2/4");
  std::vector<Index> coordinates;
  for (Index k = index - 1; k < parameters; k += count) coordinates.push_back(k);
  return coordinates;
}

Measurements measure_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                               Mistake planted, const std::optional<std::vector<Index>>& coordinates) {
  validate(problem);
  validate(problem.architecture, theta);
  const Eigen::VectorXd D =
      unroll(planted == Mistake::none ? backprop(problem, theta).D : backprop_with(planted, problem, theta).D);
  Measurements measured;
  measured.coordinates = coordinates_or_all(coordinates, D.size());
  measured.analytic.resize(static_cast<Index>(measured.coordinates.size()));
  for (std::size_t c = 0; c < measured.coordinates.size(); ++c)
    measured.analytic(static_cast<Index>(c)) = D(measured.coordinates[c]);

  if (options.complex_step) {
    // No kinks to skip: relu(z + ih) takes the branch of z itself, as backprop's g′ does.
    ComplexStep complex = *options.complex_step;
    complex.threads = options.threads;
    complex.progress = options.difference.progress;
    complex.coordinates = measured.coordinates;
    complex.stop = options.difference.stop;
    const NumericalGradient numerical = complex_step_gradient(problem, theta, complex);
    measured.numerical = numerical.gradient;
    measured.evaluations = numerical.evaluations;
    measured.method = describe(complex);
    measured.keep_completed(numerical.completed);
    return measured;
  }
  IncrementalOptions incremental;
  incremental.difference = options.difference;
  incremental.threads = options.threads;
  incremental.coordinates = measured.coordinates;
  const NumericalGradient numerical = incremental_gradient(problem, theta, incremental, &measured.kinks);
  measured.numerical = numerical.gradient;
  measured.evaluations = numerical.evaluations;
  measured.method = describe(options.difference);
  measured.keep_completed(numerical.completed);
  return measured;
}

CheckResult check(const CostAndGradient& f, const Weights<double>& theta, const CheckOptions& options) {
  if (theta.empty()) throw std::invalid_argument("Θ has no layers; expected Θ^(1) … Θ^(L−1)");
  std::vector<Index> sizes{theta.front().cols() - 1};
  for (std::size_t l = 0; l < theta.size(); ++l) {
    if (theta[l].cols() != sizes.back() + 1)
      throw std::invalid_argument("Θ^(" + std::to_string(l + 1) + ") has " + std::to_string(theta[l].cols()) +
                                  " columns; expected s_" + std::to_string(l + 1) + " + 1 = " +
                                  std::to_string(sizes.back() + 1) + " (the rows of Θ^(" + std::to_string(l) + ") + 1)");
    sizes.push_back(theta[l].rows());
  }
  const Layout layout(sizes);
  Weights<double> gradient;
  f(theta, &gradient);
  if (gradient.size() != theta.size())
    throw std::invalid_argument("the gradient has " + std::to_string(gradient.size()) + " matrices; expected " +
                                std::to_string(theta.size()) + ", one per Θ^(l)");
  for (std::size_t l = 0; l < theta.size(); ++l)
    if (gradient[l].rows() != theta[l].rows() || gradient[l].cols() != theta[l].cols())
      throw std::invalid_argument("the gradient of Θ^(" + std::to_string(l + 1) + ") is " +
                                  std::to_string(gradient[l].rows()) + " × " + std::to_string(gradient[l].cols()) +
                                  "; expected Θ^(" + std::to_string(l + 1) + ")'s shape " +
                                  std::to_string(theta[l].rows()) + " × " + std::to_string(theta[l].cols()));
  const auto J = [&](const Eigen::VectorXd& flat) { return f(reroll(layout, flat), nullptr); };
  return check_gradient(J, unroll(theta), unroll(gradient), layout, options);
}

CheckResult check_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                            Mistake planted) {
  CheckResult result = judge(Layout(problem.architecture), measure_reference(problem, theta, options, planted), options);
  if (planted == Mistake::none) return result;
  // A planted copy is judged like an implementation under test: its J too, and what went wrong.
  const Gradient<double> mutant = backprop_with(planted, problem, theta);
  CostComparison J;
  J.implementation = mutant.J;
  J.reference = cost(problem, theta);
  J.relative_error = relative_error(J.implementation, J.reference, 1e-12);
  J.pass = J.relative_error <= options.tolerances.cost;
  result.cost = J;
  result.pass = result.pass && J.pass;
  result.diagnosis = diagnose(problem, theta, mutant.D, mutant.J, result);
  return result;
}

}  // namespace gradcheck
