// check/second_look.cpp's closer look and check/noise.cpp's lines: corners of J within ε/1000 of
// θ leave a right entry unjudged, never FAILed; a wrong one still fails; truncation beside a tiny
// gradient is measured away; noise is probed along every tensor.

#include "support.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/check/noise.hpp"
#include "gradcheck/check/rounded.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace gradcheck;

namespace {

/// J of one parameter x, asked at points x0 + step: each value of `J`.
template <class Function>
PointValues at_points(double x0, Function J) {
  return [x0, J](const std::vector<Point>& at) {
    std::vector<double> values;
    for (const Point& p : at) values.push_back(J(x0 + p.step));
    return values;
  };
}

/// The measurements of one parameter at x0: `analytic` against the central difference at ε.
template <class Function>
Measurements measured_at(double x0, double analytic, Function J, const FiniteDifference& fd) {
  Measurements m;
  m.coordinates = {0};
  m.analytic = Eigen::VectorXd::Constant(1, analytic);
  m.numerical = Eigen::VectorXd::Constant(1, (J(x0 + fd.step) - J(x0 - fd.step)) / (2 * fd.step));
  m.own_J = true;
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(second_look)

BOOST_AUTO_TEST_CASE(aCornerWithinTheFinestStepLeavesARightEntryUnjudgedAndAWrongOneFailing) {
  // J = 0.3 x + 2·relu(x − d) + x², the corner d = 1e-9 from θ = 0, inside ε/1000 = 1e-7: every
  // difference straddles it. The derivative at θ (left of the corner) is 0.3.
  const double d = 1e-9;
  const auto J = [d](double x) { return 0.3 * x + 2 * std::max(0.0, x - d) + x * x; };
  const FiniteDifference fd;
  const Tolerances t = default_tolerances(fd);
  const Eigen::VectorXd theta = Eigen::VectorXd::Zero(1);
  const Layout layout = Layout::of_matrices({{1, 1}});
  for (const double analytic : {0.3, 2.3}) {  // either side's slope: a right backprop takes one
    Measurements m = measured_at(0, analytic, J, fd);
    BOOST_TEST(!(relative_error(analytic, m.numerical(0), t.floor) <= t.entry));  // the difference at ε is off
    const CloserLook looked = closer_look(at_points(0, J), m, theta, fd, 0, J(0), t, {0});
    BOOST_TEST(looked.corners == 1u);
    BOOST_TEST(m.kinks.at(0));
    const CheckResult r = judge(layout, m, CheckOptions{});  // skipped, not failed: check_own_J says CANNOT JUDGE
    BOOST_TEST(r.pass);
    BOOST_TEST(r.kinks == 1);
  }
  Measurements wrong = measured_at(0, -5.0, J, fd);  // nowhere near either slope
  const CloserLook looked = closer_look(at_points(0, J), wrong, theta, fd, 0, J(0), t, {0});
  BOOST_TEST(looked.corners == 0u);
  BOOST_TEST(!judge(layout, wrong, CheckOptions{}).pass);
}

BOOST_AUTO_TEST_CASE(aCornerCrossedAtEpsilonIsMeasuredPastItSoA1PercentBugStillFails) {
  // The corner 3e-6 from θ: ε and ε/10 cross it, ε/100 and ε/1000 do not, and there J is smooth.
  const double d = 3e-6;
  const auto J = [d](double x) { return 0.3 * x + 2 * std::max(0.0, x - d) + x * x; };
  const FiniteDifference fd;
  const Tolerances t = default_tolerances(fd);
  const Eigen::VectorXd theta = Eigen::VectorXd::Zero(1);
  const Layout layout = Layout::of_matrices({{1, 1}});
  Measurements right = measured_at(0, 0.3, J, fd);
  BOOST_TEST(closer_look(at_points(0, J), right, theta, fd, 0, J(0), t, {0}).settled == 1u);
  BOOST_TEST(judge(layout, right, CheckOptions{}).pass);
  Measurements wrong = measured_at(0, 0.303, J, fd);
  BOOST_TEST(closer_look(at_points(0, J), wrong, theta, fd, 0, J(0), t, {0}).settled == 1u);
  BOOST_TEST(!judge(layout, wrong, CheckOptions{}).pass);
  BOOST_TEST(!wrong.kinks.at(0));
}

BOOST_AUTO_TEST_CASE(truncationBesideASmallGradientIsMeasuredAwayAndAScaledGradientStillFails) {
  // J = exp(40 x) − 40 x·(1 − 2e-4) at θ = 0: J′ = 8e-3, J‴ = 6.4e4, so the difference at ε is off
  // by ε²J‴/6 ≈ 1.1e-4, 1.3% of J′. A second look's ε/1000 measures it within 1e-12.
  const auto J = [](double x) { return std::exp(40 * x) - 40 * x * (1 - 2e-4); };
  const double exact = 40 * 2e-4;
  const FiniteDifference fd;
  const Tolerances t = default_tolerances(fd);
  const Eigen::VectorXd theta = Eigen::VectorXd::Zero(1);
  const Layout layout = Layout::of_matrices({{1, 1}});
  Measurements right = measured_at(0, exact, J, fd);
  BOOST_TEST(!judge(layout, right, CheckOptions{}).pass);  // at ε alone, a right gradient fails
  BOOST_TEST(closer_look(at_points(0, J), right, theta, fd, 0, J(0), t, {0}).settled == 1u);
  BOOST_TEST(judge(layout, right, CheckOptions{}).pass);
  Measurements scaled = measured_at(0, exact * 1.001, J, fd);
  closer_look(at_points(0, J), scaled, theta, fd, 0, J(0), t, {0});
  BOOST_TEST(!judge(layout, scaled, CheckOptions{}).pass);
}

BOOST_AUTO_TEST_CASE(aJumpOfJsSecondDerivativeIsExtrapolatedAtFirstOrderSoARightEntryPassesAndA1PercentBugFails) {
  // J = 0.3 x + 3000·relu(x)² + x³ at θ = 0: C¹, J′(0) = 0.3 from both sides, but J″ jumps by 6000
  // there, so every central difference is off by 1500 h (first order): at ε/1000 still 5e-4 relatively.
  const auto J = [](double x) { return 0.3 * x + 3000 * std::max(0.0, x) * std::max(0.0, x) + x * x * x; };
  const FiniteDifference fd;
  const Tolerances t = default_tolerances(fd);
  const Eigen::VectorXd theta = Eigen::VectorXd::Zero(1);
  const Layout layout = Layout::of_matrices({{1, 1}});
  Measurements right = measured_at(0, 0.3, J, fd);
  BOOST_TEST(!judge(layout, right, CheckOptions{}).pass);  // at ε alone a right gradient fails
  BOOST_TEST(closer_look(at_points(0, J), right, theta, fd, 0, J(0), t, {0}).settled == 1u);
  BOOST_TEST(judge(layout, right, CheckOptions{}).pass);
  BOOST_TEST(std::abs(right.numerical(0) - 0.3) < 1e-9);  // the first-order limit, not the finest quotient
  for (const double wrong_value : {0.303, 0.297, 0.0}) {
    Measurements wrong = measured_at(0, wrong_value, J, fd);
    closer_look(at_points(0, J), wrong, theta, fd, 0, J(0), t, {0});
    BOOST_TEST(!judge(layout, wrong, CheckOptions{}).pass);
  }
}

BOOST_AUTO_TEST_CASE(parametersRoundedToFloat32AreSeenAndAFloat64JIsNot) {
  // J = (x − 0.2)² at x = 0.7 computed in float64, the parameter first rounded to float32 or not.
  const auto exact = [](double x) { return (x - 0.2) * (x - 0.2); };
  const auto rounded = [&](double x) { return exact(static_cast<double>(static_cast<float>(x))); };
  const FiniteDifference fd;
  const Eigen::VectorXd theta = Eigen::VectorXd::Constant(1, 0.7);
  const auto entry = [](Index) { return std::string("x[0]"); };
  Measurements f32 = measured_at(0.7, 1.0, rounded, fd);
  BOOST_TEST(std::abs(f32.numerical(0) / 1.0 - 1) > 1e-5);  // ε landed on float32's grid
  const Tolerances t = default_tolerances(fd);
  BOOST_TEST(!parameters_rounded(at_points(0.7, rounded), f32, theta, rounded(0.7), t, fd.step, {0}, entry).empty());
  Measurements f64 = measured_at(0.7, 1.0, exact, fd);
  BOOST_TEST(parameters_rounded(at_points(0.7, exact), f64, theta, exact(0.7), t, fd.step, {0}, entry).empty());
  Measurements wrong = measured_at(0.7, 1.01, rounded, fd);  // 1% off: beyond what the grid explains
  BOOST_TEST(parameters_rounded(at_points(0.7, rounded), wrong, theta, rounded(0.7), t, fd.step, {0}, entry).empty());
}

BOOST_AUTO_TEST_CASE(noiseIsProbedAlongEveryTensorAtMostEightFromFirstToLast) {
  std::vector<std::pair<Index, Index>> shapes(4, {2, 3});
  std::vector<Span> lines = noise_lines(Layout::of_matrices(shapes));
  BOOST_TEST(lines.size() == 5u);  // every parameter, then each of the four
  BOOST_TEST(lines.at(0).count == 24);
  for (Index l = 1; l <= 4; ++l) BOOST_TEST(lines.at(static_cast<std::size_t>(l)).first == 6 * (l - 1));
  shapes.assign(20, {1, 2});
  lines = noise_lines(Layout::of_matrices(shapes));
  BOOST_TEST(lines.size() == 1u + static_cast<std::size_t>(noise_probe_tensors));
  BOOST_TEST(lines.at(1).first == 0);
  BOOST_TEST(lines.back().first == 38);  // the last tensor is among them
}

BOOST_AUTO_TEST_CASE(aKinkAlongOneTensorIsNotReadAsNoise) {
  // J = smooth in b + relu corner crossed along a: the line along a alone reads the corner as
  // noise, the one along b sees none; the quietest counts.
  const auto J = [](const Eigen::VectorXd& x) { return 0.5 * x(1) * x(1) + 3 * std::max(0.0, std::abs(x(0)) - 2.5e-4); };
  const Eigen::VectorXd theta = Eigen::VectorXd::Zero(2);
  const PointCosts along = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
    std::vector<double> values;
    for (const Point& p : at) values.push_back(J(theta + p.step * directions[static_cast<std::size_t>(p.index)]));
    return values;
  };
  const Layout layout = Layout::of_matrices({{1, 1}, {1, 1}});
  const double with_every_tensor = measured_noise(along, J(theta), 2, 1e-4, noise_lines(layout));
  const double along_a_only = measured_noise(along, J(theta), 2, 1e-4, {{0, 1}});
  BOOST_TEST(along_a_only > 1e-6);  // the corner, read as noise
  BOOST_TEST(with_every_tensor < 1e-15);
}

BOOST_AUTO_TEST_SUITE_END()
