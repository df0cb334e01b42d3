// Unrolling in Octave's order and the flat index ↔ Θ^(l)_ij map.

#include "gradcheck/model/generators.hpp"

#include "gradcheck/model/unroll.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <set>
#include <tuple>

using namespace gradcheck;

BOOST_AUTO_TEST_SUITE(unroll)

BOOST_AUTO_TEST_CASE(flatIndicesFollowOctavesThetaColonOrder) {
  // 2-2-1: Theta1 is 2 × 3, Theta2 is 1 × 3; nn_params = [Theta1(:); Theta2(:)] runs down
  // Theta1's columns first: Theta1(1,1), Theta1(2,1), Theta1(1,2), …, then Theta2(1,1), ….
  const Layout layout(std::vector<Index>{2, 2, 1});
  BOOST_TEST(layout.parameters() == 9);
  BOOST_TEST(layout.matrices() == 2);
  BOOST_TEST((layout.entry(0) == ParamIndex{1, 1, 0}));
  BOOST_TEST((layout.entry(1) == ParamIndex{1, 2, 0}));
  BOOST_TEST((layout.entry(2) == ParamIndex{1, 1, 1}));
  BOOST_TEST((layout.entry(5) == ParamIndex{1, 2, 2}));
  BOOST_TEST((layout.entry(6) == ParamIndex{2, 1, 0}));
  BOOST_TEST((layout.entry(8) == ParamIndex{2, 1, 2}));

  Weights<double> theta{(Eigen::MatrixXd(2, 3) << 1, 3, 5, 2, 4, 6).finished(),
                        (Eigen::MatrixXd(1, 3) << 7, 8, 9).finished()};
  const Eigen::VectorXd flat = gradcheck::unroll(theta);
  for (Index k = 0; k < 9; ++k) BOOST_TEST(flat(k) == static_cast<double>(k + 1));
}

BOOST_AUTO_TEST_CASE(entriesAreNamedInTheCoursesNotationAndOctaves) {
  BOOST_TEST(format(ParamIndex{2, 3, 0}) == "Θ^(2)_{3,0}");
  BOOST_TEST(format_octave(ParamIndex{2, 3, 0}) == "Theta2(3,1)");
}

BOOST_AUTO_TEST_CASE(outOfRangeIndicesAndWrongLengthsAreRefused) {
  const Layout layout(std::vector<Index>{2, 2, 1});
  BOOST_CHECK_THROW(layout.entry(9), std::out_of_range);
  BOOST_CHECK_THROW(layout.entry(-1), std::out_of_range);
  BOOST_CHECK_THROW(layout.flat(ParamIndex{2, 2, 0}), std::out_of_range);
  BOOST_CHECK_THROW(layout.flat(ParamIndex{1, 1, 3}), std::out_of_range);
  BOOST_CHECK_THROW(layout.flat(ParamIndex{3, 1, 0}), std::out_of_range);
  BOOST_CHECK_THROW(reroll(layout, Eigen::VectorXd::Zero(8)), std::invalid_argument);
}

RC_BOOST_PROP(unrollThenRerollIsTheIdentity, ()) {
  const auto c = *generate::network_case();
  const Instance n = c.instance();
  const Weights<double> back = reroll(Layout(c.architecture), gradcheck::unroll(n.theta));
  RC_ASSERT(back.size() == n.theta.size());
  for (std::size_t k = 0; k < back.size(); ++k) RC_ASSERT(back[k] == n.theta[k]);
}

RC_BOOST_PROP(rerollThenUnrollIsTheIdentity, ()) {
  const auto architecture = *generate::architecture();
  const Layout layout(architecture);
  const Eigen::VectorXd flat = Eigen::VectorXd::LinSpaced(layout.parameters(), 1, static_cast<double>(layout.parameters()));
  RC_ASSERT(gradcheck::unroll(reroll(layout, flat)) == flat);
}

RC_BOOST_PROP(flatIndexAndThetaEntryAreABijection, ()) {
  const auto architecture = *generate::architecture();
  const Layout layout(architecture);
  // entry ∘ flat = id over every (l, i, j), visited in Octave's order, hitting every k once.
  Index expected = 0;
  for (Index l = 1; l < architecture.layers(); ++l)
    for (Index j = 0; j <= architecture.size(l); ++j)
      for (Index i = 1; i <= architecture.size(l + 1); ++i) {
        const ParamIndex p{l, i, j};
        RC_ASSERT(layout.flat(p) == expected);
        RC_ASSERT(layout.entry(expected) == p);
        ++expected;
      }
  RC_ASSERT(expected == layout.parameters());
  // flat ∘ entry = id over every k.
  std::set<std::tuple<Index, Index, Index>> seen;
  for (Index k = 0; k < layout.parameters(); ++k) {
    const ParamIndex p = layout.entry(k);
    RC_ASSERT(layout.flat(p) == k);
    seen.emplace(p.l, p.i, p.j);
  }
  RC_ASSERT(static_cast<Index>(seen.size()) == layout.parameters());
}

BOOST_AUTO_TEST_SUITE_END()
