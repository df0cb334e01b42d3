// Naming the mistake: the catalog as hypotheses, where the error starts, and honest "unrecognised".

#include "gradcheck/model/generators.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/diagnosis/diagnosis.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

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
  // A confused derivative needs an activation that has a twin to confuse it with.
  const Instance softplus = course_instance(make_architecture("3-3-3", Activation::softplus, Output::sigmoid_logistic), 5, 3);
  // Dropping the squared error's factor 2 needs the squared error without ½.
  const Instance mse = course_instance(make_architecture("3-3-3", Activation::sigmoid, Output::identity_mse), 5, 3);
  for (const Mistake mistake : catalog()) {
    const Instance& on = mistake == Mistake::derivative_confused           ? softplus
                         : mistake == Mistake::squared_error_factor_dropped ? mse
                                                                            : n;
    const CheckResult r = check_reference(on.problem, on.theta, {}, mistake);
    BOOST_TEST_INFO("mistake: " << name(mistake));
    BOOST_TEST(!r.pass);
    BOOST_REQUIRE(r.diagnosis.has_value());
    BOOST_TEST((r.diagnosis->kind == Diagnosis::Kind::recognised));
    BOOST_REQUIRE(!r.diagnosis->mistakes.empty());
    BOOST_TEST(r.diagnosis->mistakes.front() == std::string(key(mistake)));
  }
}

BOOST_AUTO_TEST_CASE(theUnrollingMistakesOfThePythonEditionAreNamedInItsTerms) {
  // numpy's nn_params is row-major: a student porting from Octave unrolls grad with
  // ravel(order='F') or reads Θ with np.reshape(…, order='F'). Built here index by index.
  Instance n = course(3);
  n.problem.unrolling = Unrolling::row_major;
  const auto column_major_read_row_major = [](const Eigen::MatrixXd& M) {  // flat[j·r + i] = M(i, j); read flat[i·c + j]
    Eigen::MatrixXd out(M.rows(), M.cols());
    for (Index k = 0; k < M.size(); ++k) out(k / M.cols(), k % M.cols()) = M(k % M.rows(), k / M.rows());
    return out;
  };
  const auto row_major_read_column_major = [](const Eigen::MatrixXd& M) {  // flat[i·c + j] = M(i, j); read flat[j·r + i]
    Eigen::MatrixXd out(M.rows(), M.cols());
    for (Index k = 0; k < M.size(); ++k) out(k % M.rows(), k / M.rows()) = M(k / M.cols(), k % M.cols());
    return out;
  };
  const Gradient<double> right = backprop(n.problem, n.theta);
  Weights<double> raveled_F;
  for (const auto& D : right.D) raveled_F.push_back(column_major_read_row_major(D));
  Diagnosis d = diagnosis_of(n, raveled_F, right.J);
  BOOST_TEST((d.kind == Diagnosis::Kind::recognised));
  BOOST_TEST(d.mistakes.front() == "column-major-unrolling");
  BOOST_TEST(d.summary.find("ravel(order='F')") != std::string::npos);

  Weights<double> read_F;
  for (const auto& theta : n.theta) read_F.push_back(row_major_read_column_major(theta));
  const Gradient<double> of_read = backprop(n.problem, read_F);
  d = diagnosis_of(n, of_read.D, of_read.J);
  BOOST_TEST((d.kind == Diagnosis::Kind::recognised));
  BOOST_TEST(d.mistakes.front() == "theta-column-major");

  // The same numbers from an Octave implementation are not Octave's unrolling mistakes: the
  // permutations differ, so nothing may call them that.
  Instance octave = n;
  octave.problem.unrolling = Unrolling::column_major;
  for (const Diagnosis& other : {diagnosis_of(octave, raveled_F, right.J), diagnosis_of(octave, of_read.D, of_read.J)})
    for (const std::string& mistake : other.mistakes) {
      BOOST_TEST(mistake != "row-major-unrolling");
      BOOST_TEST(mistake != "theta-row-major");
    }
}

BOOST_AUTO_TEST_CASE(aRightImplementationHasNothingToDiagnose) {
  const Instance n = course(3);
  const Gradient<double> g = gradcheck::backprop(n.problem, n.theta);
  BOOST_TEST((diagnosis_of(n, g.D, g.J).kind == Diagnosis::Kind::right));
}

BOOST_AUTO_TEST_CASE(theErrorIsPlacedBelowTheLayersThatAreRight) {
  // 4 layers: g′ dropped from every hidden δ starts at δ^(3) and spoils D^(2) and D^(1); D alone
  // says only that the mistake lies below D^(3), which is right.
  const Instance n = random_instance(make_architecture("4-5-5-3", Activation::tanh, Output::sigmoid_logistic), 6, 1, 9);
  const CheckResult r = check_reference(n.problem, n.theta, {}, Mistake::derivative_dropped);
  BOOST_TEST(r.diagnosis->where.find("wrong: D^(1), D^(2); D^(3) and above are right, so the mistake is below them: "
                                     "in δ^(3) or further down") != std::string::npos);
  BOOST_TEST(r.diagnosis->wrong_layers == (std::vector<Index>{1, 2}));
  BOOST_TEST(r.diagnosis->right_layers == (std::vector<Index>{3}));
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

/// Every claim of a diagnosis against the check's own per-layer verdicts and the catalog.
void claims_hold(const Instance& n, const CheckResult& r, const Weights<double>& D) {
  RC_ASSERT(r.diagnosis.has_value());
  const Diagnosis& d = *r.diagnosis;
  const auto passes = [&](Index l) { return r.layers[static_cast<std::size_t>(l - 1)].pass; };
  for (const Index l : d.wrong_layers) RC_ASSERT(!passes(l));   // a layer called wrong mismatches
  for (const Index l : d.right_layers) RC_ASSERT(passes(l));    // a layer called right matches
  if (d.gradient_said_right)
    for (const auto& layer : r.layers) RC_ASSERT(layer.pass);
  RC_ASSERT(d.where.find("starts in δ") == std::string::npos);  // a claim D alone cannot back
  // A name is a measurement: the named mistake, planted in the reference, gives this D (or J).
  const Weights<double> reference = backprop(n.problem, n.theta).D;
  for (const auto& named : d.mistakes) {
    Mistake m = Mistake::none;
    for (const auto& entry : mistake_names())
      if (entry.key == named) m = entry.mistake;
    RC_ASSERT(m != Mistake::none);
    if (spoils_cost(m)) continue;
    const Weights<double> planted = backprop_with(m, n.problem, n.theta).D;
    for (std::size_t l = 0; l < D.size(); ++l)
      RC_ASSERT((planted[l] - D[l]).norm() <= 1e-6 * std::max(1.0, reference[l].norm()));
  }
}

RC_BOOST_PROP(noDiagnosisClaimsWhatTheNumbersContradict, ()) {
  // Catalog mistakes, alone or two at once (a student's code rarely has just one), on random networks.
  const auto c = *generate::network_case(generate::architecture(), generate::lambda(0, 50));
  const Mistake first = *rc::gen::elementOf(catalog()), second = *rc::gen::elementOf(catalog());
  const bool two = *rc::gen::arbitrary<bool>();
  const Instance n = c.instance();
  const Gradient<double> one = backprop_with(first, n.problem, n.theta);
  Weights<double> D = one.D;
  if (two && !spoils_cost(second)) {  // the sum of both errors
    const Weights<double> right = backprop(n.problem, n.theta).D, other = backprop_with(second, n.problem, n.theta).D;
    for (std::size_t l = 0; l < D.size(); ++l) D[l] += other[l] - right[l];
  }
  RC_TAG(key(first));
  CheckResult r = judged(n, D);
  CostComparison J{one.J, gradcheck::cost(n.problem, n.theta), 0, true};
  J.relative_error = relative_error(J.implementation, J.reference, 1e-12);
  J.pass = J.relative_error <= 1e-6;
  r.cost = J;
  r.pass = r.pass && J.pass;
  RC_PRE(!r.pass);
  r.diagnosis = diagnose(n.problem, n.theta, D, one.J, r);
  claims_hold(n, r, D);
}

BOOST_AUTO_TEST_CASE(theStartersZeroGradientIsNamedNeverAsAScaleOfTheRightOne) {
  for (const double lambda : {0.0, 3.0}) {
    const Instance n = course(lambda);
    Weights<double> zero = n.theta;
    for (auto& t : zero) t.setZero();
    const Diagnosis d = diagnosis_of(n, zero, gradcheck::cost(n.problem, n.theta));
    BOOST_TEST((d.kind == Diagnosis::Kind::recognised));
    BOOST_TEST(d.mistakes.front() == "gradient-never-computed");
    BOOST_TEST(d.summary.find("× the right gradient") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(aWrongJWithAWrongGradientNeverSaysTheGradientIsRight) {
  // J without its regularization, and both layers' bias columns regularized: two mistakes.
  const Instance n = course(3);
  const Gradient<double> g = backprop_with(Mistake::bias_regularized, n.problem, n.theta);
  Weights<double> D = g.D;
  for (auto& t : D) t *= 1.5;  // and something the catalog does not know
  const double J = backprop_with(Mistake::cost_regularization_missing, n.problem, n.theta).J;
  const Diagnosis d = diagnosis_of(n, D, J);
  BOOST_TEST(d.evidence.find("gradient is right") == std::string::npos);
  BOOST_TEST(d.evidence.find("matches the numerical gradient") == std::string::npos);
  BOOST_TEST(!d.gradient_said_right);
}

BOOST_AUTO_TEST_CASE(aDeltaNeverAccumulatedIsNotBlamedOnDelta) {
  // Δ^(1) never accumulated: D^(1) wrong, D^(2) right. δ^(2) is right; the report must not say otherwise.
  const Instance n = course(3);
  const Weights<double> D = backprop_with(Mistake::delta_never_accumulated, n.problem, n.theta).D;
  const Diagnosis d = diagnosis_of(n, D, gradcheck::cost(n.problem, n.theta));
  BOOST_TEST(d.mistakes.front() == "delta-never-accumulated");
  BOOST_TEST(d.where.find("starts in δ") == std::string::npos);
  BOOST_TEST(d.where.find("or in how Δ^(l) and D^(l) are formed") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
