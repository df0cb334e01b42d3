#pragma once
/// @file
/// Numerical gradients by finite differences, for any cost J: R^P → R given as a callable.
///
/// The default is the course's computeNumericalGradient: central differences
/// (J(θ + ε e_k) − J(θ − ε e_k)) / 2ε with ε = 1e-4, two evaluations of J per parameter.
/// Higher-order central stencils trade more evaluations for a smaller truncation error.

#include "gradcheck/model/unroll.hpp"
#include "gradcheck/util/stop.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gradcheck {

/// How the stencil was derived.
enum class Scheme {
  central,     ///< central differences of order 2, 4, 6 (Fornberg's weights)
  richardson,  ///< Richardson extrapolation of (f(x+h) − f(x−h))/2h over h, h/2 (order 4), h/4 (order 6)
};

/// f′(x) ≈ (1/h) Σ_k weights[k] f(x + offsets[k] h), with truncation error O(h^order).
struct Stencil {
  Scheme scheme;
  int order;
  std::vector<double> offsets;
  std::vector<double> weights;
};

/// Every stencil gradcheck knows, as data. Each has Σ w = 0 and Σ w·o = 1; an order-p stencil
/// costs `offsets.size()` evaluations of J per parameter.
///   central 2   (f(h) − f(−h)) / 2h: the course's
///   richardson  R4 = (4 D(h/2) − D(h)) / 3 and R6 = (64 D(h/4) − 20 D(h/2) + D(h)) / 45, where
///               D(s) = (f(s) − f(−s)) / 2s; R6 is R4 extrapolated once more
inline const std::vector<Stencil>& stencils() {
  static const std::vector<Stencil> table{
      {Scheme::central, 2, {-1, 1}, {-1.0 / 2, 1.0 / 2}},
      {Scheme::central, 4, {-2, -1, 1, 2}, {1.0 / 12, -8.0 / 12, 8.0 / 12, -1.0 / 12}},
      {Scheme::central, 6, {-3, -2, -1, 1, 2, 3}, {-1.0 / 60, 9.0 / 60, -45.0 / 60, 45.0 / 60, -9.0 / 60, 1.0 / 60}},
      {Scheme::richardson, 4, {-1, -0.5, 0.5, 1}, {1.0 / 6, -4.0 / 3, 4.0 / 3, -1.0 / 6}},
      {Scheme::richardson, 6, {-1, -0.5, -0.25, 0.25, 0.5, 1},
       {-1.0 / 90, 20.0 / 45, -128.0 / 45, 128.0 / 45, -20.0 / 45, 1.0 / 90}},
  };
  return table;
}

/// The stencil of a scheme and order; throws std::invalid_argument naming what exists.
inline const Stencil& find_stencil(Scheme scheme, int order) {
  for (const Stencil& s : stencils())
    if (s.scheme == scheme && s.order == order) return s;
  throw std::invalid_argument("finite-difference order " + std::to_string(order) + " is not available for " +
                              (scheme == Scheme::central ? "central differences; expected 2, 4 or 6"
                                                         : "Richardson extrapolation; expected 4 or 6"));
}

/// The central stencil of order 2, 4 or 6.
inline const Stencil& central_stencil(int order) { return find_stencil(Scheme::central, order); }

/// How to difference: the step ε (a length in parameter space, not a tolerance), the order and
/// the scheme of the stencil.
struct FiniteDifference {
  double step = 1e-4;  ///< ε, as in the course's computeNumericalGradient
  int order = 2;       ///< 2: (J(θ+ε) − J(θ−ε)) / 2ε
  /// Called after each parameter with (done, total), e.g. to show progress; may be empty.
  std::function<void(Eigen::Index, Eigen::Index)> progress;
  Scheme scheme = Scheme::central;
  /// Instead of `step`, use for each parameter θ_k the step that balances truncation against
  /// rounding for this order: ε_mach^(1/(order+1)) · max(1, |θ_k|) (6e-6 for order 2).
  bool scaled = false;
  /// When set and it becomes true, no new parameter is started (stop.hpp).
  const StopFlag* stop = nullptr;
};

/// The stencil `fd` names.
inline const Stencil& stencil_of(const FiniteDifference& fd) { return find_stencil(fd.scheme, fd.order); }

/// The step to use for a parameter whose value is `value`.
inline double step_for(const FiniteDifference& fd, double value) {
  if (!fd.scaled) return fd.step;
  return std::pow(std::numeric_limits<double>::epsilon(), 1.0 / (fd.order + 1)) * std::max(1.0, std::abs(value));
}

/// "central differences (J(θ + ε) − J(θ − ε)) / 2ε, ε = 0.0001", for reports.
inline std::string describe(const FiniteDifference& fd) {
  std::ostringstream text;
  if (fd.scheme == Scheme::central && fd.order == 2)
    text << "central differences (J(θ + ε) − J(θ − ε)) / 2ε";
  else if (fd.scheme == Scheme::central)
    text << "order-" << fd.order << " central stencil";
  else
    text << "Richardson extrapolation to order " << fd.order << " over ε, ε/2" << (fd.order == 6 ? ", ε/4" : "");
  if (fd.scaled)
    text << ", ε = ε_mach^(1/" << fd.order + 1 << ") · max(1, |θ_k|) = " << step_for(fd, 0) << " · max(1, |θ_k|)";
  else
    text << ", ε = " << fd.step;
  return text.str();
}

/// The numerical gradient and what it cost.
struct NumericalGradient {
  Eigen::VectorXd gradient;
  std::size_t evaluations = 0;  ///< calls of J
  /// Entries 0 … completed − 1 were computed; less than gradient.size() only when stopped
  /// (FiniteDifference::stop), the rest then being NaN.
  Eigen::Index completed = 0;
};

/// ∂J/∂θ_k by the stencil for each k in `coordinates` (gradient(c) belongs to coordinates[c]),
/// perturbing one coordinate at a time in a private copy of θ and restoring it exactly. J is any
/// callable double(const Eigen::VectorXd&). Costs coordinates.size() × (stencil size) calls of J.
template <class Cost>
NumericalGradient numerical_gradient(Cost&& J, Eigen::VectorXd theta, const FiniteDifference& fd,
                                     const std::vector<Eigen::Index>& coordinates) {
  if (!(fd.step > 0)) throw std::invalid_argument("finite-difference step ε must be positive");
  const Stencil& stencil = stencil_of(fd);
  const auto n = static_cast<Eigen::Index>(coordinates.size());
  NumericalGradient result{Eigen::VectorXd::Constant(n, std::numeric_limits<double>::quiet_NaN()), 0, 0};
  for (Eigen::Index c = 0; c < n && !stop_requested(fd.stop); ++c) {
    const Eigen::Index k = coordinates[static_cast<std::size_t>(c)];
    if (k < 0 || k >= theta.size())
      throw std::invalid_argument("coordinate " + std::to_string(k) + " is outside 0 … P − 1 = " +
                                  std::to_string(theta.size() - 1));
    const double original = theta(k), step = step_for(fd, original);
    double sum = 0;
    try {
      for (std::size_t s = 0; s < stencil.offsets.size(); ++s) {
        theta(k) = original + stencil.offsets[s] * step;
        sum += stencil.weights[s] * J(static_cast<const Eigen::VectorXd&>(theta));
      }
    } catch (const Interrupted&) {  // J was stopped mid-way (an implementation's request): keep the rest
      break;
    }
    theta(k) = original;
    result.gradient(c) = sum / step;
    result.evaluations += stencil.offsets.size();
    result.completed = c + 1;
    if (fd.progress) fd.progress(c + 1, n);
  }
  return result;
}

/// The same quotients as numerical_gradient(), J evaluated at many points per call:
/// `costs(points)` returns J(θ + step·e_index) for each Point, as a std::vector<double> (an
/// implementation asked for them in one request). Coordinates go `per_call` at a time; progress
/// is reported and `fd.stop` looked at between calls.
template <class Costs>
NumericalGradient numerical_gradient_at_points(Costs&& costs, const Eigen::VectorXd& theta, const FiniteDifference& fd,
                                               const std::vector<Eigen::Index>& coordinates, Eigen::Index per_call = 1024) {
  if (!(fd.step > 0)) throw std::invalid_argument("finite-difference step ε must be positive");
  const Stencil& stencil = stencil_of(fd);
  const auto n = static_cast<Eigen::Index>(coordinates.size());
  NumericalGradient result{Eigen::VectorXd::Constant(n, std::numeric_limits<double>::quiet_NaN()), 0, 0};
  for (Eigen::Index first = 0; first < n && !stop_requested(fd.stop);) {
    const Eigen::Index end = std::min(n, first + std::max<Eigen::Index>(per_call, 1));
    std::vector<Point> points;
    std::vector<double> steps;
    for (Eigen::Index c = first; c < end; ++c) {
      const Eigen::Index k = coordinates[static_cast<std::size_t>(c)];
      if (k < 0 || k >= theta.size())
        throw std::invalid_argument("coordinate " + std::to_string(k) + " is outside 0 … P − 1 = " +
                                    std::to_string(theta.size() - 1));
      steps.push_back(step_for(fd, theta(k)));
      for (const double offset : stencil.offsets) points.push_back({k, offset * steps.back()});
    }
    std::vector<double> J;
    try {
      J = costs(static_cast<const std::vector<Point>&>(points));
    } catch (const Interrupted&) {  // stopped mid-way (an implementation's request): keep the rest
      break;
    }
    if (J.size() != points.size()) throw std::logic_error("numerical_gradient_at_points: costs() answered the wrong count");
    for (Eigen::Index c = first; c < end; ++c) {
      double sum = 0;
      const std::size_t at = static_cast<std::size_t>(c - first) * stencil.offsets.size();
      for (std::size_t s = 0; s < stencil.offsets.size(); ++s) sum += stencil.weights[s] * J[at + s];
      result.gradient(c) = sum / steps[static_cast<std::size_t>(c - first)];
    }
    result.evaluations += points.size();
    result.completed = end;
    first = end;
    if (fd.progress) fd.progress(end, n);
  }
  return result;
}

/// ∂J/∂θ_k for every k (the course's computeNumericalGradient, for any stencil).
template <class Cost>
NumericalGradient numerical_gradient(Cost&& J, const Eigen::VectorXd& theta, const FiniteDifference& fd = {}) {
  std::vector<Eigen::Index> all(static_cast<std::size_t>(theta.size()));
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = static_cast<Eigen::Index>(k);
  return numerical_gradient(std::forward<Cost>(J), theta, fd, all);
}

}  // namespace gradcheck
