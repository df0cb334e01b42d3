// Names of layers and entries in the user's notation (model/names.hpp), worked by hand.

#include "gradcheck/model/names.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <set>

using namespace gradcheck;

BOOST_AUTO_TEST_SUITE(names)

// Θ^(1)_{3,1}: row i = 3 (1-based, the unit it feeds), column j = 1 (j = 0 is the bias).
const ParamIndex theta1_31{1, 3, 1};

BOOST_AUTO_TEST_CASE(oneEntryInEveryNotation) {
  BOOST_TEST(Names().entry(theta1_31) == "Θ^(1)_{3,1}");
  BOOST_TEST(Names(Names::Style::octave).entry(theta1_31) == "Theta1(3,2)");    // 1-based rows and columns
  BOOST_TEST(Names(Names::Style::numpy).entry(theta1_31) == "Theta1[2, 1]");    // 0-based, the bias column 0
  BOOST_TEST(Names(Names::Style::eigen).entry(theta1_31) == "theta[0](2, 1)");
  // W and b apart, 0-based: column j ≥ 1 is W's column j − 1 (transposed for inputs × outputs).
  BOOST_TEST(Names(Names::Style::w_out_in).entry(theta1_31) == "W1[2, 0]");
  BOOST_TEST(Names(Names::Style::w_in_out).entry(theta1_31) == "W1[0, 2]");
  BOOST_TEST(Names(Names::Style::w_out_in).entry(ParamIndex{2, 4, 0}) == "b2[3]");
}

BOOST_AUTO_TEST_CASE(layersAndGradientsAsTheUsersCodeCallsThem) {
  BOOST_TEST(Names().layer(2) == "Θ^(2)");
  BOOST_TEST(Names().gradient(2) == "D^(2)");
  BOOST_TEST(Names(Names::Style::octave).gradient(2) == "Theta2_grad");
  BOOST_TEST(Names(Names::Style::w_in_out).layer(1) == "W1, b1");
  BOOST_TEST(Names(Names::Style::w_in_out).gradient(1) == "dW1, db1");
  BOOST_TEST(Names::of_layout(WeightLayout::theta, Names::Style::numpy).entry(theta1_31) == "Theta1[2, 1]");
  BOOST_TEST(Names::of_layout(WeightLayout::w_out_in, Names::Style::numpy).entry(theta1_31) == "W1[2, 0]");
}

BOOST_AUTO_TEST_CASE(aTensorsEntryIsItsRowMajorIndex) {
  // conv.weight 8 × 3 × 3 × 3 seen as an 8 × 27 matrix: row 4 (1-based), column 13 is offset
  // 3·27 + 13 = 94 = ((3·3 + 1)·3 + 1)·3 + 1 → [3, 1, 1, 1].
  const Names model({{"conv.weight", {8, 3, 3, 3}}, {"fc.bias", {10}}, {"scale", {}}});
  BOOST_TEST(model.entry(ParamIndex{1, 4, 13}) == "conv.weight[3, 1, 1, 1]");
  BOOST_TEST(model.entry(ParamIndex{2, 7, 0}) == "fc.bias[6]");
  BOOST_TEST(model.entry(ParamIndex{3, 1, 0}) == "scale");
  BOOST_TEST(model.layer(2) == "fc.bias");
}

// No two entries of a network share a name, in any notation: a report's name says which entry.
RC_BOOST_PROP(everyEntryHasItsOwnNameInEveryNotation, ()) {
  const auto sizes = *rc::gen::container<std::vector<Index>>(*rc::gen::inRange<std::size_t>(2, 5), rc::gen::inRange<Index>(1, 7));
  const Layout layout(sizes);
  for (const auto style : {Names::Style::course, Names::Style::octave, Names::Style::numpy, Names::Style::w_out_in,
                           Names::Style::w_in_out, Names::Style::eigen}) {
    std::set<std::string> seen;
    for (Index k = 0; k < layout.parameters(); ++k) seen.insert(Names(style).entry(layout.entry(k)));
    RC_ASSERT(static_cast<Index>(seen.size()) == layout.parameters());
  }
  std::vector<TensorName> tensors;
  for (Index l = 1; l <= layout.matrices(); ++l) tensors.push_back({"t" + std::to_string(l), {layout.rows(l), 1, layout.cols(l)}});
  std::set<std::string> seen;
  for (Index k = 0; k < layout.parameters(); ++k) seen.insert(Names(tensors).entry(layout.entry(k)));
  RC_ASSERT(static_cast<Index>(seen.size()) == layout.parameters());
}

BOOST_AUTO_TEST_SUITE_END()
