// What a model's wrong gradient looks like: each planted pattern named, random errors and mixed
// patterns never given a pattern's name (diagnosis/model_patterns.hpp).

#include "gradcheck/diagnosis/model_diagnosis.hpp"
#include "gradcheck/diagnosis/model_patterns.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <algorithm>
#include <limits>
#include <random>

using namespace gradcheck;

namespace {

/// A right gradient g of the given shape, its numerical estimate n off by what central differences
/// are off by (1e-7 relative), and the tensor's verdict as the check reaches it for `a`.
struct Planted {
  Eigen::MatrixXd g, n;
};

Planted gradient(Index rows, Index cols, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> value(-1, 1);
  Planted p;
  p.g = Eigen::MatrixXd::NullaryExpr(rows, cols, [&] { return value(random); });
  p.n = p.g.unaryExpr([&](double x) { return x * (1 + 1e-7 * value(random)); });
  return p;
}

TensorEvidence tensor(const std::string& name, const Eigen::MatrixXd& a, const Eigen::MatrixXd& n, bool two_dimensional = true) {
  TensorEvidence t;
  t.name = name;
  t.two_dimensional = two_dimensional;
  t.analytic = a;
  t.numerical = n;
  t.floors = Eigen::MatrixXd::Constant(a.rows(), a.cols(), Tolerances{}.floor);
  const Eigen::VectorXd av = a.reshaped(), nv = n.reshaped();
  t.verdict = compare(Layout::of_matrices({{a.size(), 1}}), av, nv, Tolerances{}).pass ? TensorEvidence::Verdict::right
                                                                                        : TensorEvidence::Verdict::wrong;
  return t;
}

/// A four-tensor model (fc1.weight 4 × 3, fc1.bias 4, fc2.weight 2 × 4, fc2.bias 2), right gradients.
std::vector<Planted> model(unsigned seed) {
  return {gradient(4, 3, seed), gradient(4, 1, seed + 1), gradient(2, 4, seed + 2), gradient(2, 1, seed + 3)};
}
const char* const names[] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};

/// The model with analytic gradients `a` (one per tensor).
std::vector<TensorEvidence> evidence(const std::vector<Planted>& m, const std::vector<Eigen::MatrixXd>& a) {
  std::vector<TensorEvidence> out;
  for (std::size_t k = 0; k < m.size(); ++k) out.push_back(tensor(names[k], a[k], m[k].n, m[k].g.cols() > 1));
  return out;
}

bool has(const Diagnosis& d, const std::string& key) {
  return std::find(d.mistakes.begin(), d.mistakes.end(), key) != d.mistakes.end();
}

bool names_a_value_pattern(const Diagnosis& d) {
  return has(d, "common-scale") || has(d, "scaled") || has(d, "zero") || has(d, "transposed") || has(d, "offset");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_patterns)

BOOST_AUTO_TEST_CASE(aFactorOnEveryTensorIsNamedWithItsValue) {
  for (const double c : {0.5, 2.0, -1.0}) {
    const auto m = model(1);
    std::vector<Eigen::MatrixXd> a;
    for (const auto& p : m) a.push_back(c * p.g);
    const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::every_entry);
    BOOST_TEST_INFO("c = " << c << ": " << d.summary);
    BOOST_TEST((d.kind == Diagnosis::Kind::recognised));
    BOOST_TEST(has(d, "common-scale"));
    BOOST_TEST(d.summary.find(fmt::format("every tensor's gradient is {:g} × the right one", c)) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(aZeroTensorIsNamed) {
  const auto m = model(2);
  std::vector<Eigen::MatrixXd> a{m[0].g, m[1].g, Eigen::MatrixXd::Zero(2, 4), m[3].g};
  const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "fc2.weight is zero in every entry");
  BOOST_TEST(has(d, "zero"));
  BOOST_TEST(d.wrong_layers == std::vector<Index>{3});
}

BOOST_AUTO_TEST_CASE(aSquareTensorsTransposeIsNamed) {
  const Planted p = gradient(3, 3, 3);
  const Diagnosis d = diagnose_patterns({tensor("W", p.g.transpose(), p.n)}, {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "W is the transpose of the right gradient");
  BOOST_TEST(has(d, "transposed"));
}

BOOST_AUTO_TEST_CASE(aTransposeReadBackInTheTensorsShapeIsNamed) {
  // numpy's dW computed as (δᵀa)ᵀ, 3 × 4 where W is 4 × 3, and read back row-major as 4 × 3.
  const Planted p = gradient(4, 3, 4);
  const Eigen::MatrixXd gT = p.g.transpose();
  Eigen::MatrixXd a(4, 3);
  for (Index q = 0; q < 12; ++q) a(q / 3, q % 3) = gT(q / 4, q % 4);
  const Diagnosis d = diagnose_patterns({tensor("dW", a, p.n)}, {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "dW is the right gradient transposed (3 × 4) and read back in its shape");
}

BOOST_AUTO_TEST_CASE(aConstantOffsetIsNamed) {
  const Planted p = gradient(5, 2, 5);
  const Diagnosis d = diagnose_patterns({tensor("b", (p.g.array() + 0.25).matrix(), p.n)}, {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "b is the right gradient + 0.25 in every entry");
  BOOST_TEST(has(d, "offset"));
}

BOOST_AUTO_TEST_CASE(wrongOnlyBeforeARightTensorSaysWhereTheErrorEnters) {
  // An error sent back from fc2 to fc1: both of fc1's tensors wrong, in no single pattern.
  const auto m = model(6);
  std::mt19937 random(6);
  std::normal_distribution<double> noise(0, 0.2);
  std::vector<Eigen::MatrixXd> a{m[0].g.unaryExpr([&](double x) { return x + noise(random); }),
                                 m[1].g.unaryExpr([&](double x) { return x * (1 + noise(random)); }), m[2].g, m[3].g};
  const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "only fc1.weight, fc1.bias (the tensors declared before fc2.weight) are wrong");
  BOOST_TEST(d.where.find("the error enters the backward pass between fc2 and fc1") != std::string::npos);
  BOOST_TEST(d.mistakes == std::vector<std::string>{"wrong-before"});
  BOOST_TEST(!names_a_value_pattern(d));
}

BOOST_AUTO_TEST_CASE(noPlaceIsSaidBetweenTwoTensorsOfOneLayer) {
  // W1, b1, W2 wrong and b2 right: the boundary falls inside layer 2 (W2 and b2), which says
  // nothing of the backward pass between layers; W1, b1 wrong and W2, b2 right does.
  std::vector<TensorEvidence> tensors;
  const char* const plain[] = {"W1", "b1", "W2", "b2"};
  for (unsigned k = 0; k < 4; ++k) {
    const Planted p = gradient(3, 2, 30 + k);
    Eigen::MatrixXd a = p.g;
    if (k < 3) a(0, 0) += 0.5, a(2, 1) -= 0.3;
    tensors.push_back(tensor(plain[k], a, p.n));
  }
  BOOST_TEST(!has(diagnose_patterns(tensors, {}, Coverage::every_entry), "wrong-before"));
  tensors[2].analytic = tensors[2].numerical;
  tensors[2].verdict = TensorEvidence::Verdict::right;
  const Diagnosis d = diagnose_patterns(tensors, {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "only W1, b1 (the tensors declared before W2) are wrong");
  BOOST_TEST(d.where.find("between W2 and b1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aFactorBeforeARightTensorIsSaidWithItsPlace) {
  const auto m = model(7);
  std::vector<Eigen::MatrixXd> a{0.5 * m[0].g, 0.5 * m[1].g, m[2].g, m[3].g};
  const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "only fc1.weight, fc1.bias (the tensors declared before fc2.weight) are wrong, each 0.5 × the right gradient");
}

BOOST_AUTO_TEST_CASE(aRandomErrorInTheLastTensorIsUnrecognised) {
  const auto m = model(8);
  std::vector<Eigen::MatrixXd> a{m[0].g, m[1].g, m[2].g, m[3].g};
  a[2](1, 2) += 0.3;
  a[2](0, 0) -= 0.1;
  const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::every_entry);
  BOOST_TEST((d.kind == Diagnosis::Kind::unrecognised));
  BOOST_TEST(d.summary == "unrecognised discrepancy");
  BOOST_TEST(d.mistakes.empty());
}

BOOST_AUTO_TEST_CASE(mixedPatternsInOneTensorAreUnrecognised) {
  // Half the entries halved, the other half shifted: neither pattern holds for the tensor.
  const Planted p = gradient(4, 4, 9);
  Eigen::MatrixXd a = p.g;
  a.leftCols(2) *= 0.5;
  a.rightCols(2).array() += 0.2;
  const Diagnosis d = diagnose_patterns({tensor("W", a, p.n)}, {}, Coverage::every_entry);
  BOOST_TEST((d.kind == Diagnosis::Kind::unrecognised));
  BOOST_TEST(!names_a_value_pattern(d));
}

BOOST_AUTO_TEST_CASE(differentFactorsPerTensorAreNamedTensorByTensor) {
  const auto m = model(10);
  std::vector<Eigen::MatrixXd> a{0.5 * m[0].g, m[1].g, -1 * m[2].g, m[3].g};
  const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::every_entry);
  BOOST_TEST(d.summary == "fc1.weight is 0.5 × the right gradient; fc2.weight is -1 × the right gradient");
  BOOST_TEST(!has(d, "common-scale"));
}

BOOST_AUTO_TEST_CASE(aSampleStillShowsTheFactorAndSaysSo) {
  auto m = model(11);
  std::vector<Eigen::MatrixXd> a;
  for (auto& p : m) {
    a.push_back(0.5 * p.g);
    p.n(0, 0) = std::numeric_limits<double>::quiet_NaN();  // not sampled
  }
  const Diagnosis d = diagnose_patterns(evidence(m, a), {}, Coverage::sample);
  BOOST_TEST(d.summary == "every tensor's gradient is 0.5 × the right one (on the entries sampled)");
}

BOOST_AUTO_TEST_CASE(theFastModeShowsACommonFactorFromItsDirectionalDerivatives) {
  std::vector<TensorEvidence> tensors;
  for (unsigned k = 0; k < 3; ++k) {
    const Planted p = gradient(3, 1, 20 + k);  // vᵀn along three directions
    TensorEvidence t = tensor(names[k], 2 * p.g, p.n, false);
    t.directional = true;
    tensors.push_back(t);
  }
  const Diagnosis d = diagnose_patterns(tensors, {}, Coverage::directions);
  BOOST_TEST(d.summary == "every tensor's gradient is 2 × the right one (along the directions tried)");
}

BOOST_AUTO_TEST_CASE(oneNumberIsNoEvidenceOfAFactor) {
  // A scalar parameter whose gradient is off: any factor fits one number, so none is said.
  const Eigen::MatrixXd n = Eigen::MatrixXd::Constant(1, 1, 0.8), a = Eigen::MatrixXd::Constant(1, 1, 0.4);
  const Diagnosis d = diagnose_patterns({tensor("scale", a, n, false)}, {}, Coverage::every_entry);
  BOOST_TEST((d.kind == Diagnosis::Kind::unrecognised));
}

BOOST_AUTO_TEST_CASE(rightTensorsGetNoDiagnosis) {
  const auto m = model(12);
  const Diagnosis d = diagnose_patterns(evidence(m, {m[0].g, m[1].g, m[2].g, m[3].g}), {}, Coverage::every_entry);
  BOOST_TEST((d.kind == Diagnosis::Kind::right));
}

BOOST_AUTO_TEST_CASE(aModelChecksEntriesReachThePatternsInTheirPlaces) {
  // W (3 × 3) answered transposed, b's gradient never sent (it holds 0 in its place): W is named
  // transposed through the check's flat order, and b is not judged, never "zero in every entry".
  ModelResult r;
  r.tensors = {Tensor{"W", {3, 3}}, Tensor{"b", {3}}};
  const Layout layout = layout_of(r.tensors);
  const Planted W = gradient(3, 3, 40);
  r.analytic = Eigen::VectorXd::Zero(layout.parameters());
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 3; ++j) {
      const Index k = layout.flat({1, i + 1, j});
      r.analytic(k) = W.g(j, i);
      r.measured.coordinates.push_back(k);
    }
  r.measured.analytic.resize(9);
  r.measured.numerical.resize(9);
  for (std::size_t c = 0; c < 9; ++c) {
    const ParamIndex p = layout.entry(r.measured.coordinates[c]);
    r.measured.analytic(static_cast<Index>(c)) = W.g(p.j, p.i - 1);
    r.measured.numerical(static_cast<Index>(c)) = W.n(p.i - 1, p.j);
  }
  r.result.layers.resize(2);
  r.result.layers[0].l = 1, r.result.layers[0].pass = false;
  r.result.layers[1].l = 2, r.result.layers[1].pass = false, r.result.layers[1].unchecked = 3;
  r.result.layers[1].unusable = "no gradient sent";
  r.result.unchecked = 3;
  r.unusable = {"", "no gradient sent"};
  r.pass = r.result.pass = false;
  const auto d = diagnose(r);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->summary == "W is the transpose of the right gradient");
  BOOST_TEST(d->where == "wrong: W; not judged: b");
}

RC_BOOST_PROP(aRandomPerturbationIsNeverGivenAPatternsName, (unsigned seed, unsigned rows, unsigned cols)) {
  // Every tensor perturbed entry by entry at random (relative 1e-2 … 1), so no location either.
  const Index r = 1 + rows % 5, c = 1 + cols % 5;
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> size(-2, 0), sign(-1, 1);
  std::vector<TensorEvidence> tensors;
  for (unsigned k = 0; k < 3; ++k) {
    const Planted p = gradient(r, c, seed + k);
    const Eigen::MatrixXd a = p.g.unaryExpr([&](double x) { return x * (1 + std::pow(10.0, size(random)) * (sign(random) < 0 ? -1 : 1)); });
    tensors.push_back(tensor(names[k], a, p.n, c > 1));
  }
  const Diagnosis d = diagnose_patterns(tensors, {}, Coverage::every_entry);
  RC_TAG(d.kind == Diagnosis::Kind::right ? "right" : "wrong");
  RC_ASSERT(!names_a_value_pattern(d));
}

BOOST_AUTO_TEST_SUITE_END()
