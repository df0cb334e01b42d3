// Finite differences over any cost J: R^P → R.

#include "gradcheck/numeric/finite_diff.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>
#include <limits>

using namespace gradcheck;
using Eigen::Index;

BOOST_AUTO_TEST_SUITE(finite_diff)

BOOST_AUTO_TEST_CASE(centralDifferencesOfADyadicQuadraticAreExact) {
  // J(θ) = Σ c_k θ_k² + θ_0 θ_1 with dyadic c, θ and h: every J(θ ± h e_k) is exact in binary,
  // so (J(θ+h) − J(θ−h)) / 2h equals the true gradient 2 c_k θ_k (+ the cross term) exactly.
  const Eigen::VectorXd c = (Eigen::VectorXd(4) << 0.5, 2, -1.25, 3).finished();
  const auto J = [&](const Eigen::VectorXd& t) { return (c.array() * t.array().square()).sum() + t(0) * t(1); };
  const Eigen::VectorXd theta = (Eigen::VectorXd(4) << 0.75, -1.5, 0.125, 2).finished();
  Eigen::VectorXd expected = 2 * c.cwiseProduct(theta);
  expected(0) += theta(1);
  expected(1) += theta(0);
  const NumericalGradient n = numerical_gradient(J, theta, {std::ldexp(1.0, -7), 2, {}});
  BOOST_TEST((n.gradient == expected));
  BOOST_TEST(n.evaluations == 8u);
}

BOOST_AUTO_TEST_CASE(everyStencilInTheTableHasTheMomentsOfAFirstDerivative) {
  // Σ_s w_s o_s^q = 1 for q = 1 and 0 for q = 0, 2, …, order: exact on polynomials of degree ≤ order.
  for (const Stencil& stencil : stencils()) {
    BOOST_TEST_INFO("order " << stencil.order << (stencil.scheme == Scheme::richardson ? " richardson" : " central"));
    BOOST_TEST(stencil.offsets.size() == stencil.weights.size());
    for (int q = 0; q <= stencil.order; ++q) {
      double moment = 0;
      for (std::size_t s = 0; s < stencil.offsets.size(); ++s) moment += stencil.weights[s] * std::pow(stencil.offsets[s], q);
      BOOST_TEST(moment == (q == 1 ? 1.0 : 0.0), boost::test_tools::tolerance(1e-14));
    }
  }
}

BOOST_AUTO_TEST_CASE(eachStencilDifferentiatesPolynomialsOfItsOrderExactly) {
  for (const Stencil& stencil : stencils()) {
    const int order = stencil.order;
    // J(θ) = Σ_k θ_k^p / p for p = order: J′ = θ_k^(p−1). Central stencils of order p are exact
    // on polynomials of degree ≤ p (their error term involves the (p+1)-th derivative).
    const auto J = [order](const Eigen::VectorXd& t) { return t.array().pow(order).sum() / order; };
    const Eigen::VectorXd theta = (Eigen::VectorXd(3) << 0.3, -0.7, 1.1).finished();
    const NumericalGradient n = numerical_gradient(J, theta, {0.125, order, {}, stencil.scheme});
    BOOST_TEST(n.evaluations == 3 * stencil.offsets.size());
    for (Index k = 0; k < 3; ++k)
      BOOST_TEST(n.gradient(k) == std::pow(theta(k), order - 1), boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(truncationErrorShrinksAsTheStepToTheOrder) {
  // f(θ) = exp(sin θ): halving h divides the error of an order-p stencil by about 2^p, once h is
  // small enough for the leading term to dominate and large enough to stay clear of rounding.
  const auto J = [](const Eigen::VectorXd& t) { return std::exp(std::sin(t(0))); };
  const Eigen::VectorXd theta = Eigen::VectorXd::Constant(1, 0.7);
  const double exact = std::cos(0.7) * std::exp(std::sin(0.7));
  for (const Stencil& stencil : stencils()) {
    const int order = stencil.order;
    const double h = order == 2 ? 1e-2 : stencil.scheme == Scheme::central ? 5e-2 : 1e-1;
    const double coarse = std::abs(numerical_gradient(J, theta, {h, order, {}, stencil.scheme}).gradient(0) - exact);
    const double fine = std::abs(numerical_gradient(J, theta, {h / 2, order, {}, stencil.scheme}).gradient(0) - exact);
    const double rate = std::log2(coarse / fine);
    BOOST_TEST_INFO("order " << order << (stencil.scheme == Scheme::richardson ? " richardson" : " central")
                             << ", observed rate " << rate);
    BOOST_TEST(std::abs(rate - order) < 0.25);
  }
}

RC_BOOST_PROP(onlyOneCoordinateIsPerturbedAtATimeAndThetaIsRestored, (const std::vector<int>& seeds)) {
  RC_PRE(!seeds.empty());
  Eigen::VectorXd theta(static_cast<Index>(seeds.size()));
  for (std::size_t k = 0; k < seeds.size(); ++k) theta(static_cast<Index>(k)) = (seeds[k] % 1000) / 100.0;
  const double h = 1e-3;
  const auto J = [&](const Eigen::VectorXd& t) {
    const Eigen::ArrayXd moved = (t - theta).array().abs();
    RC_ASSERT((moved > 0).count() == 1);  // exactly one coordinate differs from θ …
    RC_ASSERT(std::abs(moved.maxCoeff() - h) <= 1e-12);  // … by the step
    return t.sum();
  };
  Index calls = 0;
  FiniteDifference fd{h, 2, [&calls](Index done, Index total) { calls = done; RC_ASSERT(total > 0); }};
  const NumericalGradient n = numerical_gradient(J, theta, fd);
  RC_ASSERT(calls == theta.size());
  RC_ASSERT((n.gradient.array() - 1).abs().maxCoeff() <= 1e-10);
}

BOOST_AUTO_TEST_CASE(scaledStepsBalanceTruncationAgainstRounding) {
  // ε_mach^(1/3) ≈ 6.1e-6 for order 2; scaled by max(1, |θ|).
  FiniteDifference fd;
  fd.scaled = true;
  BOOST_TEST(step_for(fd, 0.5) == std::cbrt(std::numeric_limits<double>::epsilon()), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(step_for(fd, -40.0) == 40 * step_for(fd, 0.0), boost::test_tools::tolerance(1e-12));
  // On f = exp(sin θ) the balanced step beats the course's fixed 1e-4 by orders of magnitude.
  const auto J = [](const Eigen::VectorXd& t) { return std::exp(std::sin(t(0))); };
  const Eigen::VectorXd theta = Eigen::VectorXd::Constant(1, 0.7);
  const double exact = std::cos(0.7) * std::exp(std::sin(0.7));
  for (const int order : {2, 4, 6}) {
    FiniteDifference scaled{1e-4, order, {}, Scheme::central, true}, fixed{1e-4, order, {}};
    const double scaled_error = std::abs(numerical_gradient(J, theta, scaled).gradient(0) - exact);
    const double fixed_error = std::abs(numerical_gradient(J, theta, fixed).gradient(0) - exact);
    BOOST_TEST_INFO("order " << order << ": scaled " << scaled_error << ", fixed " << fixed_error);
    BOOST_TEST(scaled_error < 1e-10);
    if (order == 2) BOOST_TEST(scaled_error < fixed_error / 10);
  }
}

BOOST_AUTO_TEST_CASE(badStencilsAndStepsAreRefused) {
  const auto J = [](const Eigen::VectorXd& t) { return t.sum(); };
  BOOST_CHECK_THROW(numerical_gradient(J, Eigen::VectorXd::Zero(2), {1e-4, 3, {}}), std::invalid_argument);
  BOOST_CHECK_THROW(numerical_gradient(J, Eigen::VectorXd::Zero(2), {1e-4, 2, {}, Scheme::richardson}), std::invalid_argument);
  BOOST_CHECK_THROW(numerical_gradient(J, Eigen::VectorXd::Zero(2), {0.0, 2, {}}), std::invalid_argument);
  BOOST_CHECK_THROW(numerical_gradient(J, Eigen::VectorXd::Zero(2), {std::nan(""), 2, {}}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
