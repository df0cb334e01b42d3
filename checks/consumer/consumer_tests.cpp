// A project of its own, checking its networks with one call to an installed gradcheck: a
// logistic regression and the course's two-layer network (fixtures/cpp/), right and with the
// classic mistakes.
#define BOOST_TEST_MODULE consumer
#include <boost/test/unit_test.hpp>

#include <gradcheck/check/check.hpp>
#include <gradcheck/model/course.hpp>
#include <gradcheck/report/report.hpp>

#include "two_layer_network.hpp"

#include <cmath>
#include <sstream>

namespace {

// Logistic regression on 3 features is the network 3-1: Θ^(1) is 1 × 4, bias first.
const Eigen::MatrixXd X = (Eigen::MatrixXd(4, 3) << 0.5, -1, 2, 1.5, 0.25, -0.5, -2, 1, 0.75, 0.1, 0.2, 0.3).finished();
const Eigen::VectorXd y = (Eigen::VectorXd(4) << 1, 0, 0, 1).finished();

double logistic_regression(const gradcheck::Weights<double>& theta, gradcheck::Weights<double>* gradient, bool average) {
  const Eigen::RowVectorXd w = theta[0].rightCols(3).row(0);
  const Eigen::ArrayXd z = (X * w.transpose()).array() + theta[0](0, 0);
  const Eigen::ArrayXd h = 1 / (1 + (-z).exp());
  const double m = static_cast<double>(X.rows());
  const double J = (-y.array() * h.log() - (1 - y.array()) * (1 - h).log()).sum() / m;
  if (gradient) {
    const Eigen::VectorXd r = (h - y.array()).matrix();
    Eigen::MatrixXd D(1, 4);
    D(0, 0) = r.sum();
    D.rightCols(3) = (X.transpose() * r).transpose();
    if (average) D /= m;
    *gradient = {D};
  }
  return J;
}

const gradcheck::Weights<double> theta{(Eigen::MatrixXd(1, 4) << 0.1, -0.2, 0.3, 0.05).finished()};

/// The course's checkNNGradients problem at λ = 3, checked through the fixture with `mistake`.
gradcheck::CheckResult two_layer(fixture::Mistake mistake) {
  const auto n = gradcheck::course_instance(
      gradcheck::make_architecture("3-5-3", gradcheck::Activation::sigmoid, gradcheck::Output::sigmoid_logistic), 5, 3);
  const auto f = [&](const gradcheck::Weights<double>& t, gradcheck::Weights<double>* g) {
    return fixture::cost_and_gradient(t, g, n.problem.X, n.problem.Y, n.problem.lambda, mistake);
  };
  return gradcheck::check(f, n.theta);
}

}  // namespace

BOOST_AUTO_TEST_CASE(aRightGradientPasses) {
  const auto f = [](const gradcheck::Weights<double>& t, gradcheck::Weights<double>* g) { return logistic_regression(t, g, true); };
  const gradcheck::CheckResult r = gradcheck::check(f, theta);
  BOOST_TEST(r.pass);
  BOOST_TEST(r.max_relative_error < 1e-6);
}

BOOST_AUTO_TEST_CASE(aGradientWithoutItsOneOverMFailsAndTheReportSaysWhere) {
  const auto f = [](const gradcheck::Weights<double>& t, gradcheck::Weights<double>* g) { return logistic_regression(t, g, false); };
  const gradcheck::CheckResult r = gradcheck::check(f, theta);
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.worst.front().relative_error == 0.75, boost::test_tools::tolerance(1e-6));  // 4× too large
  gradcheck::Subject subject;
  subject.title = "logistic regression";
  BOOST_TEST(gradcheck::format_text(r, subject).find("FAIL: gradient mismatch in Θ^(1)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(theTwoLayerNetworkPassesWhenRight) { BOOST_TEST(two_layer(fixture::Mistake::none).pass); }

BOOST_AUTO_TEST_CASE(aRegularizedBiasColumnFailsInTheBiasEntriesOfBothLayers) {
  const gradcheck::CheckResult r = two_layer(fixture::Mistake::bias_regularized);
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.layers[0].mismatches == 5);  // Θ^(1)'s bias column: 5 entries
  BOOST_TEST(r.layers[1].mismatches == 3);  // Θ^(2)'s: 3
  for (const auto& e : r.worst) BOOST_TEST(e.where.j == 0);
}

BOOST_AUTO_TEST_CASE(aMissingOneOverMFailsEveryLayer) {
  const gradcheck::CheckResult r = two_layer(fixture::Mistake::average_missing);
  BOOST_TEST(!r.layers[0].pass);
  BOOST_TEST(!r.layers[1].pass);
}

BOOST_AUTO_TEST_CASE(theResultPrintsItselfInOneCall) {
  const gradcheck::CheckResult wrong = two_layer(fixture::Mistake::bias_regularized);
  std::ostringstream printed;
  printed << wrong;
  BOOST_TEST(printed.str() == gradcheck::format_text(wrong));
  // A C++ caller's own names: theta[l − 1](i, j) of the std::vector of matrices it passed.
  BOOST_TEST(printed.str().find("network    theta[0] 5 × 4, theta[1] 3 × 6") != std::string::npos);
  BOOST_TEST(printed.str().find("problem    P = 38 parameters") != std::string::npos);
  BOOST_TEST(printed.str().rfind("FAIL: gradient mismatch in theta[0], theta[1]; worst entry theta[", 0) == 0);  // the first line
  BOOST_TEST(gradcheck::format_text(two_layer(fixture::Mistake::none)).find("\nPASS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aDroppedDerivativeFailsOnlyTheLayerBelowIt) {
  const gradcheck::CheckResult r = two_layer(fixture::Mistake::derivative_dropped);
  BOOST_TEST(!r.layers[0].pass);
  BOOST_TEST(r.layers[1].pass);
}
