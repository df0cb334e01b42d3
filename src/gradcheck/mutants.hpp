#pragma once
/// @file
/// Copies of the reference backprop with one classic mistake planted in each: the proof that a
/// checker can fail. A checker that passes these is not checking anything.

#include "gradcheck/backprop.hpp"

#include <array>
#include <string_view>

namespace gradcheck {

/// A mistake students really make in nnCostFunction.m.
enum class Mistake {
  none,                  ///< the reference itself
  bias_regularized,      ///< D^(l) = Δ^(l)/m + (λ/m) Θ^(l) over every column, bias included
  derivative_dropped,    ///< δ^(l) = (Θ^(l))ᵀ δ^(l+1) without .* g′(z^(l))
  activation_for_derivative,  ///< g(z^(l)) used where g′(z^(l)) belongs
  average_missing,       ///< D^(l) = Δ^(l) + (λ/m) Θ^(l): the 1/m forgotten
  sign_flipped,          ///< δ^(L) = y − a^(L)
};

/// Every mistake but `none`, for tests that go through the catalog.
inline constexpr std::array<Mistake, 5> mistakes{Mistake::bias_regularized, Mistake::derivative_dropped,
                                                 Mistake::activation_for_derivative, Mistake::average_missing,
                                                 Mistake::sign_flipped};

/// How a mistake is named on the command line ("bias-regularized") and described in reports.
struct MistakeName {
  Mistake mistake;
  std::string_view key;
  std::string_view description;
};

inline constexpr std::array<MistakeName, 6> mistake_names{{
    {Mistake::none, "none", "none"},
    {Mistake::bias_regularized, "bias-regularized", "bias column regularized"},
    {Mistake::derivative_dropped, "derivative-dropped", "g′(z) dropped from δ"},
    {Mistake::activation_for_derivative, "activation-for-derivative", "g(z) used in place of g′(z)"},
    {Mistake::average_missing, "average-missing", "1/m missing from D"},
    {Mistake::sign_flipped, "sign-flipped", "sign of δ^(L) flipped"},
}};

/// Description for reports and test output, e.g. "g′(z) dropped from δ".
constexpr std::string_view name(Mistake mistake) {
  for (const auto& entry : mistake_names)
    if (entry.mistake == mistake) return entry.description;
  return "?";
}

/// The vectorized reference backprop with `mistake` planted. J is left correct, so only the
/// gradient is wrong.
inline Gradient<double> backprop_with(Mistake mistake, const Problem& problem, const Weights<double>& theta) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers(), m = problem.examples();
  const double inv_m = 1.0 / static_cast<double>(m);
  const ForwardPass<double> pass = forward(problem, theta);

  Gradient<double> result;
  result.J = cost(problem, theta, pass);
  result.D.resize(theta.size());
  Eigen::MatrixXd delta = output_delta(arch.output, pass.z.back(), pass.a.back(), problem.Y);
  if (mistake == Mistake::sign_flipped) delta = -delta;
  for (Index l = L - 1; l >= 1; --l) {
    const auto k = static_cast<std::size_t>(l - 1);
    const Eigen::MatrixXd& a = pass.a[k];
    Eigen::MatrixXd D(theta[k].rows(), theta[k].cols());
    D.col(0) = delta.colwise().sum().transpose();
    D.rightCols(a.cols()) = delta.transpose() * a;
    if (mistake != Mistake::average_missing) D *= inv_m;
    const Index first = mistake == Mistake::bias_regularized ? 0 : 1;
    D.rightCols(D.cols() - first) += problem.lambda * inv_m * theta[k].rightCols(D.cols() - first);
    result.D[k] = std::move(D);
    if (l > 1) {
      Eigen::MatrixXd back = delta * theta[k].rightCols(a.cols());
      const Activation g = arch.activation(l);
      if (mistake == Mistake::activation_for_derivative)
        back.array() *= activate(g, pass.z[k]).array();
      else if (mistake != Mistake::derivative_dropped)
        back.array() *= derivative(g, pass.z[k]).array();
      delta = std::move(back);
    }
  }
  return result;
}

}  // namespace gradcheck
