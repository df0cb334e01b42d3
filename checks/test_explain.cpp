// Explain mode: the worked example's numbers are the reference's, and δ is what it means.

#include "gradcheck/model/course.hpp"
#include "gradcheck/diagnosis/explain.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace gradcheck;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The numbers of a printed vector or matrix row.
std::vector<double> numbers_of(const std::string& line) {
  std::string text = line.substr(line.find('[') + 1);
  for (char& ch : text)
    if (ch == '|' || ch == ']') ch = ' ';
  std::istringstream in(text.substr(0, text.find("ᵀ")));
  std::vector<double> values;
  for (double v; in >> v;) values.push_back(v);
  return values;
}

/// Equal to the printed precision, give or take the numerical gradient's own error.
bool close(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.empty()) return false;
  for (std::size_t k = 0; k < x.size(); ++k)
    if (std::abs(x[k] - y[k]) > 1e-5 * std::max(std::abs(y[k]), 1e-4)) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(explain_mode)

BOOST_AUTO_TEST_CASE(everyDeltaEqualsTheNumericalDerivativeOfTheExamplesCostWithRespectToZ) {
  for (const char* sizes : {"3-3-3", "2-4-3-2"}) {
    const Instance n = random_instance(make_architecture(sizes, Activation::tanh, Output::softmax_cross_entropy), 3, 0.5, 4);
    const auto lines = lines_of(explain(n.problem, n.theta));
    int compared = 0;
    for (std::size_t k = 0; k + 1 < lines.size(); ++k) {
      if (lines[k + 1].find("numerical ∂J_") == std::string::npos) continue;
      BOOST_TEST_INFO(lines[k] << "\n" << lines[k + 1]);
      BOOST_TEST(lines[k].find("  δ^(") == 0);
      BOOST_TEST(close(numbers_of(lines[k]), numbers_of(lines[k + 1])));
      ++compared;
    }
    const int L = sizes[2] == '3' && std::string(sizes).size() == 5 ? 3 : 4;
    BOOST_TEST(compared == 3 * (L - 1));  // every δ^(l), l = 2 … L, for each of the 3 examples
  }
}

BOOST_AUTO_TEST_CASE(theWorkedExampleFollowsTheSlideAndGivesTheGradient) {
  const Instance n = course_instance(make_architecture("3-3-3", Activation::sigmoid, Output::sigmoid_logistic), 2, 0);
  const std::string text = explain(n.problem, n.theta);
  for (const char* part : {"Set Δ^(l) = 0 for every l, Δ^(1) is 3 × 4, Δ^(2) is 3 × 4.", "── example t = 1",
                           "── example t = 2", "a^(1) = x^(1)", "z^(2) = Θ^(1) [1; a^(1)]",
                           "a^(2) = g(z^(2)), g = sigmoid", "δ^(3) = a^(3) − y^(1)", "(Θ^(2))ᵀ δ^(3)   (entry 0: the bias)",
                           "Δ^(2) += δ^(3) [1; a^(2)]ᵀ, now", "D^(1) = Δ^(1)/m + (λ/m) Θ^(1) with column 0 unregularized (3 × 4)"})
    BOOST_TEST(text.find(part) != std::string::npos, part);
  // The analytic and numerical D^(l) agree to the printed precision.
  const auto lines = lines_of(text);
  int rows = 0;
  for (std::size_t k = 0; k < lines.size(); ++k)
    if (lines[k] == "  analytic (backprop)")
      for (std::size_t r = 1; r <= 3; ++r, ++rows) BOOST_TEST(close(numbers_of(lines[k + r]), numbers_of(lines[k + r + 4])));
  BOOST_TEST(rows == 6);
}

BOOST_AUTO_TEST_SUITE_END()
