// Accurate numerical gradients: complex steps, and tolerances that follow from each method.

#include "gradcheck/model/generators.hpp"
#include "support.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/numeric/complex_step.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace gradcheck;

namespace {

/// A random way to make the numerical gradient: any stencil, fixed or scaled step, or complex step.
struct Method {
  FiniteDifference difference;
  bool complex_step = false;
};

std::ostream& operator<<(std::ostream& os, const Method& m) {
  return os << (m.complex_step ? describe(ComplexStep{}) : describe(m.difference));
}

rc::Gen<Method> methods() {
  return rc::gen::apply(
      [](const Stencil& stencil, bool scaled, bool complex_step) {
        Method m;
        m.difference.order = stencil.order;
        m.difference.scheme = stencil.scheme;
        m.difference.scaled = scaled;
        m.complex_step = complex_step;
        return m;
      },
      rc::gen::elementOf(stencils()), rc::gen::arbitrary<bool>(), rc::gen::arbitrary<bool>());
}

CheckOptions options_for(const Method& m) {
  CheckOptions options;
  options.difference = m.difference;
  options.tolerances = m.complex_step ? complex_step_tolerances() : default_tolerances(m.difference);
  if (m.complex_step) options.complex_step = ComplexStep{};
  return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(accuracy)

RC_BOOST_PROP(complexStepGradientEqualsBackpropToRounding, ()) {
  const auto c = *generate::network_case(generate::architecture(4, 6));
  const Instance n = c.instance();
  const NumericalGradient g = complex_step_gradient(n.problem, n.theta);
  RC_ASSERT(g.evaluations == static_cast<std::size_t>(g.gradient.size()));
  const Weights<double> D = gradcheck::backprop(n.problem, n.theta).D;
  RC_ASSERT(support::normwise_difference(reroll(Layout(c.architecture), g.gradient), D) <= 1e-13);
}

RC_BOOST_PROP(complexStepResultsAreIdenticalForAnyThreadCount, ()) {
  const auto c = *generate::network_case(generate::architecture(4, 6));
  const Instance n = c.instance();
  ComplexStep many;
  many.threads = *rc::gen::inRange(2u, 6u);
  RC_ASSERT(complex_step_gradient(n.problem, n.theta).gradient == complex_step_gradient(n.problem, n.theta, many).gradient);
}

RC_BOOST_PROP(referencePassesUnderTheTolerancesOfEveryMethod, ()) {
  const auto c = *generate::network_case();
  const Method method = *methods();
  RC_TAG(method.complex_step ? "complex step" : method.difference.scaled ? "scaled step" : "fixed step");
  const Instance n = c.instance();
  const CheckResult r = check_reference(n.problem, n.theta, options_for(method));
  RC_LOG() << "largest relative error " << r.max_relative_error << ", norm figure " << r.norm_figure << '\n';
  RC_ASSERT(r.pass);
}

RC_BOOST_PROP(tighterTolerancesStillCatchThePlantedMistakes, ()) {
  const auto c = *generate::network_case(generate::architecture(6, 8, rc::gen::just(Activation::sigmoid), 3),
                                         generate::lambda(1, 50));
  const Method method = *methods();
  const Mistake mistake = *rc::gen::elementOf(mistakes);
  const Instance n = c.instance();
  const CheckOptions options = options_for(method);
  // Only where the mistake moves D materially (e.g. a bias weight of ~0 hides a regularized bias).
  const double effect = support::max_relative_difference(backprop_with(mistake, n.problem, n.theta).D,
                                                         gradcheck::backprop(n.problem, n.theta).D, 1e-4);
  RC_PRE(effect > 1e-3);
  RC_ASSERT(!check_reference(n.problem, n.theta, options, mistake).pass);
}

BOOST_AUTO_TEST_CASE(tolerancesScaleWithTheStepAsTruncationAndRoundingDo) {
  FiniteDifference fd;
  BOOST_TEST(default_tolerances(fd).entry == 1e-4, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(default_tolerances(fd).norm == 1e-5, boost::test_tools::tolerance(1e-12));
  fd.step = 1e-3;  // truncation: ×(10)²
  BOOST_TEST(default_tolerances(fd).entry == 1e-2, boost::test_tools::tolerance(1e-12));
  fd.step = 1e-6;  // rounding, 1e-11/ε = 1e-5, is below the calibrated 1e-4
  BOOST_TEST(default_tolerances(fd).entry == 1e-4, boost::test_tools::tolerance(1e-12));
  fd.step = 1e-8;  // and above it here
  BOOST_TEST(default_tolerances(fd).entry == 1e-3, boost::test_tools::tolerance(1e-12));
  // The accepted steps keep every tolerance within the caps: 1e-8 … 3.2e-4 for the course's stencil.
  fd.step = 1e-4;
  const auto [smallest, largest] = accepted_steps(fd);
  BOOST_TEST(smallest == 1e-8, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(largest == std::sqrt(10.0) * 1e-4, boost::test_tools::tolerance(1e-3));
  fd.step = 1e-300;
  BOOST_CHECK_THROW(sound_tolerances(fd, {}, {}, 1e-4), std::invalid_argument);
  fd.step = 1e-4;
  fd.scaled = true;
  BOOST_TEST(default_tolerances(fd).entry == 1e-6, boost::test_tools::tolerance(1e-12));
  fd.order = 6;
  fd.scheme = Scheme::richardson;
  BOOST_TEST(default_tolerances(fd).entry == 1e-8, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(complex_step_tolerances().entry == 1e-9);
  fd.scheme = Scheme::richardson;
  fd.order = 2;
  BOOST_CHECK_THROW(default_tolerances(fd), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
