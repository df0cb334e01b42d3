#pragma once
/// @file
/// Numerical gradients by finite differences, for any cost J: R^P → R given as a callable.
///
/// The default is the course's computeNumericalGradient: central differences
/// (J(θ + ε e_k) − J(θ − ε e_k)) / 2ε with ε = 1e-4, two evaluations of J per parameter.
/// Higher-order central stencils trade more evaluations for a smaller truncation error.

#include <Eigen/Core>

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gradcheck {

/// f′(x) ≈ (1/h) Σ_k weights[k] f(x + offsets[k] h), with truncation error O(h^order).
struct Stencil {
  int order;
  std::vector<double> offsets;
  std::vector<double> weights;
};

/// The central stencils of order 2, 4 and 6 (Fornberg's weights); order 2 is the course's.
/// Order 2p costs 2p evaluations of J per parameter. Throws std::invalid_argument otherwise.
inline const Stencil& central_stencil(int order) {
  static const std::vector<Stencil> stencils{
      {2, {-1, 1}, {-1.0 / 2, 1.0 / 2}},
      {4, {-2, -1, 1, 2}, {1.0 / 12, -8.0 / 12, 8.0 / 12, -1.0 / 12}},
      {6, {-3, -2, -1, 1, 2, 3}, {-1.0 / 60, 9.0 / 60, -45.0 / 60, 45.0 / 60, -9.0 / 60, 1.0 / 60}},
  };
  for (const auto& s : stencils)
    if (s.order == order) return s;
  throw std::invalid_argument("finite-difference order " + std::to_string(order) + " is not available; expected 2, 4 or 6");
}

/// How to difference: the step ε (a length in parameter space, not a tolerance) and the order.
struct FiniteDifference {
  double step = 1e-4;  ///< ε, as in the course's computeNumericalGradient
  int order = 2;       ///< 2: (J(θ+ε) − J(θ−ε)) / 2ε
  /// Called after each parameter with (done, total), e.g. to show progress; may be empty.
  std::function<void(Eigen::Index, Eigen::Index)> progress;
};

/// The numerical gradient and what it cost.
struct NumericalGradient {
  Eigen::VectorXd gradient;
  std::size_t evaluations = 0;  ///< calls of J
};

/// ∂J/∂θ_k by the stencil for each k in `coordinates` (gradient(c) belongs to coordinates[c]),
/// perturbing one coordinate at a time in a private copy of θ and restoring it exactly. J is any
/// callable double(const Eigen::VectorXd&). Costs coordinates.size() × (stencil size) calls of J.
template <class Cost>
NumericalGradient numerical_gradient(Cost&& J, Eigen::VectorXd theta, const FiniteDifference& fd,
                                     const std::vector<Eigen::Index>& coordinates) {
  if (!(fd.step > 0)) throw std::invalid_argument("finite-difference step ε must be positive");
  const Stencil& stencil = central_stencil(fd.order);
  const auto n = static_cast<Eigen::Index>(coordinates.size());
  NumericalGradient result{Eigen::VectorXd(n), 0};
  for (Eigen::Index c = 0; c < n; ++c) {
    const Eigen::Index k = coordinates[static_cast<std::size_t>(c)];
    if (k < 0 || k >= theta.size())
      throw std::invalid_argument("coordinate " + std::to_string(k) + " is outside 0 … P − 1 = " +
                                  std::to_string(theta.size() - 1));
    const double original = theta(k);
    double sum = 0;
    for (std::size_t s = 0; s < stencil.offsets.size(); ++s) {
      theta(k) = original + stencil.offsets[s] * fd.step;
      sum += stencil.weights[s] * J(static_cast<const Eigen::VectorXd&>(theta));
    }
    theta(k) = original;
    result.gradient(c) = sum / fd.step;
    result.evaluations += stencil.offsets.size();
    if (fd.progress) fd.progress(c + 1, n);
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
