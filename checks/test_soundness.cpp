// Soundness under every option: no accepted combination of step, stencil, order, tolerances and
// floor lets a planted mistake pass, and correct backprop passes wherever the options are sane.

#include "gradcheck/model/generators.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>
#include <optional>
#include <stdexcept>

using namespace gradcheck;

namespace {

/// 10^(tenths / 10): doubles from integers, so shrinking goes toward round powers of ten.
double decade(int tenths) { return std::pow(10.0, tenths / 10.0); }

/// How far a mistake moves D from the right gradient, by the check's own measures: the largest
/// per-entry relative error (with the floor) and the norm figure.
std::pair<double, double> effect(const Weights<double>& mutant, const Weights<double>& right, double floor) {
  double entry = 0, difference = 0, sum = 0;
  for (std::size_t l = 0; l < right.size(); ++l) {
    for (Index k = 0; k < right[l].size(); ++k)
      entry = std::max(entry, relative_error(mutant[l].reshaped()(k), right[l].reshaped()(k), floor));
    difference += (mutant[l] - right[l]).squaredNorm();
    sum += (mutant[l] + right[l]).squaredNorm();
  }
  return {entry, std::sqrt(difference) / std::max(std::sqrt(sum), floor)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(soundness)

RC_BOOST_PROP(noAcceptedOptionsLetAPlantedMistakePass, ()) {
  FiniteDifference fd;
  fd.scheme = *rc::gen::element(Scheme::central, Scheme::richardson);
  fd.order = fd.scheme == Scheme::central ? *rc::gen::element(2, 4, 6) : *rc::gen::element(4, 6);
  fd.scaled = *rc::gen::arbitrary<bool>();
  fd.step = decade(*rc::gen::inRange(-160, -5));  // 1e-16 … 0.3, absurd steps included
  const auto maybe = [](int low, int high) -> std::optional<double> {
    if (*rc::gen::arbitrary<bool>()) return std::nullopt;
    return decade(*rc::gen::inRange(low, high));
  };
  const std::optional<double> entry = maybe(-150, 5), norm = maybe(-150, 5);
  const double floor = *rc::gen::arbitrary<bool>() ? 1e-4 : decade(*rc::gen::inRange(-100, 10));
  CheckOptions options;
  options.difference = fd;
  try {
    options.tolerances = sound_tolerances(fd, entry, norm, floor);
    require_resolvable(fd, options.tolerances);
  } catch (const std::invalid_argument&) {
    RC_TAG("refused up front");
    return;  // refused with a message: nothing was judged
  }
  RC_ASSERT(options.tolerances.entry <= ToleranceCaps::entry);
  RC_ASSERT(options.tolerances.norm <= ToleranceCaps::norm);
  RC_ASSERT(options.tolerances.floor <= ToleranceCaps::floor);

  const auto c = *generate::network_case(generate::architecture(), generate::lambda(0, 50));
  const Instance n = c.instance();
  if (!cannot_judge(fd, unroll(n.theta)).empty()) {
    RC_TAG("cannot judge");
    return;  // reported as CANNOT JUDGE, exit 5: never a pass
  }
  const Weights<double> right = backprop(n.problem, n.theta).D;
  const Mistake mistake = *rc::gen::elementOf(catalog());
  const auto [entry_effect, norm_effect] = effect(backprop_with(mistake, n.problem, n.theta).D, right, options.tolerances.floor);
  const CheckResult planted = check_reference(n.problem, n.theta, options, mistake);
  // A mistake that moves D 10× beyond the caps must fail, whatever was accepted.
  if (!spoils_cost(mistake) && planted.kinks == 0 && entry_effect > 10 * ToleranceCaps::entry &&
      norm_effect > 10 * ToleranceCaps::norm) {
    RC_TAG("material mistake judged");
    RC_ASSERT(!planted.pass);
  }
  // Correct backprop passes where the options are sane: tolerances derived from the method.
  if (!entry && !norm && floor == 1e-4) {
    RC_TAG("correct backprop judged");
    const CheckResult right_check = check_reference(n.problem, n.theta, options);
    RC_ASSERT(right_check.pass);
  }
}

BOOST_AUTO_TEST_CASE(theStepsUsersReportedAreRefusedWithTheRange) {
  FiniteDifference fd;
  for (const double absurd : {1e-300, 1e-15, 1e-9, 1e-3, 1.0}) {
    fd.step = absurd;
    BOOST_CHECK_THROW(sound_tolerances(fd, {}, {}, 1e-4), std::invalid_argument);
  }
  fd.step = 1e-4;
  BOOST_CHECK_THROW(sound_tolerances(fd, 0.5, {}, 1e-4), std::invalid_argument);
  BOOST_CHECK_THROW(sound_tolerances(fd, {}, 0.1, 1e-4), std::invalid_argument);
  BOOST_CHECK_THROW(sound_tolerances(fd, {}, {}, 10), std::invalid_argument);
  try {
    fd.step = 1e-300;
    sound_tolerances(fd, {}, {}, 1e-4);
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("expected 1e-08 ≤ ε ≤ 0.000316") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(aStepLostInThetasRoundingCannotBeJudged) {
  FiniteDifference fd;
  fd.step = 1e-6;
  Eigen::VectorXd theta(3);
  theta << 0.5, -2e5, 1;  // ε below |θ|·1e-10
  BOOST_TEST(!cannot_judge(fd, theta).empty());
  theta(1) = 2;
  BOOST_TEST(cannot_judge(fd, theta).empty());
  fd.scaled = true;  // a scaled step follows |θ_k|
  theta(1) = -2e5;
  BOOST_TEST(cannot_judge(fd, theta).empty());
}

BOOST_AUTO_TEST_SUITE_END()
