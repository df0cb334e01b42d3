#pragma once
/// @file
/// Explain mode: the course's backprop worked step by step with the numbers, to teach what δ
/// and Δ are. Beside each δ^(l) it prints the numerical ∂J_t/∂z^(l) found by perturbing z itself,
/// which is what δ means; beside each D^(l), the numerical gradient of J.

#include "gradcheck/model/problem.hpp"

#include <optional>
#include <string>

namespace gradcheck {

/// What to print besides the reference's own numbers.
struct ExplainOptions {
  int digits = 6;                          ///< significant digits of every number
  double step = 1e-6;                      ///< ε for the numerical ∂J_t/∂z and ∂J/∂Θ
  std::optional<Weights<double>> implementation;  ///< an implementation's D^(l), printed beside
  std::optional<double> implementation_J;         ///< and its J
  std::string implementation_name;
};

/// The worked example: forward propagation, δ, Δ after each example, D, with shapes.
std::string explain(const Problem& problem, const Weights<double>& theta, const ExplainOptions& options = {});

}  // namespace gradcheck
