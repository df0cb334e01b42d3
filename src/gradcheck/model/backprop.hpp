#pragma once
/// @file
/// The reference backpropagation, exactly as the course's algorithm slide has it:
///
///   set Δ^(l) = 0 for all l
///   for t = 1 … m:
///     a^(1) = x^(t); forward propagate to a^(l), l = 2 … L
///     δ^(L) = a^(L) − y^(t)
///     δ^(l) = ((Θ^(l))ᵀ δ^(l+1)) with the bias row dropped, .* g′(z^(l)),  l = L−1 … 2
///     Δ^(l) += δ^(l+1) [1; a^(l)]ᵀ
///   D^(l) = Δ^(l)/m + (λ/m) Θ^(l), column 0 (bias) unregularized
///
/// backprop_loop() is that loop verbatim; backprop() is the same algorithm vectorized over the
/// examples (one matrix product per layer and direction). Both return J and every D^(l).

#include "gradcheck/model/activation.hpp"
#include "gradcheck/model/network.hpp"
#include "gradcheck/model/problem.hpp"

namespace gradcheck {

/// J(Θ) and its gradient D^(l) = ∂J/∂Θ^(l) for every layer.
template <class Scalar> struct Gradient {
  Scalar J{};
  Weights<Scalar> D;  ///< D[l - 1] = D^(l), same shape as Θ^(l)
};

/// δ^(L) = ∂J_t/∂z^(L), one example per row. For the matched output/cost pairs this is the
/// course's a^(L) − y (twice it for the squared error without ½); for sigmoid output with
/// quadratic cost the chain rule adds .* g′(z^(L)).
template <class Scalar, class DerivedY>
Matrix<Scalar> output_delta(Output output, const Matrix<Scalar>& zL, const Matrix<Scalar>& aL,
                            const Eigen::MatrixBase<DerivedY>& Y) {
  Matrix<Scalar> delta = aL - Y.template cast<Scalar>();
  if (output_delta_factor(output) != 1) delta *= Scalar(output_delta_factor(output));
  if (!matched(output)) delta.array() *= derivative(Activation::sigmoid, zL).array();
  return delta;
}

/// D^(l) = Δ^(l)/m + (λ/m) Θ^(l), the bias column 0 left unregularized.
template <class Scalar>
Matrix<Scalar> finish_gradient(Matrix<Scalar> Delta, const Matrix<Scalar>& theta, double lambda, Index m) {
  const auto inv_m = Scalar(1.0 / static_cast<double>(m));
  Delta *= inv_m;
  Delta.rightCols(Delta.cols() - 1) += Scalar(lambda) * inv_m * theta.rightCols(theta.cols() - 1);
  return Delta;
}

/// Which one-sided slope g′(0) backprop takes where a ReLU or leaky ReLU unit has z = 0 exactly.
/// J has no derivative there, and implementations differ (`z > 0` takes the left, `z >= 0` the
/// right); anywhere else both give the same D, bit for bit.
enum class KinkSide { left, right };

/// Vectorized backprop: for all examples at once (rows),
/// δ^(l) = (δ^(l+1) Θ^(l)_(:,1:)) .* g′(z^(l)) and Δ^(l) = δ^(l+1)ᵀ [1 a^(l)].
/// Costs one forward pass and two matrix products per layer.
template <class Scalar>
Gradient<Scalar> backprop(const Problem& problem, const Weights<Scalar>& theta, KinkSide side = KinkSide::left) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers(), m = problem.examples();
  const ForwardPass<Scalar> pass = forward(problem, theta);

  Gradient<Scalar> result;
  result.J = cost(problem, theta, pass);
  result.D.resize(theta.size());
  Matrix<Scalar> delta = output_delta(arch.output, pass.z.back(), pass.a.back(), problem.Y);
  for (Index l = L - 1; l >= 1; --l) {
    const auto k = static_cast<std::size_t>(l - 1);
    const Matrix<Scalar>& a = pass.a[k];
    Matrix<Scalar> Delta(theta[k].rows(), theta[k].cols());
    Delta.col(0) = delta.colwise().sum().transpose();  // the bias unit's activation is 1
    Delta.rightCols(a.cols()).noalias() = delta.transpose() * a;
    result.D[k] = finish_gradient(std::move(Delta), theta[k], problem.lambda, m);
    if (l > 1) {
      // Dropping the bias row of Θᵀδ is using only columns 1… of Θ.
      Matrix<Scalar> back = delta * theta[k].rightCols(a.cols());
      Matrix<Scalar> slope = derivative(arch.activation(l), pass.z[k]);
      if (side == KinkSide::right && kinked(arch.activation(l)))
        slope = (pass.z[k].array() == Scalar(0)).select(Scalar(1), slope);
      back.array() *= slope.array();
      delta = std::move(back);
    }
  }
  return result;
}

/// The course's per-example loop, verbatim: one example at a time, column vectors with the
/// bias unit prepended, Δ^(l) accumulated over t = 1 … m. Slower than backprop(), and kept as
/// the literal reading of the algorithm that backprop() must agree with.
template <class Scalar> Gradient<Scalar> backprop_loop(const Problem& problem, const Weights<Scalar>& theta) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers(), m = problem.examples();
  const auto layer = [](Index l) { return static_cast<std::size_t>(l - 1); };

  Weights<Scalar> Delta;  // Δ^(l) = 0
  for (const auto& t : theta) Delta.push_back(Matrix<Scalar>::Zero(t.rows(), t.cols()));
  Scalar data_cost(0);

  for (Index t = 0; t < m; ++t) {
    // Forward propagation; a1[l] is [1; a^(l)], the activation with its bias unit.
    std::vector<Vector<Scalar>> a1(static_cast<std::size_t>(L)), z(static_cast<std::size_t>(L));
    a1[0].resize(arch.size(1) + 1);
    a1[0] << Scalar(1), problem.X.row(t).transpose().cast<Scalar>();
    Vector<Scalar> aL;
    for (Index l = 1; l < L; ++l) {
      z[layer(l + 1)] = theta[layer(l)] * a1[layer(l)];
      if (l + 1 < L) {
        a1[layer(l + 1)].resize(arch.size(l + 1) + 1);
        a1[layer(l + 1)] << Scalar(1), activate(arch.activation(l + 1), z[layer(l + 1)]);
      } else {
        aL = output_activation<Scalar>(arch.output, z[layer(L)].transpose()).transpose();
      }
    }
    const Matrix<Scalar> zL_row = z[layer(L)].transpose(), aL_row = aL.transpose();
    data_cost += example_costs<Scalar>(arch.output, zL_row, aL_row, problem.Y.row(t))(0);

    // δ^(L) = a^(L) − y^(t), then back through the hidden layers.
    std::vector<Vector<Scalar>> delta(static_cast<std::size_t>(L) + 1);
    delta[layer(L)] = output_delta(arch.output, zL_row, aL_row, problem.Y.row(t)).transpose();
    for (Index l = L - 1; l >= 2; --l) {
      const Vector<Scalar> back = theta[layer(l)].transpose() * delta[layer(l + 1)];
      delta[layer(l)] = back.tail(arch.size(l)).cwiseProduct(derivative(arch.activation(l), z[layer(l)]));
    }
    for (Index l = 1; l < L; ++l) Delta[layer(l)] += delta[layer(l + 1)] * a1[layer(l)].transpose();
  }

  Gradient<Scalar> result;
  result.J = data_cost / Scalar(static_cast<double>(m)) + regularization(theta, problem.lambda, m);
  for (std::size_t k = 0; k < theta.size(); ++k)
    result.D.push_back(finish_gradient(std::move(Delta[k]), theta[k], problem.lambda, m));
  return result;
}

/// For each D^(l)_ij, the size of the numbers it is computed from: the same backprop on absolute
/// values, starting from |a^(L)| + |y| (the terms of a − y) instead of a − y, with
/// |δ^(l)| = (|δ^(l+1)| |Θ^(l)|) .* |g′(z^(l))| and |δ^(l+1)|ᵀ |[1 a^(l)]| / m + (λ/m)|Θ^(l)|.
/// Rounding at unit u moves D^(l)_ij, in any implementation, by about u times this (times a
/// small factor for the length of the sums), however small D^(l)_ij itself is.
/// With `residuals`, the same from |a^(L) − y|: Σ_k |Θ_k| times it is what J moves by, to first
/// order, when every z^(l) is rounded at unit 1 (J moves by δ·dz), however small J itself is.
Weights<double> term_sizes(const Problem& problem, const Weights<double>& theta, bool residuals = false);

// Compiled once, in backprop.cpp, for double: other translation units link to it instead of
// instantiating Eigen's products again. Other scalars and backprop_loop (the tests') are
// instantiated where used.
extern template Gradient<double> backprop(const Problem&, const Weights<double>&, KinkSide);

}  // namespace gradcheck
