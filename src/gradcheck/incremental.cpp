#include "gradcheck/incremental.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace gradcheck {
namespace {

using Eigen::ArrayXXd;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using ConstRef = Eigen::Ref<const MatrixXd>;

/// Below this magnitude expm1 and log1p are evaluated by their Taylor polynomials, which then
/// agree with the library functions to the last bit or so and, unlike them, vectorize. With
/// |x| ≤ 2^-10 the first omitted terms, x^7/5040 and x^8/8, are below 2^-60 |x|.
constexpr double small = 0x1p-10;

/// e^x − 1 for |x| ≤ small.
template <class Derived> auto expm1_small(const Eigen::ArrayBase<Derived>& x) {
  return x * (1 + x * (1.0 / 2 + x * (1.0 / 6 + x * (1.0 / 24 + x * (1.0 / 120 + x * (1.0 / 720))))));
}

/// log(1 + x) for |x| ≤ small.
template <class Derived> auto log1p_small(const Eigen::ArrayBase<Derived>& x) {
  return x * (1 + x * (-1.0 / 2 + x * (1.0 / 3 + x * (-1.0 / 4 + x * (1.0 / 5 + x * (-1.0 / 6 + x * (1.0 / 7)))))));
}

/// e^x − 1, elementwise; by polynomial when every |x| is small (the usual case: a finite
/// difference moves each z by about ε).
ArrayXXd expm1_vectorized(const Eigen::Ref<const ArrayXXd>& x) {
  if (x.abs().maxCoeff() <= small) return expm1_small(x);
  return x.expm1();
}

/// log(1 + x), elementwise, likewise.
ArrayXXd log1p_vectorized(const Eigen::Ref<const ArrayXXd>& x) {
  if (x.abs().maxCoeff() <= small) return log1p_small(x);
  return x.log1p();
}

/// g(Z + dZ) − g(Z) given A = g(Z), in forms that never subtract two nearly equal values:
///   sigmoid  σ(z + d) − σ(z) = σ(z + d)(1 − σ(z))(1 − e^(−d))
///   tanh     tanh(z + d) − tanh(z) = tanh(d)(1 − tanh(z + d) tanh(z))
///   relu     max(z + d, 0) − max(z, 0), flagging a kink when z + d and z differ in sign
MatrixXd activation_change(Activation g, const ConstRef& Z, const ConstRef& A, const ConstRef& dZ, bool& kink) {
  switch (g) {
    case Activation::sigmoid: {
      const ArrayXXd moved = 1 / (1 + (-(Z.array() + dZ.array())).exp());
      return (moved * (1 - A.array()) * -expm1_vectorized(-dZ.array())).matrix();
    }
    case Activation::tanh: {
      const ArrayXXd moved = (Z.array() + dZ.array()).tanh();
      return (dZ.array().tanh() * (1 - moved * A.array())).matrix();
    }
    case Activation::relu: {
      const ArrayXXd moved = Z.array() + dZ.array();
      if (((moved > 0) != (Z.array() > 0)).any()) kink = true;
      return (moved.max(0.0) - A.array()).matrix();
    }
    case Activation::identity: return dZ;
  }
  return dZ;  // unreachable
}

}  // namespace

IncrementalCost::IncrementalCost(const Problem& problem, const Weights<double>& theta)
    : problem_(problem), theta_(theta), layout_(problem.architecture), base_(forward(problem, theta)),
      target_sums_(problem.Y.rowwise().sum()) {}

VectorXd IncrementalCost::output_change(const ConstRef& dZ, Index unit) const {
  const Index first = unit < 0 ? 0 : unit, count = dZ.cols();
  const auto A = base_.a.back().middleCols(first, count);
  const auto Y = problem_.Y.middleCols(first, count);
  switch (problem_.architecture.output) {
    case Output::sigmoid_logistic:
      // J_t = Σ_k softplus(z_k) − y_k z_k, and softplus(z + d) − softplus(z) = log1p(σ(z) expm1(d)).
      return (log1p_vectorized(A.array() * expm1_vectorized(dZ.array())) - Y.array() * dZ.array()).rowwise().sum();
    case Output::softmax_cross_entropy:
      // J_t = (Σ_k y_k) lse(z) − Σ_k y_k z_k, and lse(z + d) − lse(z) = log1p(Σ_k a_k expm1(d_k)).
      return target_sums_.array() * log1p_vectorized((A.array() * expm1_vectorized(dZ.array())).rowwise().sum()).col(0) -
             (Y.array() * dZ.array()).rowwise().sum();
    case Output::identity_quadratic:
      // ½(a + d − y)² − ½(a − y)² = ½ d (2(a − y) + d).
      return 0.5 * (dZ.array() * (2 * (A - Y).array() + dZ.array())).rowwise().sum();
    case Output::sigmoid_quadratic: {
      bool unused = false;
      const MatrixXd dA = activation_change(Activation::sigmoid, base_.z.back().middleCols(first, count), A, dZ, unused);
      return 0.5 * (dA.array() * (2 * (A - Y).array() + dA.array())).rowwise().sum();
    }
  }
  return VectorXd::Zero(dZ.rows());  // unreachable
}

double IncrementalCost::derivative(Index k, const Stencil& stencil, double step, bool& kink) const {
  const Architecture& arch = problem_.architecture;
  const Index L = arch.layers(), m = problem_.examples();
  const ParamIndex p = layout_.entry(k);
  const Index l = p.l, i = p.i - 1;  // i is 0-based from here on
  const double value = theta_[static_cast<std::size_t>(l - 1)](i, p.j);
  // z^(l+1)_i moves by d · [1 a^(l)]_j for every example.
  const VectorXd x = p.j == 0 ? VectorXd::Ones(m) : VectorXd(base_.a[static_cast<std::size_t>(l - 1)].col(p.j - 1));

  VectorXd weighted = VectorXd::Zero(m);  // Σ_s w_s (J_t(θ + d_s e_k) − J_t(θ)), per example
  double regularization = 0;              // Σ_s w_s ((θ + d_s)² − θ²)
  for (std::size_t s = 0; s < stencil.offsets.size(); ++s) {
    const double d = (value + stencil.offsets[s] * step) - value;  // the step as actually taken
    const VectorXd dz = d * x;
    VectorXd change;
    if (l + 1 == L) {
      change = output_change(dz, i);
    } else {
      const auto slot = static_cast<std::size_t>(l);  // a^(l+1), z^(l+1) and Θ^(l+1)
      MatrixXd dA = activation_change(arch.activation(l + 1), base_.z[slot].col(i), base_.a[slot].col(i), dz, kink);
      MatrixXd dZ = dA * theta_[slot].col(i + 1).transpose();  // rank one: the change of z^(l+2)
      for (Index q = l + 2; q < L; ++q) {
        const auto at = static_cast<std::size_t>(q - 1);
        dA = activation_change(arch.activation(q), base_.z[at], base_.a[at], dZ, kink);
        dZ = dA * theta_[at].rightCols(arch.size(q)).transpose();
      }
      change = output_change(dZ, -1);
    }
    weighted += stencil.weights[s] * change;
    if (p.j > 0) regularization += stencil.weights[s] * d * (2 * value + d);
  }
  const double md = static_cast<double>(m);
  return (weighted.sum() / md + problem_.lambda / (2 * md) * regularization) / step;
}

NumericalGradient incremental_gradient(const Problem& problem, const Weights<double>& theta,
                                       const IncrementalOptions& options, std::vector<bool>* kinks) {
  validate(problem);
  validate(problem.architecture, theta);
  const FiniteDifference& fd = options.difference;
  if (!(fd.step > 0)) throw std::invalid_argument("finite-difference step ε must be positive");
  const Stencil& stencil = central_stencil(fd.order);
  const IncrementalCost cost(problem, theta);

  std::vector<Index> all;
  if (!options.coordinates) {
    all.resize(static_cast<std::size_t>(cost.parameters()));
    for (std::size_t c = 0; c < all.size(); ++c) all[c] = static_cast<Index>(c);
  }
  const std::vector<Index>& coordinates = options.coordinates ? *options.coordinates : all;
  for (const Index k : coordinates)
    if (k < 0 || k >= cost.parameters())
      throw std::invalid_argument("coordinate " + std::to_string(k) + " is outside 0 … P − 1 = " +
                                  std::to_string(cost.parameters() - 1));

  const auto n = static_cast<Index>(coordinates.size());
  NumericalGradient result{VectorXd(n), static_cast<std::size_t>(n) * stencil.offsets.size()};
  std::vector<char> flags(coordinates.size(), 0);  // not vector<bool>: written from several threads

  // Workers take chunks of coordinates in turn; each coordinate is computed the same way
  // whoever takes it, so the result does not depend on the thread count.
  constexpr Index chunk = 16;
  std::atomic<Index> next{0}, done{0};
  std::mutex reporting;
  const auto work = [&] {
    for (Index begin = next.fetch_add(chunk); begin < n; begin = next.fetch_add(chunk)) {
      const Index end = std::min(n, begin + chunk);
      for (Index c = begin; c < end; ++c) {
        bool kink = false;
        result.gradient(c) = cost.derivative(coordinates[static_cast<std::size_t>(c)], stencil, fd.step, kink);
        flags[static_cast<std::size_t>(c)] = kink;
      }
      const Index finished = done += end - begin;
      if (fd.progress && finished < n) {
        std::unique_lock<std::mutex> lock(reporting, std::try_to_lock);
        if (lock) fd.progress(finished, n);
      }
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < std::max(1u, options.threads); ++t) helpers.emplace_back(work);
  work();
  for (auto& helper : helpers) helper.join();
  if (fd.progress) fd.progress(n, n);

  if (kinks) kinks->assign(flags.begin(), flags.end());
  return result;
}

}  // namespace gradcheck
