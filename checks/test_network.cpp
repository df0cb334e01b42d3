// The reference network's forward pass and cost J, against values derived by hand.

#include "gradcheck/model/generators.hpp"
#include "hand_networks.hpp"

#include "gradcheck/model/course.hpp"
#include "gradcheck/model/network.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

using namespace gradcheck;

using hand::sigmoid_1_1_1;

BOOST_AUTO_TEST_SUITE(network)

BOOST_AUTO_TEST_CASE(forwardPassOfHandWorkedNetworkGivesHandValues) {
  const Instance n = sigmoid_1_1_1(0);
  const ForwardPass<double> pass = forward(n.problem, n.theta);
  BOOST_TEST(pass.z[1](0, 0) == 0.0);
  BOOST_TEST(pass.a[1](0, 0) == 0.5);
  BOOST_TEST(pass.z[2](0, 0) == 1.0);
  BOOST_TEST(pass.a[2](0, 0) == 1 / (1 + std::exp(-1.0)), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(costOfHandWorkedNetworkIsLogOnePlusEToMinusOnePlusRegularization) {
  BOOST_TEST(cost(sigmoid_1_1_1(0).problem, sigmoid_1_1_1(0).theta) == std::log1p(std::exp(-1.0)),
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(cost(sigmoid_1_1_1(2).problem, sigmoid_1_1_1(2).theta) == std::log1p(std::exp(-1.0)) + 17,
             boost::test_tools::tolerance(1e-15));
}

RC_BOOST_PROP(logisticCostEqualsTheCoursesFormulaOnActivations, ()) {
  const auto c = *generate::network_case(generate::architecture(4, 6, generate::activation()));
  Instance n = c.instance();
  n.problem.architecture.output = Output::sigmoid_logistic;
  n.problem.Y = n.problem.Y.cwiseAbs().cwiseMin(1.0);
  const ForwardPass<double> pass = forward(n.problem, n.theta);
  // The course's nnCostFunction: J = (1/m) Σ −y log(h) − (1 − y) log(1 − h) + (λ/2m) Σ Θ².
  const Eigen::ArrayXXd h = pass.a.back().array(), y = n.problem.Y.array();
  const double m = static_cast<double>(n.problem.examples());
  double reg = 0;
  for (const auto& t : n.theta) reg += t.rightCols(t.cols() - 1).squaredNorm();
  const double course = (-y * h.log() - (1 - y) * (1 - h).log()).sum() / m + n.problem.lambda / (2 * m) * reg;
  RC_ASSERT(std::abs(cost(n.problem, n.theta) - course) <= 1e-12 * std::max(1.0, std::abs(course)));
}

// A random problem's class labels hold every class when m ≥ K, as a real data set's do: code that
// counts the classes as y.max() + 1 is right on the course's data and crashed on a draw without
// the last class.
RC_BOOST_PROP(randomLabelsHoldEveryClassWhenThereAreAsManyExamples, ()) {
  const Index K = *rc::gen::inRange<Index>(2, 12), m = *rc::gen::inRange<Index>(1, 40);
  const Output output = *rc::gen::element(Output::sigmoid_logistic, Output::softmax_cross_entropy);
  const Instance n = random_instance(make_architecture(fmt::format("3-4-{}", K), Activation::sigmoid, output), m, 0,
                                     *rc::gen::arbitrary<std::uint64_t>());
  const Eigen::VectorXd per_class = n.problem.Y.colwise().sum().transpose();
  RC_ASSERT((n.problem.Y.rowwise().sum().array() == 1).all());
  RC_ASSERT(m < K || (per_class.array() >= 1).all());
}

RC_BOOST_PROP(softmaxRowsAreDistributionsAndCrossEntropyIsMinusSumYLogA, ()) {
  auto c = *generate::network_case();
  c.architecture.output = Output::softmax_cross_entropy;
  const Instance n = c.instance();
  const ForwardPass<double> pass = forward(n.problem, n.theta);
  const Eigen::MatrixXd& a = pass.a.back();
  RC_ASSERT((a.rowwise().sum().array() - 1).abs().maxCoeff() <= 1e-14);
  RC_ASSERT(a.minCoeff() > 0);
  const double literal = -(n.problem.Y.array() * a.array().log()).sum() / static_cast<double>(n.problem.examples());
  const double J = cost(n.problem, n.theta) - regularization(n.theta, n.problem.lambda, n.problem.examples());
  RC_ASSERT(std::abs(J - literal) <= 1e-12 * std::max(1.0, literal));
}

BOOST_AUTO_TEST_CASE(costStaysFiniteWhenOutputsSaturate) {
  for (const Output output : {Output::sigmoid_logistic, Output::softmax_cross_entropy}) {
    Instance n = sigmoid_1_1_1(0);
    n.problem.architecture.output = output;
    n.theta[1] << 800, 0;  // z^(3) = 800: σ(z) rounds to 1, log(1 − a) would be −∞
    n.problem.Y << (output == Output::sigmoid_logistic ? 0.0 : 1.0);
    const double J = cost(n.problem, n.theta);
    BOOST_TEST(std::isfinite(J));
    if (output == Output::sigmoid_logistic) BOOST_TEST(J == 800.0, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(courseInstanceIsCheckNNGradientsSetup) {
  const Architecture arch = make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic);
  const Instance n = course_instance(arch, 5, 0);
  // debugInitializeWeights(5, 3): 5 × 4, sin(1 … 20)/10 column-major, so Theta1(2,1) = sin(2)/10
  // and Theta1(1,2) = sin(6)/10.
  BOOST_TEST(n.theta[0].rows() == 5);
  BOOST_TEST(n.theta[0].cols() == 4);
  BOOST_TEST(n.theta[0](1, 0) == std::sin(2.0) / 10);
  BOOST_TEST(n.theta[0](0, 1) == std::sin(6.0) / 10);
  BOOST_TEST(n.theta[1].rows() == 3);
  BOOST_TEST(n.theta[1].cols() == 6);
  // X = debugInitializeWeights(m, input_layer_size − 1): 5 × 3.
  BOOST_TEST(n.problem.X.rows() == 5);
  BOOST_TEST(n.problem.X.cols() == 3);
  BOOST_TEST(n.problem.X(0, 2) == std::sin(11.0) / 10);
  // y = 1 + mod(1:m, 3)' = [2 3 1 2 3]'.
  const int labels[] = {2, 3, 1, 2, 3};
  for (Index t = 0; t < 5; ++t) {
    BOOST_TEST(n.problem.Y.row(t).sum() == 1.0);
    BOOST_TEST(n.problem.Y(t, labels[t] - 1) == 1.0);
  }
}

BOOST_AUTO_TEST_CASE(badProblemsAreRefusedWithSentencesNamingTheField) {
  const auto message = [](const Problem& p) {
    try {
      validate(p);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const Problem good = sigmoid_1_1_1(0).problem;
  Problem p = good;
  p.X = Eigen::MatrixXd::Zero(1, 2);
  BOOST_TEST(message(p).find("X has 2 columns; expected s_1 = 1") != std::string::npos);
  p = good;
  p.Y(0, 0) = std::nan("");
  BOOST_TEST(message(p).find("Y holds NaN") != std::string::npos);
  p = good;
  p.lambda = -1;
  BOOST_TEST(message(p).find("expected a finite λ ≥ 0") != std::string::npos);
  p = good;
  p.Y(0, 0) = 2;
  BOOST_TEST(message(p).find("targets in [0, 1]") != std::string::npos);
  BOOST_CHECK_THROW(one_hot(Eigen::VectorXi::Constant(1, 4), 3), std::invalid_argument);
  BOOST_CHECK_THROW(make_architecture("3-0-3", Activation::sigmoid, Output::sigmoid_logistic), std::invalid_argument);
  BOOST_CHECK_THROW(make_architecture("3", Activation::sigmoid, Output::sigmoid_logistic), std::invalid_argument);
  BOOST_CHECK_THROW(make_architecture("3--3", Activation::sigmoid, Output::sigmoid_logistic), std::invalid_argument);
  BOOST_CHECK_THROW(parse_activation("softsign"), std::invalid_argument);
  BOOST_TEST(message(good) == "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
