// A J that differs from the reference's: the settings under which the reference's would equal it
// (diagnosis/cost_settings.hpp), found when planted, and none said for a J no setting gives.

#include "gradcheck/diagnosis/cost_settings.hpp"
#include "gradcheck/model/course.hpp"
#include "gradcheck/model/network.hpp"

#include <boost/test/unit_test.hpp>

using namespace gradcheck;

namespace {

/// The course's 3-5-3 problem at λ, in `conventions`.
Instance course(double lambda, Conventions conventions = {}, const char* sizes = "3-5-3") {
  Instance n = course_instance(make_architecture(sizes, Activation::sigmoid, Output::sigmoid_logistic), 5, lambda);
  n.problem.conventions = conventions;
  return n;
}

/// The reference's J of `p`, as external.cpp compares an implementation's with it.
double reference(const Problem& p, const Weights<double>& theta) { return cost_scale(p) * cost(course_equivalent(p), theta); }

/// An implementation's J judged against the reference's of `n`.
CostComparison compared(const Instance& n, double J) {
  CostComparison c;
  c.implementation = J;
  c.reference = reference(n.problem, n.theta);
  c.relative_error = relative_error(J, c.reference, 1e-12);
  c.pass = c.judge(Tolerances{}.cost);
  return c;
}

std::vector<std::vector<std::string>> options_of(const std::vector<SettingsMatch>& matches) {
  std::vector<std::vector<std::string>> out;
  for (const auto& m : matches) out.push_back(m.options);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cost_settings)

BOOST_AUTO_TEST_CASE(anImplementationInReluAndSoftmaxIsToldBothOptions) {
  const Instance n = course(0);
  Problem theirs = n.problem;
  theirs.architecture.hidden = {Activation::relu};
  theirs.architecture.output = Output::softmax_cross_entropy;
  const CostComparison J = compared(n, reference(theirs, n.theta));
  BOOST_TEST(!J.pass);
  const auto matches = settings_matching(n.problem, n.theta, J, Tolerances{}.cost);
  const std::vector<std::vector<std::string>> expected{{"--activation relu", "--cost softmax-crossentropy"}};
  BOOST_TEST(options_of(matches) == expected);
  BOOST_TEST(settings_sentence(matches, J).find("with --activation relu --cost softmax-crossentropy the reference's J matches yours") == 0);
}

BOOST_AUTO_TEST_CASE(aSumOverTheExamplesIsToldTheReduction) {
  const Instance n = course(3);
  Problem theirs = n.problem;
  theirs.conventions.reduction = Reduction::sum;
  const auto matches = settings_matching(n.problem, n.theta, compared(n, reference(theirs, n.theta)), Tolerances{}.cost);
  const std::vector<std::vector<std::string>> expected{{"--reduction sum"}};
  BOOST_TEST(options_of(matches) == expected);
}

BOOST_AUTO_TEST_CASE(anL2PenaltyIsToldTheRegularization) {
  const Instance n = course(3);
  Problem theirs = n.problem;
  theirs.conventions.regularization = Regularization::l2;
  const auto matches = settings_matching(n.problem, n.theta, compared(n, reference(theirs, n.theta)), Tolerances{}.cost);
  const std::vector<std::vector<std::string>> expected{{"--regularization l2"}};
  BOOST_TEST(options_of(matches) == expected);
}

BOOST_AUTO_TEST_CASE(aSquareWReadInTheOtherOrientationIsToldTheLayout) {
  Conventions w_out_in;
  w_out_in.layout = WeightLayout::w_out_in;
  const Instance n = course(0, w_out_in, "3-3-3");
  Weights<double> seen = n.theta;
  for (auto& T : seen) T.rightCols(3) = T.rightCols(3).transpose().eval();
  const auto matches = settings_matching(n.problem, n.theta, compared(n, reference(n.problem, seen)), Tolerances{}.cost);
  const std::vector<std::vector<std::string>> expected{{"--layout w-in-out"}};
  BOOST_TEST(options_of(matches) == expected);
}

BOOST_AUTO_TEST_CASE(aJNoSettingGivesIsSaidSo) {
  const Instance n = course(3);
  const CostComparison J = compared(n, reference(n.problem, n.theta) * 1.01);
  const auto matches = settings_matching(n.problem, n.theta, J, Tolerances{}.cost);
  BOOST_TEST(matches.empty());
  BOOST_TEST(settings_sentence(matches, J).find("no other setting gradcheck supports") == 0);
}

BOOST_AUTO_TEST_CASE(anUnrecognisedJIsNamedByTheSettingsAndANamedOneKeepsItsName) {
  const Instance n = course(0);
  Problem theirs = n.problem;
  theirs.architecture.hidden = {Activation::tanh};
  const CostComparison J = compared(n, reference(theirs, n.theta));
  Diagnosis unrecognised;
  unrecognised.kind = Diagnosis::Kind::unrecognised;
  unrecognised.summary = "unrecognised discrepancy";
  explain_settings(unrecognised, n.problem, n.theta, J, Tolerances{}.cost);
  BOOST_TEST((unrecognised.kind == Diagnosis::Kind::recognised));
  BOOST_TEST(unrecognised.mistakes == std::vector<std::string>{"settings-differ"});
  BOOST_TEST(unrecognised.summary.find("with --activation tanh the reference's J matches yours") != std::string::npos);
  BOOST_TEST(unrecognised.summary.find("rerun with it") != std::string::npos);

  Diagnosis named;
  named.kind = Diagnosis::Kind::recognised;
  named.summary = "regularization missing from J";
  named.mistakes = {"cost-regularization-missing"};
  explain_settings(named, n.problem, n.theta, J, Tolerances{}.cost);
  BOOST_TEST(named.summary == "regularization missing from J");
  BOOST_TEST(named.evidence.find("--activation tanh") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aSearchCostsNoMoreThanTheNetworkAffords) {
  // Each setting tried is a forward pass of m·P: every one on a small problem, one option changed
  // at a time on ex4's 400-25-10 with m = 5,000.
  BOOST_TEST(affordable_changes(course(0).problem, course(0).theta) == 5);
  const Instance ex4 = course_instance(make_architecture("400-25-10", Activation::sigmoid, Output::sigmoid_logistic), 5000, 0);
  BOOST_TEST(affordable_changes(ex4.problem, ex4.theta) == 1);
  // debugInitializeWeights' small weights keep every z near 0, where tanh(z) = z to 1e-6 of J: both
  // are said, as neither can be told from the other by J.
  Problem theirs = ex4.problem;
  theirs.architecture.hidden = {Activation::tanh};
  const std::vector<std::vector<std::string>> expected{{"--activation tanh"}, {"--activation identity"}};
  BOOST_TEST(options_of(settings_matching(ex4.problem, ex4.theta, compared(ex4, reference(theirs, ex4.theta)),
                                          Tolerances{}.cost, 1)) == expected);
}

BOOST_AUTO_TEST_CASE(aJThatMatchesIsLeftAlone) {
  const Instance n = course(3);
  const CostComparison J = compared(n, reference(n.problem, n.theta));
  Diagnosis d;
  d.kind = Diagnosis::Kind::unrecognised;
  explain_settings(d, n.problem, n.theta, J, Tolerances{}.cost);
  BOOST_TEST((d.kind == Diagnosis::Kind::unrecognised));
  BOOST_TEST(d.evidence.empty());
}

BOOST_AUTO_TEST_SUITE_END()
