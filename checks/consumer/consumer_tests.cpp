// A project of its own, checking its logistic regression with one call to an installed gradcheck.
#define BOOST_TEST_MODULE consumer
#include <boost/test/unit_test.hpp>

#include <gradcheck/check.hpp>
#include <gradcheck/report.hpp>

#include <cmath>

namespace {

// Logistic regression on 3 features is the network 3-1: Θ^(1) is 1 × 4, bias first.
const Eigen::MatrixXd X = (Eigen::MatrixXd(4, 3) << 0.5, -1, 2, 1.5, 0.25, -0.5, -2, 1, 0.75, 0.1, 0.2, 0.3).finished();
const Eigen::VectorXd y = (Eigen::VectorXd(4) << 1, 0, 0, 1).finished();

double cost_and_gradient(const gradcheck::Weights<double>& theta, gradcheck::Weights<double>* gradient, bool average) {
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

}  // namespace

BOOST_AUTO_TEST_CASE(aRightGradientPasses) {
  const auto f = [](const gradcheck::Weights<double>& t, gradcheck::Weights<double>* g) { return cost_and_gradient(t, g, true); };
  const gradcheck::CheckResult r = gradcheck::check(f, theta);
  BOOST_TEST(r.pass);
  BOOST_TEST(r.max_relative_error < 1e-6);
}

BOOST_AUTO_TEST_CASE(aGradientWithoutItsOneOverMFailsAndTheReportSaysWhere) {
  const auto f = [](const gradcheck::Weights<double>& t, gradcheck::Weights<double>* g) { return cost_and_gradient(t, g, false); };
  const gradcheck::CheckResult r = gradcheck::check(f, theta);
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.worst.front().relative_error == 0.75, boost::test_tools::tolerance(1e-6));  // 4× too large
  gradcheck::Subject subject;
  subject.title = "logistic regression";
  const std::string report = gradcheck::format_text(r, subject);
  BOOST_TEST(report.find("FAIL: gradient mismatch in Θ^(1)") != std::string::npos);
}
