// Incremental finite differences of the reference J, against naive full-pass quotients.

#include "gradcheck/model/generators.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/numeric/incremental.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <limits>

using namespace gradcheck;

namespace {

IncrementalOptions options(FiniteDifference fd, unsigned threads, std::optional<std::vector<Index>> coordinates = {}) {
  IncrementalOptions o;
  o.difference = std::move(fd);
  o.threads = threads;
  o.coordinates = std::move(coordinates);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(incremental)

RC_BOOST_PROP(incrementalMatchesNaiveFullPassDifferenceQuotients, ()) {
  const auto c = *generate::network_case();
  const Stencil stencil = *rc::gen::elementOf(stencils());
  const bool scaled = *rc::gen::arbitrary<bool>();
  const Instance n = c.instance();
  const FiniteDifference fd{1e-4, stencil.order, {}, stencil.scheme, scaled};
  const Eigen::VectorXd flat = unroll(n.theta);
  const Eigen::VectorXd naive = numerical_gradient(reference_cost(n.problem), flat, fd).gradient;
  std::vector<bool> kinks;
  const NumericalGradient incremental = incremental_gradient(n.problem, n.theta, options(fd, 1), &kinks);
  RC_ASSERT(incremental.evaluations == static_cast<std::size_t>(flat.size()) * stencil.offsets.size());
  // The naive quotient subtracts two whole J's, each rounded to about ε_mach |J|; divided by
  // the step that is its error. The incremental one is the more accurate of the two.
  const double J = cost(n.problem, n.theta);
  for (Index k = 0; k < flat.size(); ++k) {
    const double rounding = 100 * std::numeric_limits<double>::epsilon() * std::max(1.0, J) / step_for(fd, flat(k));
    RC_ASSERT(std::abs(incremental.gradient(k) - naive(k)) <= rounding);
  }
  RC_ASSERT(kinks == kink_crossings(n.problem, flat, fd));
}

RC_BOOST_PROP(resultsAreIdenticalForAnyThreadCount, ()) {
  const auto c = *generate::network_case();
  const unsigned threads = *rc::gen::inRange(2u, 9u);
  const Instance n = c.instance();
  std::vector<bool> kinks_one, kinks_many;
  const NumericalGradient one = incremental_gradient(n.problem, n.theta, options({}, 1), &kinks_one);
  const NumericalGradient many = incremental_gradient(n.problem, n.theta, options({}, threads), &kinks_many);
  RC_ASSERT(one.gradient == many.gradient);  // bit for bit
  RC_ASSERT(kinks_one == kinks_many);
}

RC_BOOST_PROP(aSubsetOfCoordinatesGivesTheSameValuesAsTheFullPass, ()) {
  const auto c = *generate::network_case();
  const Instance n = c.instance();
  const Index P = Layout(c.architecture).parameters();
  const auto picked = *rc::gen::container<std::vector<Index>>(rc::gen::inRange<Index>(0, P));
  const NumericalGradient all = incremental_gradient(n.problem, n.theta, {});
  const NumericalGradient some = incremental_gradient(n.problem, n.theta, options({}, 2, picked));
  RC_ASSERT(some.gradient.size() == static_cast<Index>(picked.size()));
  for (std::size_t c2 = 0; c2 < picked.size(); ++c2) RC_ASSERT(some.gradient(static_cast<Index>(c2)) == all.gradient(picked[c2]));
}

BOOST_AUTO_TEST_CASE(coordinatesOutsideTheNetworkAreRefused) {
  const Instance n = course_instance(make_architecture("2-2-1", Activation::sigmoid, Output::sigmoid_logistic), 3, 0);
  BOOST_CHECK_THROW(incremental_gradient(n.problem, n.theta, options({}, 1, std::vector<Index>{9})), std::invalid_argument);
  BOOST_CHECK_THROW(incremental_gradient(n.problem, n.theta, options({}, 1, std::vector<Index>{-1})), std::invalid_argument);
  // An empty selection is no coordinates, not all of them.
  BOOST_TEST(incremental_gradient(n.problem, n.theta, options({}, 1, std::vector<Index>{})).gradient.size() == 0);
}

BOOST_AUTO_TEST_CASE(aStoppedGradientKeepsAPrefixAndItsJudgementIsIncomplete) {
  const Instance n = random_instance(make_architecture("6-9-4", Activation::tanh, Output::softmax_cross_entropy), 7, 1, 3);
  const NumericalGradient whole = incremental_gradient(n.problem, n.theta, options({}, 2));
  for (const unsigned threads : {1u, 2u, 4u}) {
    // Stop once 50 of the 103 parameters are done; chunks already taken are finished, so a prefix
    // remains. One thread stops at 64, surely. With more, the others may take every chunk left
    // while the thread that passed 50 is between finishing its chunk and asking to stop (CI saw
    // it): the stop then comes too late, and the check is complete, which it must then say.
    const bool surely_stopped = threads == 1;
    StopFlag stop{false};
    FiniteDifference fd;
    fd.stop = &stop;
    fd.progress = [&stop](Index done, Index) {
      if (done >= 50) stop = true;
    };
    const NumericalGradient part = incremental_gradient(n.problem, n.theta, options(fd, threads));
    BOOST_TEST(part.completed >= 50);
    if (surely_stopped) BOOST_TEST(part.completed == 64);
    for (Index c = 0; c < part.completed; ++c) BOOST_TEST(part.gradient(c) == whole.gradient(c));
    for (Index c = part.completed; c < part.gradient.size(); ++c) BOOST_TEST(std::isnan(part.gradient(c)));

    CheckOptions check;
    check.difference = fd;
    check.threads = threads;
    stop = false;
    const CheckResult r = check_reference(n.problem, n.theta, check);
    if (surely_stopped) BOOST_TEST(!r.complete);
    // What was measured is right, but an incomplete check never passes.
    BOOST_TEST(r.pass == r.complete);
    BOOST_TEST((r.unchecked > 0) == !r.complete);
    for (const LayerReport& layer : r.layers) BOOST_TEST(layer.mismatches == 0);
  }
  // Stopped before it starts: nothing measured, nothing judged, no exception.
  StopFlag stopped{true};
  FiniteDifference fd;
  fd.stop = &stopped;
  BOOST_TEST(incremental_gradient(n.problem, n.theta, options(fd, 2)).completed == 0);
  BOOST_TEST(numerical_gradient(reference_cost(n.problem), unroll(n.theta), fd).completed == 0);
}

BOOST_AUTO_TEST_SUITE_END()
