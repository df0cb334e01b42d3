// Problem files and requests: what is written is read back the same, Octave's jsonencode forms
// are understood, and limits hold before anything large is allocated. Both are read as streams
// (no DOM): the properties below write their JSON through nlohmann's DOM, as gradcheck did, and
// check that the streaming reader gives the same problem.

#include "gradcheck/model/generators.hpp"

#include "gradcheck/io/problem_file.hpp"
#include "gradcheck/io/protocol.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <rapidcheck/boost_test.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

std::string file_error_of(const std::string& path) {
  try {
    read_problem_file(path);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

/// A file of `text` in the temporary folder, removed when it goes.
struct TextFile {
  std::string path;
  explicit TextFile(const std::string& text, const std::string& name = "gradcheck-test-problem.json")
      : path(fmt_path(name)) {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TextFile() { std::remove(path.c_str()); }
  static std::string fmt_path(const std::string& name) { return "/tmp/" + std::to_string(getpid()) + "-" + name; }
};

nlohmann::ordered_json rows(const Eigen::MatrixXd& M) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (Index i = 0; i < M.rows(); ++i) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (Index j = 0; j < M.cols(); ++j) row.push_back(M(i, j));
    out.push_back(row);
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(problem_file)

RC_BOOST_PROP(aProblemFileIsReadTheSameWhateverTheOrderOfItsKeysAndItsSpacing, ()) {
  // Written through nlohmann's DOM, as gradcheck wrote requests before it streamed them.
  const NetworkCase c = *generate::network_case();
  const Instance n = c.instance();
  const Problem& p = n.problem;
  std::vector<std::pair<std::string, nlohmann::ordered_json>> fields{
      {"sizes", p.architecture.sizes}, {"cost", std::string(name(p.architecture.output))}, {"lambda", p.lambda},
      {"X", rows(p.X)}, {"Y", rows(p.Y)}};
  nlohmann::ordered_json activations = nlohmann::ordered_json::array();
  for (const Activation g : p.architecture.hidden) activations.push_back(std::string(name(g)));
  fields.emplace_back("activations", activations);
  const bool with_theta = *rc::gen::arbitrary<bool>();
  if (with_theta) {
    nlohmann::ordered_json theta = nlohmann::ordered_json::array();
    for (const auto& t : n.theta) theta.push_back(rows(t));
    fields.emplace_back("theta", theta);
  }
  const auto order = *rc::gen::unique<std::vector<std::size_t>>(fields.size(), rc::gen::inRange<std::size_t>(0, fields.size()));
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const std::size_t k : order) j[fields[k].first] = fields[k].second;
  const int indent = *rc::gen::element(-1, 0, 2);
  RC_TAG(indent, with_theta);
  const std::string text = j.dump(indent);
  const ProblemFile f = parse_problem(text, "p.json");
  RC_ASSERT(f.problem.architecture.sizes == p.architecture.sizes);
  RC_ASSERT(f.problem.architecture.hidden == p.architecture.hidden);
  RC_ASSERT(f.problem.architecture.output == p.architecture.output);
  RC_ASSERT(f.problem.lambda == p.lambda);
  RC_ASSERT(f.problem.X == p.X);
  RC_ASSERT(f.problem.Y == p.Y);
  RC_ASSERT(f.theta.has_value() == with_theta);
  if (with_theta)
    for (std::size_t l = 0; l < n.theta.size(); ++l) RC_ASSERT((*f.theta)[l] == n.theta[l]);
  // From a file, streamed in 64 KiB pieces, the same.
  const TextFile file(text);
  const ProblemFile g = read_problem_file(file.path);
  RC_ASSERT(g.problem.X == p.X);
  RC_ASSERT(g.problem.Y == p.Y);
}

BOOST_AUTO_TEST_CASE(aFileAndTheSameTextInMemoryGetTheSameMessage) {
  for (const std::string& text : {std::string(""), std::string("  \n"), std::string("\xff\xfe{\0}", 5),
                                 std::string(R"({"sizes": [2, 2], "X": [[1, 2]], "labels": [1]})") + std::string(1, '\0') + "x",
                                 std::string(R"({"sizes": [2, 2], "X": [[1, 2]], "labels": [1]} {)"),
                                 std::string(R"({"sizes": [2, 2], "X": [[1, 2], [3]], "labels": [1, 2]})"),
                                 std::string(R"({"sizes": [2, 2], "X": [[1, 2]], "labels": [1], "theta": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]})"),
                                 std::string(R"([1, 2, 3])"), std::string(R"("text")"), std::string(R"({"sizes": [2, 2], "X": 1e999})")}) {
    const TextFile file(text, "p.json");
    const std::string from_file = file_error_of(file.path);
    const std::string from_text = error_of(text);
    BOOST_TEST(from_file.substr(from_file.find(": ")) == from_text.substr(from_text.find(": ")), text);
  }
}

BOOST_AUTO_TEST_CASE(matricesPastTheSizeLimitsAreRefusedWhileReading) {
  // s_2 = 33333332 leaves room for m ≤ 2 examples (m × Σ s_l ≤ 10^8): the third row is refused as
  // it is read, before any matrix is made.
  const std::string e = error_of(R"({"sizes": [1, 33333332, 1], "X": [[1], [2], [3]], "labels": [1, 1, 1]})");
  BOOST_TEST(contains(e, "p.json: \"X\": has more than 2 values"), e);
  // Without "sizes" first, the limit is the largest any network allows; the check after reading
  // still names the network.
  BOOST_TEST(contains(error_of(R"({"X": [[1], [2], [3]], "labels": [1, 1, 1], "sizes": [1, 33333332, 1]})"),
                      "a network of 1-33333332-1 with m = 3 is too large"));
}

BOOST_AUTO_TEST_CASE(filesThatAreNotRegularFilesAreRefusedWithoutReadingThem) {
  BOOST_TEST(contains(file_error_of("/dev/zero"), "--problem /dev/zero: is a character device; expected a JSON problem file"));
  BOOST_TEST(contains(file_error_of("/tmp"), "--problem /tmp: is a folder; expected a JSON problem file"));
  // A FIFO nobody writes to: refused, not waited on (a hang here would hang the test).
  const std::string fifo = TextFile::fmt_path("fifo.json");
  BOOST_TEST_REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  BOOST_TEST(contains(file_error_of(fifo), "is a named pipe (FIFO); expected a JSON problem file"));
  std::remove(fifo.c_str());
  const std::string socket_path = TextFile::fmt_path("socket.json");
  const int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
  BOOST_TEST_REQUIRE(bind(s, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  BOOST_TEST(contains(file_error_of(socket_path), "is a socket; expected a JSON problem file"));
  close(s);
  std::remove(socket_path.c_str());
}

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
