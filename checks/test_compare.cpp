// Relative error, the course's norm figure, and the per-layer verdict.

#include "gradcheck/check/compare.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

using namespace gradcheck;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
const double not_a_number = std::nan("");

// 2-3-2: Θ^(1) is 3 × 3 (k = 0 … 8), Θ^(2) is 2 × 4 (k = 9 … 16).
const Layout layout(std::vector<Index>{2, 3, 2});

Eigen::VectorXd gradient() { return Eigen::VectorXd::LinSpaced(17, 0.1, 1.7); }

}  // namespace

BOOST_AUTO_TEST_SUITE(compare)

BOOST_AUTO_TEST_CASE(relativeErrorFollowsItsRulesForZeroNaNAndInfinity) {
  BOOST_TEST(relative_error(0, 0, 1e-4) == 0.0);
  BOOST_TEST(relative_error(inf, inf, 1e-4) == 0.0);
  BOOST_TEST(std::isinf(relative_error(inf, -inf, 1e-4)));
  BOOST_TEST(std::isinf(relative_error(1, inf, 1e-4)));
  BOOST_TEST(std::isnan(relative_error(not_a_number, 1, 1e-4)));
  BOOST_TEST(std::isnan(relative_error(1, not_a_number, 1e-4)));
  BOOST_TEST(std::isnan(relative_error(not_a_number, not_a_number, 1e-4)));
  BOOST_TEST(relative_error(2, 1, 1e-4) == 0.5);
  BOOST_TEST(relative_error(1, 2, 1e-4) == 0.5);  // symmetric
  BOOST_TEST(relative_error(1, -1, 1e-4) == 2.0);
  // Below the floor the division is by the floor: 1e-9 apart on entries of 1e-8 is 1e-5.
  BOOST_TEST(relative_error(1e-8, 2e-8, 1e-4) == 1e-4, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(normFigureIsTheCoursesRelativeDifference) {
  const Eigen::Vector2d a(3, 0), n(0, 4);
  BOOST_TEST(norm_figure(a, n) == 1.0);  // ‖(−3, 4)‖ / ‖(3, 4)‖
  BOOST_TEST(norm_figure(Eigen::Vector2d::Zero(), Eigen::Vector2d::Zero()) == 0.0);
  BOOST_TEST(std::isinf(norm_figure(Eigen::Vector2d(1, 1), Eigen::Vector2d(-1, -1))));
  BOOST_TEST(std::isnan(norm_figure(Eigen::Vector2d(not_a_number, 1), Eigen::Vector2d(1, 1))));
}

BOOST_AUTO_TEST_CASE(identicalGradientsPassInEveryLayer) {
  const CheckResult r = gradcheck::compare(layout, gradient(), gradient(), {});
  BOOST_TEST(r.pass);
  BOOST_TEST(r.layers.size() == 2u);
  BOOST_TEST(r.layers[0].rows == 3);
  BOOST_TEST(r.layers[0].cols == 3);
  BOOST_TEST(r.layers[1].rows == 2);
  BOOST_TEST(r.layers[1].cols == 4);
  BOOST_TEST(r.norm_figure == 0.0);
}

BOOST_AUTO_TEST_CASE(oneWrongEntryFailsItsLayerOnlyAndIsNamedFirst) {
  Eigen::VectorXd analytic = gradient();
  analytic(12) *= 2;  // k = 12 is Θ^(2)_{2,1}: column 1 (k = 11, 12) of the 2 × 4 Θ^(2)
  const CheckResult r = gradcheck::compare(layout, analytic, gradient(), {});
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.layers[0].pass);
  BOOST_TEST(!r.layers[1].pass);
  BOOST_TEST(r.layers[1].mismatches == 1);
  BOOST_TEST(r.worst.front().k == 12);
  BOOST_TEST((r.worst.front().where == ParamIndex{2, 2, 1}));
  BOOST_TEST(r.worst.front().analytic == 2 * gradient()(12));
  BOOST_TEST(r.worst.front().numerical == gradient()(12));
  BOOST_TEST(r.worst.front().relative_error == 0.5);
  BOOST_TEST(r.max_relative_error == 0.5);
}

BOOST_AUTO_TEST_CASE(aNaNEntryFailsAndRanksWorst) {
  Eigen::VectorXd analytic = gradient();
  analytic(3) = not_a_number;
  analytic(15) *= 3;
  const CheckResult r = gradcheck::compare(layout, analytic, gradient(), {});
  BOOST_TEST(!r.pass);
  BOOST_TEST(!r.layers[0].pass);
  BOOST_TEST(r.worst.front().k == 3);
  BOOST_TEST(r.worst[1].k == 15);
  BOOST_TEST(std::isnan(r.max_relative_error));
}

BOOST_AUTO_TEST_CASE(entriesAtAReluKinkAreSkippedAndCounted) {
  Eigen::VectorXd analytic = gradient();
  analytic(4) = 0;  // a corner: the finite difference averages two slopes
  std::vector<bool> kinks(17, false);
  kinks[4] = true;
  const CheckResult r = gradcheck::compare(layout, analytic, gradient(), {}, kinks);
  BOOST_TEST(r.pass);
  BOOST_TEST(r.kinks == 1);
  BOOST_TEST(r.layers[0].kinks == 1);
  BOOST_TEST(!gradcheck::compare(layout, analytic, gradient(), {}).pass);
}

BOOST_AUTO_TEST_CASE(aSmallSystematicErrorFailsTheNormFigureAlone) {
  // Every entry 5e-5 too large: each entry passes 1e-4, the norm figure (≈ 2.5e-5) fails 1e-5.
  const Eigen::VectorXd analytic = gradient() * (1 + 5e-5);
  const CheckResult r = gradcheck::compare(layout, analytic, gradient(), {});
  BOOST_TEST(r.layers[0].mismatches == 0);
  BOOST_TEST(r.norm_figure == 2.5e-5, boost::test_tools::tolerance(1e-3));
  BOOST_TEST(!r.pass);
}

BOOST_AUTO_TEST_CASE(worstListsAreSortedAndBounded) {
  Eigen::VectorXd analytic = gradient();
  for (Index k = 0; k < 17; ++k) analytic(k) *= 1 + 0.01 * static_cast<double>(k);
  const CheckResult r = gradcheck::compare(layout, analytic, gradient(), {}, {}, 3);
  BOOST_TEST(r.worst.size() == 3u);
  BOOST_TEST(r.worst[0].k == 16);
  BOOST_TEST(r.worst[1].k == 15);
  BOOST_TEST(r.worst[2].k == 14);
  BOOST_TEST(r.layers[0].worst.front().k == 8);
  BOOST_TEST(r.layers[0].mean_relative_error > 0);
  BOOST_TEST(r.layers[0].mean_relative_error < r.layers[0].max_relative_error);
}

BOOST_AUTO_TEST_SUITE_END()
