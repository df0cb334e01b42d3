// The fast mode: directional derivatives per layer and the Taylor-remainder test.

#include "gradcheck/model/generators.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/numeric/directional.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace gradcheck;

namespace {

// J(θ) = Σ c_k θ_k² on a 2-1 layout (P = 3, one layer) and on 1-1-1 (two layers of 2).
const Eigen::VectorXd c = (Eigen::VectorXd(4) << 0.5, 2, -1.5, 1).finished();
double quadratic(const Eigen::VectorXd& t) { return (c.head(t.size()).array() * t.array().square()).sum(); }
Eigen::VectorXd quadratic_gradient(const Eigen::VectorXd& t) { return 2 * c.head(t.size()).cwiseProduct(t); }

}  // namespace

BOOST_AUTO_TEST_SUITE(directional)

BOOST_AUTO_TEST_CASE(taylorRemainderShrinksLikeHSquaredWhenRightAndLikeHWhenWrong) {
  const Layout layout(std::vector<Index>{1, 1, 1});
  const Eigen::VectorXd theta = (Eigen::VectorXd(4) << 0.3, -0.2, 0.7, 1.1).finished();
  const DirectionalResult right = check_directional(quadratic, theta, quadratic_gradient(theta), layout);
  BOOST_TEST(right.pass);
  for (const auto& layer : right.layers) {
    BOOST_TEST(!layer.taylor_exact);
    BOOST_TEST(layer.taylor_order == 2.0, boost::test_tools::tolerance(1e-3));  // r(h) = h² vᵀHv / 2 exactly
  }
  Eigen::VectorXd wrong = quadratic_gradient(theta);
  wrong(3) += 0.1;  // Θ^(2)_{1,1} only
  const DirectionalResult r = check_directional(quadratic, theta, wrong, layout);
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.layers[0].pass);  // the mistake is located to its layer
  BOOST_TEST(!r.layers[1].pass);
  BOOST_TEST(r.layers[1].taylor_order == 1.0, boost::test_tools::tolerance(0.05));
  BOOST_TEST(r.evaluations == 1u + 2u * (2u * 3u + 2u * 6u));  // the Taylor steps (h₀ … h₀/4⁵) on both sides
  for (const auto& layer : r.layers) BOOST_TEST(layer.taylor_smooth);  // J is: the low order is D's
}

BOOST_AUTO_TEST_CASE(aKinkWithinTheTaylorStepsWaivesTheTestButNotTheDerivatives) {
  // J = the quadratic + 0.05·|θ₀ − θ₀(at θ) − 1e-7|: a corner 1e-7 from θ along θ₀, inside every
  // Taylor step (1e-2 … 1e-5) and outside ε = 1e-8. Right, r(h) shrinks like h (the corner's
  // slope jump), as does J's even part: the Taylor test says nothing of D, and is waived.
  const Layout layout(std::vector<Index>{1, 1, 1});
  const Eigen::VectorXd theta = (Eigen::VectorXd(4) << 0.3, -0.2, 0.7, 1.1).finished();
  const double corner = theta(0) + 1e-7;
  const auto J = [&](const Eigen::VectorXd& t) { return quadratic(t) + 0.05 * std::abs(t(0) - corner); };
  Eigen::VectorXd D = quadratic_gradient(theta);
  D(0) -= 0.05;
  DirectionalOptions options;
  options.step = 1e-8;
  const DirectionalResult right = check_directional(J, theta, D, layout, options);
  BOOST_TEST(right.pass);
  BOOST_TEST(right.layers[0].taylor_order < 1.5);
  BOOST_TEST(!right.layers[0].taylor_smooth);
  BOOST_TEST(right.layers[1].taylor_smooth);
  // A mistake in the other layer, where J is smooth, still fails there; one in the kinked layer
  // fails its directional derivatives.
  Eigen::VectorXd wrong = D;
  wrong(3) += 1e-3;
  const DirectionalResult r = check_directional(J, theta, wrong, layout, options);
  BOOST_TEST(!r.pass);
  BOOST_TEST(!r.layers[1].pass);
  wrong = D;
  wrong(1) += 0.1;
  BOOST_TEST(!check_directional(J, theta, wrong, layout, options).layers[0].pass);
}

BOOST_AUTO_TEST_CASE(theTaylorOrderFailsOnlyAnErrorBeyondTheTolerance) {
  // D × (1 + 1e-5) is right to 1e-5, within the entry tolerance 1e-4 the full check holds it to,
  // yet its remainder δh outgrows ch² at the smallest steps: order near 1. It passes, with the
  // error the order implies measured; D × (1 + 1e-3) fails.
  const Layout layout(std::vector<Index>{1, 1, 1});
  const Eigen::VectorXd theta = (Eigen::VectorXd(4) << 0.3, -0.2, 0.7, 1.1).finished();
  const DirectionalResult close = check_directional(quadratic, theta, (1 + 1e-5) * quadratic_gradient(theta), layout);
  BOOST_TEST(close.pass);
  // (Along a direction where δ and ch² have opposite signs the remainder crosses zero between the
  // steps and the order can read high: r(h) = |δh − |c|h²|.)
  int low = 0;
  for (const auto& layer : close.layers)
    if (layer.taylor_order < 1.5) {
      ++low;
      BOOST_TEST(layer.taylor_error == 1e-5, boost::test_tools::tolerance(0.05));
    }
  BOOST_TEST(low > 0);
  const DirectionalResult off = check_directional(quadratic, theta, (1 + 1e-3) * quadratic_gradient(theta), layout);
  for (const auto& layer : off.layers) {
    BOOST_TEST(!layer.pass);
    BOOST_TEST(layer.taylor_error == 1e-3, boost::test_tools::tolerance(0.05));
  }
}

BOOST_AUTO_TEST_CASE(aLinearCostIsExactAlongEveryDirection) {
  const Layout layout(std::vector<Index>{2, 1});
  const auto J = [](const Eigen::VectorXd& t) { return 3 * t(0) - t(1) + 0.5 * t(2); };
  const Eigen::VectorXd theta = Eigen::VectorXd::Constant(3, 0.25);
  const DirectionalResult r = check_directional(J, theta, Eigen::Vector3d(3, -1, 0.5), layout);
  BOOST_TEST(r.pass);
  BOOST_TEST(r.layers[0].taylor_exact);  // every residual is rounding noise
}

RC_BOOST_PROP(referencePassesTheFastModeWithOrderTwo, ()) {
  // Smooth activations: the fast mode does not look for ReLU kinks along v.
  const auto hidden = rc::gen::element(Activation::sigmoid, Activation::tanh, Activation::identity);
  const auto c = *generate::network_case(generate::architecture(6, 8, hidden));
  const Instance n = c.instance();
  DirectionalOptions options;
  options.seed = *rc::gen::arbitrary<std::uint32_t>();
  const DirectionalResult r = check_directional(reference_cost(n.problem), unroll(n.theta),
                                                unroll(gradcheck::backprop(n.problem, n.theta).D),
                                                Layout(c.architecture), options);
  for (const auto& layer : r.layers) {
    RC_LOG() << "Θ^(" << layer.l << "): rel.err " << layer.max_relative_error << ", Taylor order "
             << layer.taylor_order << (layer.taylor_exact ? " (exact)" : "") << '\n';
    RC_ASSERT(layer.taylor_exact || layer.taylor_order > 1.8);
  }
  RC_ASSERT(r.pass);
}

BOOST_AUTO_TEST_SUITE_END()
