// The reference backprop: hand-worked values, the loop and vectorized forms, λ, scalar types.

#include "gradcheck/model/generators.hpp"
#include "hand_networks.hpp"
#include "support.hpp"

#include "gradcheck/model/backprop.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <complex>

using namespace gradcheck;
using support::max_relative_difference;
using support::normwise_difference;

namespace {

/// D of sigmoid_1_1_1 as derived by hand in hand_networks.hpp.
Weights<double> hand_D(double lambda) {
  const double d3 = hand::sigmoid_1_1_1_delta3();
  return {(Eigen::MatrixXd(1, 2) << d3, d3 / 2 - lambda).finished(),
          (Eigen::MatrixXd(1, 2) << d3, d3 / 2 + 4 * lambda).finished()};
}

/// Θ with every entry perturbed by a small imaginary step: the complex-step trick.
Weights<std::complex<double>> complexify(const Weights<double>& theta) {
  Weights<std::complex<double>> z;
  for (const auto& t : theta) z.push_back(t.cast<std::complex<double>>());
  return z;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backprop)

BOOST_AUTO_TEST_CASE(handWorkedSigmoidNetworkGivesHandDerivedD) {
  for (const double lambda : {0.0, 2.0}) {
    const Instance n = hand::sigmoid_1_1_1(lambda);
    BOOST_TEST(max_relative_difference(gradcheck::backprop(n.problem, n.theta).D, hand_D(lambda), 1e-15) <= 1e-15);
    BOOST_TEST(max_relative_difference(backprop_loop(n.problem, n.theta).D, hand_D(lambda), 1e-15) <= 1e-15);
  }
}

BOOST_AUTO_TEST_CASE(handWorkedLinearNetworkGivesExactD) {
  const Instance n = hand::linear_2_2_1();
  const Weights<double> D{(Eigen::MatrixXd(2, 3) << 0, 2, -2, 0, -1, 1).finished(),
                          (Eigen::MatrixXd(1, 3) << 0, 1, -1).finished()};
  const Gradient<double> g = gradcheck::backprop(n.problem, n.theta);
  BOOST_TEST(g.J == 2.0);
  for (std::size_t k = 0; k < D.size(); ++k) BOOST_TEST((g.D[k] == D[k]));  // small integers: exact
  BOOST_TEST(backprop_loop(n.problem, n.theta).J == 2.0);
}

RC_BOOST_PROP(loopAndVectorizedFormsAgree, ()) {
  const auto c = *generate::network_case();
  const Instance n = c.instance();
  const Gradient<double> vectorized = gradcheck::backprop(n.problem, n.theta);
  const Gradient<double> loop = backprop_loop(n.problem, n.theta);
  RC_ASSERT(std::abs(vectorized.J - loop.J) <= 1e-13 * std::max(1.0, std::abs(loop.J)));
  RC_ASSERT(normwise_difference(vectorized.D, loop.D) <= 1e-13);
}

RC_BOOST_PROP(regularizationAddsLambdaOverMThetaOffTheBiasColumn, ()) {
  const auto c = *generate::network_case(generate::architecture(), generate::lambda(1, 50));
  Instance n = c.instance();
  const Weights<double> D_lambda = gradcheck::backprop(n.problem, n.theta).D;
  n.problem.lambda = 0;
  const Weights<double> D_zero = gradcheck::backprop(n.problem, n.theta).D;
  const double scale = c.lambda / static_cast<double>(c.examples);
  for (std::size_t k = 0; k < n.theta.size(); ++k) {
    const Eigen::MatrixXd added = D_lambda[k] - D_zero[k];
    RC_ASSERT(added.col(0).cwiseAbs().maxCoeff() <= 1e-13);
    const Eigen::MatrixXd expected = scale * n.theta[k].rightCols(n.theta[k].cols() - 1);
    RC_ASSERT((added.rightCols(added.cols() - 1) - expected).cwiseAbs().maxCoeff() <= 1e-12);
  }
}

RC_BOOST_PROP(sameCodeRunsInFloatLongDoubleAndComplex, ()) {
  const auto c = *generate::network_case(generate::architecture(4, 6));
  const Instance n = c.instance();
  const Weights<double> D = gradcheck::backprop(n.problem, n.theta).D;
  const auto cast = [&](auto zero) {
    using Scalar = decltype(zero);
    Weights<Scalar> theta;
    for (const auto& t : n.theta) theta.push_back(t.cast<Scalar>());
    return gradcheck::backprop(n.problem, theta).D;
  };
  // Each type to within its own precision, normwise (float: a few hundred ulps after a deep
  // network; complex: std::exp and std::tanh of complex arguments round differently).
  RC_ASSERT(normwise_difference(cast(float{}), D) <= 1e-4);
  RC_ASSERT(normwise_difference(cast(static_cast<long double>(0)), D) <= 1e-13);
  RC_ASSERT(normwise_difference(cast(std::complex<double>{}), D) <= 1e-13);
}

RC_BOOST_PROP(complexStepDerivativeOfJMatchesBackpropToMachinePrecision, ()) {
  // Im J(θ + ih e_k) / h is ∂J/∂θ_k with no subtraction, hence no cancellation: an independent
  // check of D far tighter than any finite difference.
  const auto c = *generate::network_case(generate::architecture(4, 5));
  const Instance n = c.instance();
  const Eigen::VectorXd D = unroll(gradcheck::backprop(n.problem, n.theta).D);
  const double h = 1e-20, scale = std::max(1.0, D.cwiseAbs().maxCoeff());
  const Layout layout(n.problem.architecture);
  Vector<std::complex<double>> theta = unroll(complexify(n.theta));
  for (Index k = 0; k < theta.size(); ++k) {
    theta(k) += std::complex<double>(0, h);
    const double derivative = std::imag(cost(n.problem, reroll(layout, theta))) / h;
    theta(k) -= std::complex<double>(0, h);
    RC_ASSERT(std::abs(derivative - D(k)) <= 1e-12 * scale);
  }
}

BOOST_AUTO_TEST_SUITE_END()
