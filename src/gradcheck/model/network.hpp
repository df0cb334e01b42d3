#pragma once
/// @file
/// The reference network: forward propagation and the regularized cost J(Θ).
///
/// Vectorized over examples, with examples as rows as in the course's ex4:
/// a^(1) = X, z^(l+1) = [1 a^(l)] Θ^(l)ᵀ, a^(l+1) = g(z^(l+1)). The column of ones is never
/// materialized: the bias column of Θ^(l) is added to every row instead.

#include "gradcheck/model/activation.hpp"
#include "gradcheck/model/problem.hpp"

#include <Eigen/Core>

#include <cassert>
#include <complex>

namespace gradcheck {

/// a^(l) and z^(l) for every layer, all examples at once (m rows each).
template <class Scalar> struct ForwardPass {
  std::vector<Matrix<Scalar>> a;  ///< a[l - 1] = a^(l), m × s_l
  std::vector<Matrix<Scalar>> z;  ///< z[l - 1] = z^(l), m × s_l; z[0] is empty (the input has none)
};

/// z^(l+1) = [1 a^(l)] Θ^(l)ᵀ for all examples (rows of a).
template <class Scalar, class Derived>
Matrix<Scalar> pre_activation(const Matrix<Scalar>& theta, const Eigen::MatrixBase<Derived>& a) {
  const Index n = theta.cols() - 1;
  Matrix<Scalar> z = a * theta.rightCols(n).transpose();
  z.rowwise() += theta.col(0).transpose();
  return z;
}

/// The output activation h(z^(L)) of the output/cost pair, row by row (one example per row).
template <class Scalar> Matrix<Scalar> output_activation(Output output, const Matrix<Scalar>& z) {
  switch (output) {
    case Output::sigmoid_logistic:
    case Output::sigmoid_quadratic: return activate(Activation::sigmoid, z);
    case Output::identity_quadratic:
    case Output::identity_mse: return z;
    case Output::softmax_cross_entropy: {
      Matrix<Scalar> a(z.rows(), z.cols());
      for (Index t = 0; t < z.rows(); ++t) {
        // Shift by the largest real part: exp never overflows, the complex extension stays analytic.
        auto shift = std::real(z(t, 0));
        for (Index k = 1; k < z.cols(); ++k) shift = std::max(shift, std::real(z(t, k)));
        a.row(t) = (z.row(t).array() - Scalar(shift)).exp().matrix();
        a.row(t) /= a.row(t).sum();
      }
      return a;
    }
  }
  return z;  // unreachable
}

/// Forward propagation of every example through the network.
template <class Scalar> ForwardPass<Scalar> forward(const Problem& problem, const Weights<Scalar>& theta) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers();
  assert(static_cast<Index>(theta.size()) == L - 1);
  ForwardPass<Scalar> pass;
  pass.a.reserve(static_cast<std::size_t>(L));
  pass.z.reserve(static_cast<std::size_t>(L));
  pass.a.push_back(problem.X.cast<Scalar>());
  pass.z.emplace_back();
  for (Index l = 1; l < L; ++l) {
    Matrix<Scalar> z = pre_activation(theta[static_cast<std::size_t>(l - 1)], pass.a.back());
    pass.a.push_back(l + 1 < L ? Matrix<Scalar>(activate(arch.activation(l + 1), z))
                               : output_activation(arch.output, z));
    pass.z.push_back(std::move(z));
  }
  return pass;
}

/// Each example's cost J_t before averaging, computed from z^(L) for numerical stability:
/// logistic  Σ_k y_k softplus(−z_k) + (1 − y_k) softplus(z_k)   (= −y log a − (1 − y) log(1 − a))
/// softmax   Σ_k y_k (log Σ_j e^(z_j) − z_k)                      (= −Σ_k y_k log a_k)
/// quadratic ½ Σ_k (a_k − y_k)²   (without the ½ for the squared error, identity-mse)
template <class Scalar>
Vector<Scalar> example_costs(Output output, const Matrix<Scalar>& zL, const Matrix<Scalar>& aL,
                             const Eigen::MatrixXd& Y) {
  const Index m = zL.rows(), K = zL.cols();
  Vector<Scalar> cost(m);
  for (Index t = 0; t < m; ++t) {
    Scalar c(0);
    switch (output) {
      case Output::sigmoid_logistic:
        for (Index k = 0; k < K; ++k)
          c += Scalar(Y(t, k)) * softplus(Scalar(-zL(t, k))) + Scalar(1 - Y(t, k)) * softplus(zL(t, k));
        break;
      case Output::softmax_cross_entropy: {
        auto shift = std::real(zL(t, 0));
        for (Index k = 1; k < K; ++k) shift = std::max(shift, std::real(zL(t, k)));
        Scalar sum(0);
        for (Index k = 0; k < K; ++k) sum += std::exp(zL(t, k) - Scalar(shift));
        const Scalar log_sum_exp = Scalar(shift) + std::log(sum);
        for (Index k = 0; k < K; ++k) c += Scalar(Y(t, k)) * (log_sum_exp - zL(t, k));
        break;
      }
      case Output::identity_quadratic:
      case Output::sigmoid_quadratic:
        for (Index k = 0; k < K; ++k) {
          const Scalar r = aL(t, k) - Scalar(Y(t, k));
          c += Scalar(0.5) * r * r;  // r², not |r|²: stays analytic for the complex step
        }
        break;
      case Output::identity_mse:
        for (Index k = 0; k < K; ++k) {
          const Scalar r = aL(t, k) - Scalar(Y(t, k));
          c += r * r;
        }
        break;
    }
    cost(t) = c;
  }
  return cost;
}

/// The regularization term (λ / 2m) Σ_l Σ_i Σ_(j ≥ 1) (Θ^(l)_ij)²; the bias column is never regularized.
template <class Scalar> Scalar regularization(const Weights<Scalar>& theta, double lambda, Index m) {
  Scalar sum(0);
  for (const auto& t : theta) sum += t.rightCols(t.cols() - 1).array().square().sum();
  return Scalar(lambda / (2.0 * static_cast<double>(m))) * sum;
}

/// J(Θ) = (1/m) Σ_t J_t + (λ / 2m) Σ Θ², from a forward pass already made.
template <class Scalar>
Scalar cost(const Problem& problem, const Weights<Scalar>& theta, const ForwardPass<Scalar>& pass) {
  const Index m = problem.examples();
  const Vector<Scalar> costs =
      example_costs(problem.architecture.output, pass.z.back(), pass.a.back(), problem.Y);
  return costs.sum() / Scalar(static_cast<double>(m)) + regularization(theta, problem.lambda, m);
}

/// J(Θ): forward propagation, then the regularized average cost.
template <class Scalar> Scalar cost(const Problem& problem, const Weights<Scalar>& theta) {
  return cost(problem, theta, forward(problem, theta));
}

// Compiled once, in network.cpp, for the scalars gradcheck computes in (double, and complex for
// the complex step): other translation units link to these instead of instantiating Eigen's
// products again. Other scalars (the tests' float and long double) are instantiated where used.
#define GRADCHECK_NETWORK_INSTANCES(prefix, Scalar)                                              \
  prefix ForwardPass<Scalar> forward(const Problem&, const Weights<Scalar>&);                   \
  prefix Matrix<Scalar> output_activation(Output, const Matrix<Scalar>&);                       \
  prefix Vector<Scalar> example_costs(Output, const Matrix<Scalar>&, const Matrix<Scalar>&,     \
                                      const Eigen::MatrixXd&);                                  \
  prefix Scalar regularization(const Weights<Scalar>&, double, Index);                          \
  prefix Scalar cost(const Problem&, const Weights<Scalar>&, const ForwardPass<Scalar>&);       \
  prefix Scalar cost(const Problem&, const Weights<Scalar>&);
#define GRADCHECK_FOR_EACH_SCALAR(X, prefix) X(prefix, double) X(prefix, std::complex<double>)

GRADCHECK_FOR_EACH_SCALAR(GRADCHECK_NETWORK_INSTANCES, extern template)

}  // namespace gradcheck
