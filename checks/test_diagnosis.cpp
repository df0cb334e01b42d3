// Naming the mistake: the catalog as hypotheses, where the error starts, and honest "unrecognised".

#include "gradcheck/generators.hpp"

#include "gradcheck/check.hpp"
#include "gradcheck/diagnosis.hpp"
#include "gradcheck/mutants.hpp"

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <rapidcheck/boost_test.h>

using namespace gradcheck;

namespace {

Instance course(double lambda) {
  return course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, lambda);
}

/// An implementation's gradient `D` judged against the reference's numerical gradient.
CheckResult judged(const Instance& n, const Weights<double>& D) {
  Measurements measured = measure_reference(n.problem, n.theta, {});
  measured.analytic = unroll(D);
  return judge(Layout(n.problem.architecture), measured, {});
}

/// The diagnosis of an implementation whose gradient is `D` and J is `J`.
Diagnosis diagnosis_of(const Instance& n, const Weights<double>& D, double J) {
  CheckResult result = judged(n, D);
  CostComparison cost{J, gradcheck::cost(n.problem, n.theta), 0, true};
  cost.relative_error = relative_error(cost.implementation, cost.reference, 1e-12);
  cost.pass = cost.relative_error <= 1e-6;
  result.cost = cost;
  result.pass = result.pass && cost.pass;
  return diagnose(n.problem, n.theta, D, J, result);
}

}  // namespace

namespace gradcheck {
inline std::ostream& operator<<(std::ostream& os, Mistake m) { return os << key(m); }
}  // namespace gradcheck

BOOST_AUTO_TEST_SUITE(diagnosis)

BOOST_AUTO_TEST_CASE(everyMistakeOfTheCatalogIsNamedOnTheCoursesProblem) {
  // 3-3-3 (the course's question) with λ = 3: every mistake shows there, the shape-dependent ones too.
  const Instance n = course_instance(make_architecture("3-3-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  for (const Mistake mistake : catalog()) {
    const CheckResult r = check_reference(n.problem, n.theta, {}, mistake);
    BOOST_TEST_INFO("mistake: " << name(mistake));
    BOOST_TEST(!r.pass);
    BOOST_REQUIRE(r.diagnosis.has_value());
    BOOST_TEST((r.diagnosis->kind == Diagnosis::Kind::recognised));
    BOOST_TEST(r.diagnosis->mistakes.front() == std::string(key(mistake)));
  }
}

BOOST_AUTO_TEST_CASE(aRightImplementationHasNothingToDiagnose) {
  const Instance n = course(3);
  const Gradient<double> g = gradcheck::backprop(n.problem, n.theta);
  BOOST_TEST((diagnosis_of(n, g.D, g.J).kind == Diagnosis::Kind::right));
}

BOOST_AUTO_TEST_CASE(theErrorIsPlacedWhereItStarts) {
  // 4 layers: g′ dropped from every hidden δ starts at δ^(3) and spoils D^(2) and D^(1).
  const Instance n = random_instance(make_architecture("4-5-5-3", Activation::tanh, Output::sigmoid_logistic), 6, 1, 9);
  const CheckResult r = check_reference(n.problem, n.theta, {}, Mistake::derivative_dropped);
  BOOST_TEST(r.diagnosis->where.find("wrong: D^(1), D^(2); D^(3) and above are right, so the error starts in δ^(3)") !=
             std::string::npos);
  const CheckResult bias = check_reference(n.problem, n.theta, {}, Mistake::bias_regularized);
  BOOST_TEST(bias.diagnosis->where.find("(only the bias column, j = 0)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aDiscrepancyTheCatalogDoesNotKnowIsCalledUnrecognisedWithItsPattern) {
  const Instance n = course(3);
  Gradient<double> g = gradcheck::backprop(n.problem, n.theta);
  g.D[1] *= 3;  // no classic mistake triples D^(2)
  const Diagnosis d = diagnosis_of(n, g.D, g.J);
  BOOST_TEST((d.kind == Diagnosis::Kind::unrecognised));
  BOOST_TEST(d.summary == "unrecognised discrepancy");
  BOOST_TEST(d.evidence.find("D^(2) is 3 × the right gradient in every entry") != std::string::npos);
  g = gradcheck::backprop(n.problem, n.theta);
  g.D[0](2, 0) += 0.5;  // one bias entry
  BOOST_TEST(diagnosis_of(n, g.D, g.J).evidence.find("in D^(1) only the bias column (j = 0) is wrong") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(nanEntriesAreListedOneByOneAndBlamedOnBackprop) {
  const Instance n = course(3);
  Gradient<double> g = gradcheck::backprop(n.problem, n.theta);
  g.D[0](1, 1) = std::nan("");
  g.D[1](0, 2) = std::numeric_limits<double>::infinity();
  const CheckResult r = judged(n, g.D);
  BOOST_TEST_REQUIRE(r.not_finite.size() == 2u);
  BOOST_TEST(format(r.not_finite[0].where) == "Θ^(1)_{2,1}");
  BOOST_TEST(format(r.not_finite[1].where) == "Θ^(2)_{1,2}");
  const Diagnosis d = diagnosis_of(n, g.D, g.J);
  BOOST_TEST(d.summary == "NaN or ±∞ in 2 entries of the gradient");
  BOOST_TEST(d.where == "in D^(1), D^(2); first at Θ^(1)_{2,1}");
  BOOST_TEST(d.evidence.find("2 analytic entries are not finite while J and its finite differences are") == 0u);
}

BOOST_AUTO_TEST_CASE(aWrongJWithARightGradientIsNamedAsSuch) {
  const Instance n = course(3);
  const Gradient<double> g = gradcheck::backprop(n.problem, n.theta);
  const Gradient<double> bad = backprop_with(Mistake::cost_average_missing, n.problem, n.theta);
  const Diagnosis d = diagnosis_of(n, g.D, bad.J);
  BOOST_TEST(d.mistakes.front() == "cost-average-missing");
  BOOST_TEST(d.where.find("every D^(l) is right; J is") != std::string::npos);
}

RC_BOOST_PROP(plantedMistakesAreNamedWheneverTheyShow, ()) {
  const auto c = *generate::network_case(generate::architecture(), generate::lambda(1, 50));
  const Mistake mistake = *rc::gen::elementOf(catalog());
  const Instance n = c.instance();
  const CheckResult r = check_reference(n.problem, n.theta, {}, mistake);
  RC_TAG(key(mistake));
  RC_PRE(!r.pass);  // a mistake that does not show here cannot be named here
  RC_ASSERT(r.diagnosis.has_value());
  // On a small network two mistakes can give the very same D; the diagnosis then names both
  // ("A, or B"), and naming this one among them is right.
  const auto& named = r.diagnosis->mistakes;
  RC_ASSERT(std::find(named.begin(), named.end(), std::string(key(mistake))) != named.end());
}

BOOST_AUTO_TEST_SUITE_END()
