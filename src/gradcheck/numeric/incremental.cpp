#include "gradcheck/numeric/incremental.hpp"
#include "gradcheck/numeric/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace gradcheck {
namespace {

using Eigen::ArrayXXd;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using ConstRef = Eigen::Ref<const MatrixXd>;

/// expm1 and log1p by their Taylor polynomials, for small arguments: the usual case, since a
/// finite difference moves each z by about ε. The library functions are scalar; these vectorize.
/// The degree follows r = max |x|, so that the first omitted term stays near or below one ulp:
///   r ≤ 2^-14: expm1 to x^4/24 (next term r^4/120 ≤ 2^-63), log1p to x^4/4 (next r^4/5 ≤ 2^-58)
///   r ≤ 2^-10: expm1 to x^6/720 (next r^6/5040 ≤ 2^-72), log1p to x^7/7 (next r^7/8 ≤ 2^-73)
/// Larger arguments go to the library functions.
constexpr double small = 0x1p-14, moderate = 0x1p-10;

template <class Derived> ArrayXXd expm1_series(const Eigen::ArrayBase<Derived>& x, double r) {
  if (r <= small) return x * (1 + x * (1.0 / 2 + x * (1.0 / 6 + x * (1.0 / 24))));
  return x * (1 + x * (1.0 / 2 + x * (1.0 / 6 + x * (1.0 / 24 + x * (1.0 / 120 + x * (1.0 / 720))))));
}

template <class Derived> ArrayXXd log1p_series(const Eigen::ArrayBase<Derived>& x, double r) {
  if (r <= small) return x * (1 + x * (-1.0 / 2 + x * (1.0 / 3 + x * (-1.0 / 4))));
  return x * (1 + x * (-1.0 / 2 + x * (1.0 / 3 + x * (-1.0 / 4 + x * (1.0 / 5 + x * (-1.0 / 6 + x * (1.0 / 7)))))));
}

/// e^x − 1, elementwise, given r ≥ max |x|.
ArrayXXd expm1_vectorized(const Eigen::Ref<const ArrayXXd>& x, double r) {
  return r <= moderate ? expm1_series(x, r) : ArrayXXd(x.expm1());
}

/// log(1 + x), elementwise, given r ≥ max |x|.
ArrayXXd log1p_vectorized(const Eigen::Ref<const ArrayXXd>& x, double r) {
  return r <= moderate ? log1p_series(x, r) : ArrayXXd(x.log1p());
}

/// A bound on |e^x − 1| from r ≥ |x|, for r ≤ 1: e^r − 1 ≤ r + r².
double expm1_bound(double r) { return r <= 1 ? r + r * r : std::numeric_limits<double>::infinity(); }

/// tanh(x), elementwise, given r ≥ max |x|: the Taylor polynomial for small r, like expm1_series
/// (r ≤ 2^-14: to x³/3, next term 2r⁵/15 ≤ 2^-72 |x|; r ≤ 2^-10: to 17x⁷/315, next ≤ 2^-85 |x|).
ArrayXXd tanh_vectorized(const Eigen::Ref<const ArrayXXd>& x, double r) {
  if (r <= small) return x * (1 + x * x * (-1.0 / 3));
  if (r <= moderate) {
    const ArrayXXd x2 = x * x;
    return x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315))));
  }
  return x.tanh();
}

/// g(Z + dZ) − g(Z) given A = g(Z) and r ≥ max |dZ|, in forms that never subtract two nearly
/// equal values and need no exp or tanh of Z + dZ:
///   sigmoid  σ(z + d) = a / (1 + (1 − a) m) with m = e^(−d) − 1, so
///            σ(z + d) − σ(z) = −a (1 − a) m / (1 + (1 − a) m)
///   tanh     tanh(z + d) = (a + t) / (1 + a t) with t = tanh d, so
///            tanh(z + d) − tanh(z) = t (1 − a²) / (1 + a t)
///   relu     max(z + d, 0) − max(z, 0), flagging a kink when z + d and z differ in sign
MatrixXd activation_change(Activation g, const ConstRef& Z, const ConstRef& A, const ConstRef& dZ, double r, bool& kink) {
  switch (g) {
    case Activation::sigmoid: {
      const ArrayXXd m = expm1_vectorized(-dZ.array(), r);
      const ArrayXXd rest = 1 - A.array();
      return (-A.array() * rest * m / (1 + rest * m)).matrix();
    }
    case Activation::tanh: {
      const ArrayXXd t = tanh_vectorized(dZ.array(), r);
      return (t * (1 - A.array().square()) / (1 + A.array() * t)).matrix();
    }
    case Activation::relu: {
      const ArrayXXd moved = Z.array() + dZ.array();
      if (((moved > 0) != (Z.array() > 0)).any()) kink = true;
      return (moved.max(0.0) - A.array()).matrix();
    }
    case Activation::identity: return dZ;
    case Activation::leaky_relu:
    case Activation::elu: {
      // Each side of 0 in a form without cancellation: d (or 0.01 d) above it, and for ELU
      // e^z (e^d − 1) below; across it, the plain difference, and a kink is flagged.
      const ArrayXXd moved = Z.array() + dZ.array();
      using Signs = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>;
      const Signs above = moved > 0, was_above = Z.array() > 0;
      if ((above != was_above).any()) kink = true;
      const ArrayXXd below = g == Activation::leaky_relu ? ArrayXXd(leaky_slope * dZ.array())
                                                         : ArrayXXd(Z.array().exp() * expm1_vectorized(dZ.array(), r));
      const ArrayXXd direct = g == Activation::leaky_relu ? ArrayXXd((above).select(moved, leaky_slope * moved))
                                                          : ArrayXXd((above).select(moved, moved.exp() - 1));
      const Signs both_above = above && was_above, both_below = !above && !was_above;
      return both_above.select(dZ.array(), both_below.select(below, direct - A.array())).matrix();
    }
    case Activation::softplus: {
      // softplus(z + d) − softplus(z) = log1p(σ(z) (e^d − 1)).
      const ArrayXXd s = 1 / (1 + (-Z.array()).exp());
      return (s * expm1_vectorized(dZ.array(), r)).log1p().matrix();
    }
  }
  return dZ;  // unreachable
}

}  // namespace

IncrementalCost::IncrementalCost(const Problem& problem, const Weights<double>& theta)
    : problem_(problem), theta_(theta), layout_(problem.architecture), base_(forward(problem, theta)),
      target_sums_(problem.Y.rowwise().sum()) {}

double IncrementalCost::output_change(const ConstRef& dZ, Index unit, double bound) const {
  const Index first = unit < 0 ? 0 : unit, count = dZ.cols();
  const auto A = base_.a.back().middleCols(first, count);
  const auto Y = problem_.Y.middleCols(first, count);
  switch (problem_.architecture.output) {
    case Output::sigmoid_logistic: {
      // J_t = Σ_k softplus(z_k) − y_k z_k, and softplus(z + d) − softplus(z) = log1p(σ(z) expm1(d)).
      const ArrayXXd grown = A.array() * expm1_vectorized(dZ.array(), bound);
      return (log1p_vectorized(grown, expm1_bound(bound)) - Y.array() * dZ.array()).sum();
    }
    case Output::softmax_cross_entropy: {
      // J_t = (Σ_k y_k) lse(z) − Σ_k y_k z_k, and lse(z + d) − lse(z) = log1p(Σ_k a_k expm1(d_k)).
      const ArrayXXd grown = (A.array() * expm1_vectorized(dZ.array(), bound)).rowwise().sum();
      return (target_sums_.array() * log1p_vectorized(grown, expm1_bound(bound)).col(0)).sum() -
             (Y.array() * dZ.array()).sum();
    }
    case Output::identity_quadratic:
      // ½(a + d − y)² − ½(a − y)² = ½ d (2(a − y) + d).
      return 0.5 * (dZ.array() * (2 * (A - Y).array() + dZ.array())).sum();
    case Output::identity_mse:
      // (a + d − y)² − (a − y)² = d (2(a − y) + d).
      return (dZ.array() * (2 * (A - Y).array() + dZ.array())).sum();
    case Output::sigmoid_quadratic: {
      bool unused = false;
      const MatrixXd dA =
          activation_change(Activation::sigmoid, base_.z.back().middleCols(first, count), A, dZ, bound, unused);
      return 0.5 * (dA.array() * (2 * (A - Y).array() + dA.array())).sum();
    }
  }
  return 0;  // unreachable
}

double IncrementalCost::derivative(Index k, const Stencil& stencil, double step, bool& kink) const {
  const Architecture& arch = problem_.architecture;
  const Index L = arch.layers(), m = problem_.examples();
  const ParamIndex p = layout_.entry(k);
  const Index l = p.l, i = p.i - 1;  // i is 0-based from here on
  const double value = theta_[static_cast<std::size_t>(l - 1)](i, p.j);
  // z^(l+1)_i moves by d · [1 a^(l)]_j for every example.
  const VectorXd x = p.j == 0 ? VectorXd::Ones(m) : VectorXd(base_.a[static_cast<std::size_t>(l - 1)].col(p.j - 1));

  const double x_bound = x.cwiseAbs().maxCoeff();
  double weighted = 0;        // Σ_s w_s Σ_t (J_t(θ + d_s e_k) − J_t(θ))
  double regularization = 0;  // Σ_s w_s ((θ + d_s)² − θ²)
  for (std::size_t s = 0; s < stencil.offsets.size(); ++s) {
    const double d = (value + stencil.offsets[s] * step) - value;  // the step as actually taken
    const VectorXd dz = d * x;
    double change = 0;
    if (l + 1 == L) {
      change = output_change(dz, i, std::abs(d) * x_bound);
    } else {
      const auto slot = static_cast<std::size_t>(l);  // a^(l+1), z^(l+1) and Θ^(l+1)
      MatrixXd dA = activation_change(arch.activation(l + 1), base_.z[slot].col(i), base_.a[slot].col(i), dz,
                                      std::abs(d) * x_bound, kink);
      MatrixXd dZ = dA * theta_[slot].col(i + 1).transpose();  // rank one: the change of z^(l+2)
      double bound = dA.cwiseAbs().maxCoeff() * theta_[slot].col(i + 1).cwiseAbs().maxCoeff();
      for (Index q = l + 2; q < L; ++q) {
        const auto at = static_cast<std::size_t>(q - 1);
        dA = activation_change(arch.activation(q), base_.z[at], base_.a[at], dZ, bound, kink);
        dZ = dA * theta_[at].rightCols(arch.size(q)).transpose();
        bound = dZ.cwiseAbs().maxCoeff();
      }
      change = output_change(dZ, -1, bound);
    }
    weighted += stencil.weights[s] * change;
    if (p.j > 0) regularization += stencil.weights[s] * d * (2 * value + d);
  }
  const double md = static_cast<double>(m);
  return (weighted / md + problem_.lambda / (2 * md) * regularization) / step;
}

unsigned useful_threads(Index coordinates, unsigned available) {
  return static_cast<unsigned>(std::clamp<Index>(coordinates / 256, 1, std::max(1u, available)));
}

NumericalGradient incremental_gradient(const Problem& problem, const Weights<double>& theta,
                                       const IncrementalOptions& options, std::vector<bool>* kinks) {
  validate(problem);
  validate(problem.architecture, theta);
  const FiniteDifference& fd = options.difference;
  if (!(fd.step > 0)) throw std::invalid_argument("finite-difference step ε must be positive");
  const Stencil& stencil = stencil_of(fd);
  const IncrementalCost cost(problem, theta);
  const Eigen::VectorXd flat = unroll(theta);

  const std::vector<Index> coordinates = coordinates_or_all(options.coordinates, cost.parameters());
  const auto n = static_cast<Index>(coordinates.size());
  NumericalGradient result{VectorXd::Constant(n, std::numeric_limits<double>::quiet_NaN()), 0, 0};
  std::vector<char> flags(coordinates.size(), 0);  // not vector<bool>: written from several threads
  result.completed = parallel_for(n, options.threads, fd.progress, fd.stop, [&](Index c) {
    const Index k = coordinates[static_cast<std::size_t>(c)];
    bool kink = false;
    result.gradient(c) = cost.derivative(k, stencil, step_for(fd, flat(k)), kink);
    flags[static_cast<std::size_t>(c)] = kink;
  });
  result.evaluations = static_cast<std::size_t>(result.completed) * stencil.offsets.size();
  if (kinks) kinks->assign(flags.begin(), flags.end());
  return result;
}

}  // namespace gradcheck
