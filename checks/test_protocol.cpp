// The protocol's requests and replies.

#include "gradcheck/model/course.hpp"
#include "gradcheck/io/process.hpp"
#include "gradcheck/io/protocol.hpp"
#include "gradcheck/check/model.hpp"
#include "gradcheck/check/session.hpp"

#include "gradcheck/model/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <rapidcheck/boost_test.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <chrono>
#include <thread>
#include <sys/wait.h>

using namespace gradcheck;

namespace {

const Architecture arch = make_architecture("2-1", Activation::sigmoid, Output::sigmoid_logistic);

std::string failure_of(const std::string& reply, Want want = Want::both) {
  try {
    parse_reply(reply, 7, arch, want);
  } catch (const ImplementationError& e) {
    return e.what();
  }
  return "accepted";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol)

BOOST_AUTO_TEST_CASE(requestsCarryTheProblemWithThetaRowsBiasFirst) {
  const Instance n = course_instance(make_architecture("2-2-2", Activation::tanh, Output::sigmoid_logistic), 3, 1.5);
  const auto request = nlohmann::json::parse(make_request(4, n.problem, n.theta, Want::both));
  BOOST_TEST(request["id"].get<int>() == 4);
  BOOST_TEST(request["want"].dump() == R"(["J","gradient"])");
  BOOST_TEST(request["sizes"].dump() == "[2,2,2]");
  BOOST_TEST(request["activations"].dump() == R"(["tanh"])");
  BOOST_TEST(request["cost"].get<std::string>() == "sigmoid-logistic");
  BOOST_TEST(request["lambda"].get<double>() == 1.5);
  BOOST_TEST(request["labels"].dump() == "[2,1,2]");  // 1 + mod(1:m, K)
  BOOST_TEST(request["X"].size() == 3u);
  BOOST_TEST(request["theta"][0][1][0].get<double>() == n.theta[0](1, 0));  // Θ^(1)_{2,0}
  BOOST_TEST(request["theta"][1][0][2].get<double>() == n.theta[1](0, 2));  // Θ^(2)_{1,2}
  // Regression targets are not class labels.
  const Instance r = random_instance(make_architecture("1-1", Activation::sigmoid, Output::identity_quadratic), 2, 0, 3);
  BOOST_TEST(!nlohmann::json::parse(make_request(1, r.problem, r.theta, Want::cost)).contains("labels"));
}

RC_BOOST_PROP(theProtocolOrderIsThetaRowByRowLayerAfterLayer, ()) {
  const Instance n = (*generate::network_case()).instance();
  const Layout layout(n.problem.architecture);
  const auto request = nlohmann::json::parse(make_request(1, n.problem, n.theta, Want::cost));
  std::vector<double> listed;  // "theta"'s numbers as they appear in the request
  for (const auto& matrix : request["theta"])
    for (const auto& row : matrix)
      for (const auto& x : row) listed.push_back(x.get<double>());
  const Eigen::VectorXd in_order = in_protocol_order(layout, unroll(n.theta));
  RC_ASSERT(std::vector<double>(in_order.begin(), in_order.end()) == listed);
  for (Index k = 0; k < layout.parameters(); ++k) RC_ASSERT(unrolled_index(layout, protocol_index(layout, k)) == k);
}

RC_BOOST_PROP(inEveryWeightLayoutTheProtocolOrderIsTheOrderOfTheRequestsNumbers, ()) {
  Instance n = (*generate::network_case()).instance();
  const Layout layout(n.problem.architecture);
  for (const auto weights : {WeightLayout::theta, WeightLayout::w_out_in, WeightLayout::w_in_out}) {
    n.problem.conventions.layout = weights;
    const auto request = nlohmann::json::parse(make_request(1, n.problem, n.theta, Want::both));
    std::vector<double> listed;
    const auto add_rows = [&](const nlohmann::json& matrices) {
      for (const auto& matrix : matrices)
        for (const auto& row : matrix)
          for (const auto& x : row) listed.push_back(x.get<double>());
    };
    if (weights == WeightLayout::theta) {
      add_rows(request["theta"]);
    } else {
      add_rows(request["W"]);
      for (const auto& b : request["b"])
        for (const auto& x : b) listed.push_back(x.get<double>());
      RC_ASSERT(request["conventions"]["layout"].get<std::string>() == name(weights));
    }
    const Eigen::VectorXd in_order = in_protocol_order(layout, unroll(n.theta), weights);
    RC_ASSERT(std::vector<double>(in_order.begin(), in_order.end()) == listed);
    for (Index k = 0; k < layout.parameters(); ++k) RC_ASSERT(unrolled_index(layout, protocol_index(layout, k, weights), weights) == k);
  }
}

BOOST_AUTO_TEST_CASE(aGradientAsDwAndDbIsReadIntoThetasShape) {
  const Architecture a = make_architecture("2-3", Activation::sigmoid, Output::sigmoid_logistic);  // Θ^(1) is 3 × 3
  const std::string out_in = R"({"id": 1, "J": 0, "dW": [[[1, 2], [3, 4], [5, 6]]], "db": [[7, 8, 9]]})";
  const std::string in_out = R"({"id": 1, "J": 0, "dW": [[[1, 3, 5], [2, 4, 6]]], "db": [[7, 8, 9]]})";
  const Eigen::MatrixXd expected = (Eigen::MatrixXd(3, 3) << 7, 1, 2, 8, 3, 4, 9, 5, 6).finished();
  BOOST_TEST((parse_reply(out_in, 1, a, Want::both, WeightLayout::w_out_in).gradient[0] == expected));
  BOOST_TEST((parse_reply(in_out, 1, a, Want::both, WeightLayout::w_in_out).gradient[0] == expected));
  try {
    parse_reply(out_in, 1, a, Want::both, WeightLayout::w_in_out);  // 3 × 2 where 2 × 3 is expected
    BOOST_FAIL("a dW of the other orientation was accepted");
  } catch (const ImplementationError& e) {
    BOOST_TEST(contains(e.what(), "dW1 that is 3 × 2, transposed; expected 2 rows of 3 numbers (s_1 inputs × s_2 outputs)"));
  }
}

namespace {

/// The doubles of a {"base64", "shape"} array, decoded by hand (RFC 4648, little-endian).
std::vector<double> decoded(const nlohmann::json& array) {
  const std::string text = array.at("base64").get<std::string>();
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char ch = text[i + k];
      n = (n << 6) | (ch == '=' ? (++pad, 0u) : static_cast<std::uint32_t>(digits.find(ch)));
    }
    for (int b = 0; b < 3 - pad; ++b) bytes.push_back(static_cast<unsigned char>(n >> (16 - 8 * b)));
  }
  std::vector<double> out(bytes.size() / 8);
  for (std::size_t k = 0; k < out.size(); ++k) {
    std::uint64_t bits = 0;
    for (int b = 7; b >= 0; --b) bits = (bits << 8) | bytes[k * 8 + static_cast<std::size_t>(b)];
    std::memcpy(&out[k], &bits, 8);
  }
  return out;
}

}  // namespace

RC_BOOST_PROP(base64ArraysCarryEveryBitOfEveryNumberRowByRow, ()) {
  Instance n = (*generate::network_case()).instance();
  n.theta[0](0, 0) = -0.0;  // signs of zero, subnormals and huge numbers travel too
  n.theta[0](n.theta[0].rows() - 1, 0) = 4.9e-324;
  n.problem.X(0, 0) = 1.7976931348623157e308;
  const auto request = nlohmann::json::parse(make_request(1, n.problem, n.theta, Want::both, Encoding::base64));
  const auto same = [](const nlohmann::json& array, const Eigen::MatrixXd& M) {
    const std::vector<double> values = decoded(array);
    if (array.at("shape") != nlohmann::json::array({M.rows(), M.cols()}) || static_cast<Index>(values.size()) != M.size()) return false;
    for (Index i = 0; i < M.rows(); ++i)
      for (Index j = 0; j < M.cols(); ++j)
        if (std::memcmp(&values[static_cast<std::size_t>(i * M.cols() + j)], &M(i, j), 8) != 0) return false;
    return true;
  };
  RC_ASSERT(same(request["X"], n.problem.X));
  RC_ASSERT(same(request["Y"], n.problem.Y));
  for (std::size_t l = 0; l < n.theta.size(); ++l) RC_ASSERT(same(request["theta"][l], n.theta[l]));
  const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(5, -2, 2);
  const auto points = nlohmann::json::parse(make_points_request(2, {{0, 0.5}}, {v}, Encoding::base64));
  RC_ASSERT(decoded(points["directions"][0]) == std::vector<double>(v.begin(), v.end()));
}

BOOST_AUTO_TEST_CASE(versionTwoRequestsCarryOnlyWhatChanges) {
  const Instance n = course_instance(make_architecture("2-2-2", Activation::sigmoid, Output::sigmoid_logistic), 3, 1);
  const auto theta = nlohmann::json::parse(make_theta_request(5, n.theta, Want::cost));
  BOOST_TEST(theta.dump().find("\"X\"") == std::string::npos);
  BOOST_TEST(theta["want"].dump() == R"(["J"])");
  BOOST_TEST(theta["theta"][1][0][2].get<double>() == n.theta[1](0, 2));
  BOOST_TEST(make_points_request(6, {{3, 1e-4}, {3, -1e-4}}) == R"({"id":6,"want":["J"],"at":[[3,0.0001],[3,-0.0001]]})");
  const auto along = nlohmann::json::parse(make_points_request(7, {{0, 0.5}}, {Eigen::Vector3d(1, 0, -1)}));
  BOOST_TEST(along["directions"].dump() == "[[1.0,0.0,-1.0]]");
}

BOOST_AUTO_TEST_CASE(repliesForManyPointsAreReadAndChecked) {
  BOOST_TEST(parse_costs(R"({"id": 3, "J": [1.5, "NaN", 2]})", 3, 3).J[2] == 2.0);
  BOOST_TEST(std::isnan(parse_costs(R"({"id": 3, "J": [1.5, "NaN", 2]})", 3, 3).J[1]));
  BOOST_TEST(parse_costs(R"({"id": 3, "J": [1], "output": "hi"})", 3, 1).output == "hi");
  const auto failure = [](const std::string& line, std::size_t count) {
    try {
      parse_costs(line, 3, count);
    } catch (const ImplementationError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  BOOST_TEST(contains(failure(R"({"id": 3, "J": [1, 2]})", 3), "an array of 2; expected an array of 3 numbers"));
  BOOST_TEST(contains(failure(R"({"id": 3, "J": 1})", 1), "\"J\" is 1; expected an array of 1 numbers"));
  BOOST_TEST(contains(failure(R"({"id": 4, "J": [1]})", 1), "id is 4; expected 3"));
  BOOST_TEST(contains(failure(R"({"id": 3, "J": [1, "x"]})", 2), "\"J\"[1] is \"x\", not a number"));
  BOOST_TEST(contains(failure(R"({"id": 3, "error": "f.py line 2: boom"})", 1), "f.py line 2: boom"));
  std::string flood = R"({"id": 3, "J": [0)";  // refused while reading, not after
  for (int k = 0; k < 3000; ++k) flood += ",0";
  BOOST_TEST(contains(failure(flood + "]}", 2), "\"J\" of more than 1002 numbers; expected 2"));
  BOOST_TEST(parse_reply(R"({"id": 7, "J": 1, "protocol": 2})", 7, arch, Want::cost).protocol == 2);
  BOOST_TEST(parse_reply(R"({"id": 7, "J": 1})", 7, arch, Want::cost).protocol == 1);
  // A version that is not a whole number is refused, never read as version 1.
  for (const char* reply : {R"({"id": 7, "J": 1, "protocol": -2})", R"({"id": 7, "J": 1, "protocol": "2"})"})
    BOOST_CHECK_EXCEPTION(parse_reply(reply, 7, arch, Want::cost), ImplementationError, [](const ImplementationError& e) {
      return contains(e.what(), "expected a whole number, the version it speaks (2)");
    });
}

BOOST_AUTO_TEST_CASE(versionTwoAnswersExactlyWhatVersionOneAnswers) {
  // The same numpy implementation asked the same points through whole requests and through
  // points near θ: the same J to the last bit, in far fewer requests.
  const Instance n = random_instance(make_architecture("3-4-2", Activation::tanh, Output::softmax_cross_entropy), 6, 0.5, 11);
  const Layout layout(n.problem.architecture);
  const std::vector<Point> coordinates{{0, 1e-4}, {0, -1e-4}, {7, 1e-3}, {layout.parameters() - 1, -2e-4}};
  Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(layout.parameters(), -1, 1);
  const std::vector<Point> along{{0, 0.0}, {0, 1e-2}, {0, -1e-5}};
  std::vector<double> J[2], V[2];
  std::size_t requests[2];
  for (int version : {1, 2}) {
    Child child({"/usr/bin/python3", GRADCHECK_FIXTURES "/python/correct.py"});
    Session session(child, n.problem, nullptr, version);
    session.ask(n.theta, Want::both);
    J[version - 1] = session.costs(coordinates);
    V[version - 1] = session.costs(along, {v});
    requests[version - 1] = session.requests();
    BOOST_TEST(session.version() == version);
  }
  BOOST_TEST(J[0] == J[1]);
  BOOST_TEST(V[0] == V[1]);
  BOOST_TEST(V[1][0] == parse_reply(
      [&] { Child c({"/usr/bin/python3", GRADCHECK_FIXTURES "/python/correct.py"}); return c.exchange(make_request(1, n.problem, n.theta, Want::cost), "r"); }(),
      1, n.problem.architecture, Want::cost).J);
  BOOST_TEST(requests[0] == 8u);
  // Version 2: the ask, then the points in batches sized to the child's measured speed (at least
  // one per costs() call, fewer than version 1's one per point).
  BOOST_TEST(requests[1] >= 3u);
  BOOST_TEST(requests[1] < requests[0]);
}

BOOST_AUTO_TEST_CASE(wellFormedRepliesAreRead) {
  const Reply reply = parse_reply(R"({"id": 7, "J": 0.5, "gradient": [[[1, 2, "NaN"]]]})", 7, arch, Want::both);
  BOOST_TEST(reply.J == 0.5);
  BOOST_TEST(reply.gradient.size() == 1u);
  BOOST_TEST(reply.gradient[0](0, 1) == 2.0);
  BOOST_TEST(std::isnan(reply.gradient[0](0, 2)));
  BOOST_TEST(parse_reply(R"({"id": 7, "J": "Infinity"})", 7, arch, Want::cost).J > 1e308);
}

BOOST_AUTO_TEST_CASE(malformedRepliesAreRefusedSayingWhatIsWrong) {
  BOOST_TEST(contains(failure_of("hello"), "not JSON: 'hello'"));
  BOOST_TEST(contains(failure_of("[1, 2]"), "not a JSON object"));
  BOOST_TEST(contains(failure_of(R"({"id": 8, "J": 1})"), "id is 8; expected 7"));
  BOOST_TEST(contains(failure_of(R"({"J": 1})"), "id is missing"));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "error": "out of memory"})"), "an error: out of memory"));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "gradient": [[[1, 2, 3]]]})"), "without \"J\""));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "J": "big", "gradient": [[[1, 2, 3]]]})"), "\"J\" is \"big\", not a number"));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "J": 1})"), "without a \"gradient\" array"));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "J": 1, "gradient": []})"), "gradient of 0 layers; expected L − 1 = 1"));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "J": 1, "gradient": [[[1, 2]]]})"),
                      "gradient for Θ^(1) that is row 1 of 2 numbers; expected 1 rows of 3 numbers"));
  BOOST_TEST(contains(failure_of(R"({"id": 7, "J": 1, "gradient": [[[1, 2, true]]]})"), "Θ^(1)_{1,2} is true, not a number"));
  BOOST_TEST(failure_of(R"({"id": 7, "J": 1})", Want::cost) == "accepted");
}

BOOST_AUTO_TEST_CASE(aReplyWithANulByteIsRefusedWhereverTheNulIs) {
  // A JSON reader stops at a NUL: what follows it would pass unseen.
  const std::string reply = R"({"id": 7, "J": 1})";
  const std::string nul(1, '\0');
  BOOST_TEST(failure_of(reply + nul + "garbage", Want::cost) ==
             "a reply that holds a NUL byte at column 18; expected one line of JSON");
  BOOST_TEST(contains(failure_of(reply + nul, Want::cost), "NUL byte at column 18"));
  BOOST_TEST(contains(failure_of(reply + "  " + nul + R"({"id": 8})", Want::cost), "NUL byte at column 20"));
  BOOST_TEST(contains(failure_of(nul + reply, Want::cost), "not JSON: '\\x00{"));  // shown as it came
  BOOST_TEST(contains(failure_of(reply + " garbage", Want::cost), "not JSON"));   // as before
  try {
    parse_costs(R"({"id": 3, "J": [1]})" + nul + "x", 3, 1);
    BOOST_ERROR("parse_costs accepted a NUL byte");
  } catch (const ImplementationError& e) {
    BOOST_TEST(contains(e.what(), "NUL byte at column 20"));
  }
  try {
    parse_model_reply(R"({"id": 1})" + nul + "x", 1);
    BOOST_ERROR("parse_model_reply accepted a NUL byte");
  } catch (const ImplementationError& e) {
    BOOST_TEST(contains(e.what(), "NUL byte at column 10"));
  }
}

RC_BOOST_PROP(aReplyIsReadAsItsJsonSays, ()) {
  // The reply written through nlohmann's DOM, with NaN and ±∞ in each of the forms allowed
  // (strings, null), integers and spacing: the streaming reader gives the same numbers.
  const Architecture a = *generate::architecture();
  nlohmann::ordered_json gradient = nlohmann::ordered_json::array();
  Weights<double> expected;
  for (Index l = 1; l < a.layers(); ++l) {
    Eigen::MatrixXd D(a.size(l + 1), a.size(l) + 1);
    nlohmann::ordered_json layer = nlohmann::ordered_json::array();
    for (Index i = 0; i < D.rows(); ++i) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      for (Index k = 0; k < D.cols(); ++k) {
        switch (*rc::gen::inRange(0, 8)) {
          case 0: row.push_back("NaN"), D(i, k) = std::numeric_limits<double>::quiet_NaN(); break;
          case 1: row.push_back(nullptr), D(i, k) = std::numeric_limits<double>::quiet_NaN(); break;
          case 2: row.push_back("-Infinity"), D(i, k) = -std::numeric_limits<double>::infinity(); break;
          case 3: row.push_back(*rc::gen::inRange(-5, 5)), D(i, k) = row.back().get<double>(); break;
          default: D(i, k) = *rc::gen::inRange(-1000000, 1000000) / 65536.0 * std::pow(10.0, *rc::gen::inRange(-300, 300)), row.push_back(D(i, k));
        }
      }
      layer.push_back(row);
    }
    gradient.push_back(layer);
    expected.push_back(D);
  }
  const double J = *rc::gen::inRange(0, 1000) / 7.0;
  const nlohmann::ordered_json reply{{"gradient", gradient}, {"extra", {{"ignored", true}}}, {"J", J}, {"id", 3}};
  const Reply r = parse_reply(reply.dump(*rc::gen::element(-1, 1)), 3, a, Want::both);
  RC_ASSERT(r.J == J);
  RC_ASSERT(r.gradient.size() == expected.size());
  for (std::size_t l = 0; l < expected.size(); ++l) {
    RC_ASSERT((r.gradient[l].array().isNaN() == expected[l].array().isNaN()).all());
    RC_ASSERT((r.gradient[l].array() == expected[l].array() || expected[l].array().isNaN()).all());
  }
}

BOOST_AUTO_TEST_CASE(theOutputAReplyCarriesIsKeptUpTo64KiB) {
  const Reply quiet = parse_reply(R"({"id": 7, "J": 0.5})", 7, arch, Want::cost);
  BOOST_TEST(quiet.output.empty());
  BOOST_TEST(quiet.output_bytes == 0u);
  const Reply chatty = parse_reply(R"({"id": 7, "J": 0.5, "output": "J = 0.5\nsize(Theta1) = 25 401\n"})", 7, arch, Want::cost);
  BOOST_TEST(chatty.output == "J = 0.5\nsize(Theta1) = 25 401\n");
  BOOST_TEST(chatty.output_bytes == chatty.output.size());
  const std::string flood(200000, 'x');
  const Reply flooded = parse_reply(R"({"id": 7, "J": 0.5, "output": ")" + flood + "\"}", 7, arch, Want::cost);
  BOOST_TEST(flooded.output == flood.substr(0, 65536));
  BOOST_TEST(flooded.output_bytes == 200000u);
  BOOST_TEST(contains(failure_of(R"({"id": 7, "J": 1, "gradient": [[[1, 2, 3]]], "output": ["J = 1"]})"),
                      "a reply whose \"output\" is [\"J = 1\"]; expected a string"));
}

BOOST_AUTO_TEST_CASE(aGradientFarLongerThanTheNetworkIsRefusedWhileReading) {
  // 2-1 has P = 3; reading stops at 2P + 1000 numbers, whatever the shape.
  std::string many = R"({"id": 7, "J": 1, "gradient": [[)";
  for (int i = 0; i < 2000; ++i) many += i ? ",[1, 2, 3]" : "[1, 2, 3]";
  BOOST_TEST(contains(failure_of(many + "]]}"), "a gradient of more than 1006 numbers; expected P = 3"));
}

BOOST_AUTO_TEST_SUITE_END()
