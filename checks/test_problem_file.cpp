// Problem files and requests: what is written is read back the same, Octave's jsonencode forms
// are understood, and limits hold before anything large is allocated.

#include "gradcheck/generators.hpp"

#include "gradcheck/problem_file.hpp"
#include "gradcheck/protocol.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <stdexcept>
#include <string>

using namespace gradcheck;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_problem(text, "p.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(problem_file)

RC_BOOST_PROP(aRequestIsReadBackAsItWasWritten, ()) {
  const NetworkCase c = *generate::network_case();
  const Instance n = c.instance();
  const Want want = *rc::gen::element(Want::cost, Want::gradient, Want::both);
  const Request r = parse_request(make_request(42, n.problem, n.theta, want));
  RC_ASSERT(r.id == 42u);
  RC_ASSERT(r.want == want);
  RC_ASSERT(r.problem.architecture.sizes == n.problem.architecture.sizes);
  RC_ASSERT(r.problem.architecture.hidden == n.problem.architecture.hidden);
  RC_ASSERT(r.problem.architecture.output == n.problem.architecture.output);
  RC_ASSERT(r.problem.lambda == n.problem.lambda);
  RC_ASSERT(r.problem.X == n.problem.X);  // bit for bit: JSON numbers are written to round-trip
  RC_ASSERT(r.problem.Y == n.problem.Y);
  for (std::size_t l = 0; l < n.theta.size(); ++l) RC_ASSERT(r.theta[l] == n.theta[l]);
}

BOOST_AUTO_TEST_CASE(octaveJsonencodeVectorsAreReadAsColumnsOrRows) {
  // jsonencode writes an m × 1 matrix, and a 1 × n one, as a flat array; a 1 × 1 one as a number.
  const ProblemFile column = parse_problem(
      R"({"sizes": [1, 2], "X": [1, 2, 3], "labels": [[1], [2], [2]], "theta": [[[0.1, 0.2], [0.3, 0.4]]]})", "p.json");
  BOOST_TEST(column.problem.X.rows() == 3);
  BOOST_TEST(column.problem.X.cols() == 1);
  BOOST_TEST(column.problem.Y(1, 1) == 1.0);
  BOOST_TEST_REQUIRE(column.theta.has_value());
  BOOST_TEST((*column.theta)[0](1, 0) == 0.3);
  const ProblemFile row = parse_problem(
      R"({"sizes": [3, 1], "cost": "identity-quadratic", "X": [1, 2, 3], "Y": 0.5, "theta": [[1, 2, 3, 4]]})"
      R"()", "p.json");
  BOOST_TEST(row.problem.X.rows() == 1);
  BOOST_TEST(row.problem.X.cols() == 3);
  BOOST_TEST(row.problem.Y(0, 0) == 0.5);
  BOOST_TEST((*row.theta)[0].cols() == 4);
}

BOOST_AUTO_TEST_CASE(defaultsAreTheCoursesNetwork) {
  const ProblemFile f = parse_problem(R"({"sizes": [2, 3, 2], "X": [[1, 2]], "labels": [2]})", "p.json");
  BOOST_TEST((f.problem.architecture.hidden == std::vector<Activation>{Activation::sigmoid}));
  BOOST_TEST((f.problem.architecture.output == Output::sigmoid_logistic));
  BOOST_TEST(f.problem.lambda == 0.0);
  BOOST_TEST(!f.theta.has_value());
}

BOOST_AUTO_TEST_CASE(absurdSizesAreRefusedBeforeAllocating) {
  // 10^8 inputs with 10^8 examples would be 8·10^16 bytes: the message comes first.
  BOOST_TEST(error_of(R"({"sizes": [100000000, 1], "X": [[1]], "labels": [1]})").find("asks for more than") !=
             std::string::npos);
  BOOST_TEST(error_of(R"({"sizes": [3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000], "X": [], "labels": []})")
                 .find("\"sizes\": asks for more than 100000000 parameters") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(everyMessageNamesTheSourceAndIsOneLine) {
  for (const char* text : {"", "{", "[]", R"({"sizes": [2, 2], "X": [[1, 2]], "labels": [1], "extra": 1})",
                           R"({"sizes": [2, 2], "X": [[1, 2]], "Y": [[0.5, 0.5]], "labels": [1]})"}) {
    const std::string e = error_of(text);
    BOOST_TEST(e.rfind("p.json: ", 0) == 0u, e);
    BOOST_TEST(e.find('\n') == std::string::npos, e);
  }
  BOOST_TEST(error_of(R"({"sizes": [2, 2], "X": [[1, 2]], "Y": [[0.5, 0.5]], "labels": [1]})")
                 .find("disagrees with \"labels\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aMissingRequestFieldIsNamed) {
  try {
    parse_request(R"({"id": 1, "sizes": [2, 2], "X": [[1, 2]], "labels": [1]})");
    BOOST_FAIL("accepted a request without theta");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "request: \"theta\": missing; expected L − 1 matrices Θ^(l)");
  }
}

BOOST_AUTO_TEST_SUITE_END()
