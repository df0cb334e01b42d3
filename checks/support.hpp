#pragma once
// Small helpers shared by the checks.

#include "gradcheck/check/compare.hpp"
#include "gradcheck/model/unroll.hpp"

#include <algorithm>

namespace gradcheck::support {

/// The largest relative_error() between two gradients, entry by entry (NaN if any is NaN).
template <class Scalar>
double max_relative_difference(const Weights<Scalar>& x, const Weights<double>& y, double floor) {
  const Vector<Scalar> a = unroll(x);
  const Eigen::VectorXd b = unroll(y);
  double worst = 0;
  for (Index k = 0; k < b.size(); ++k) {
    const double e = relative_error(static_cast<double>(std::real(a(k))), b(k), floor);
    if (std::isnan(e)) return e;
    worst = std::max(worst, e);
  }
  return worst;
}

/// max_k |x_k − y_k| / max_k |y_k|: the rounding-error measure for two computations of the same
/// gradient. Small entries that come out of cancellation carry absolute, not relative, error.
template <class Scalar> double normwise_difference(const Weights<Scalar>& x, const Weights<double>& y) {
  const Vector<Scalar> a = unroll(x);
  const Eigen::VectorXd b = unroll(y);
  double worst = 0;
  for (Index k = 0; k < b.size(); ++k) {
    const double d = std::abs(static_cast<double>(std::real(a(k))) - b(k));
    if (std::isnan(d)) return d;
    worst = std::max(worst, d);
  }
  return worst == 0 ? 0 : worst / b.cwiseAbs().maxCoeff();
}

}  // namespace gradcheck::support
