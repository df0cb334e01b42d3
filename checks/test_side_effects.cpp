// Mistakes no number decides: a call that changes its inputs (the reply's "changed") and a model
// tensor whose gradient cannot be compared ("gradient_errors"): read from replies, and every
// such check FAILs with the sentence first, whatever its layers show.

#include "gradcheck/check/model.hpp"
#include "gradcheck/io/protocol.hpp"
#include "gradcheck/report/report.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace gradcheck;

namespace {

const Architecture arch = make_architecture("2-1", Activation::sigmoid, Output::sigmoid_logistic);

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

template <class Parse>
std::string refusal(Parse&& parse) {
  try {
    parse();
  } catch (const ImplementationError& e) {
    return e.what();
  }
  return "accepted";
}

/// A CheckResult of two layers that both pass, J included.
CheckResult passing() {
  CheckResult r;
  for (Index l = 1; l <= 2; ++l) {
    LayerReport layer;
    layer.l = l, layer.rows = 2, layer.cols = 3;
    r.layers.push_back(layer);
  }
  r.entry_errors = Eigen::VectorXd::Zero(12);
  r.cost = CostComparison{};
  return r;
}

const std::string model_head = R"({"id": 1, "protocol": 2, "J": 0.5, "parameters": [{"name": "gamma", "shape": [2], "values": [1, 2]},
                                   {"name": "beta", "shape": [2], "values": [3, 4]}], )";

}  // namespace

BOOST_AUTO_TEST_SUITE(side_effects)

BOOST_AUTO_TEST_CASE(changedIsReadFromEveryKindOfReply) {
  const std::string said = R"("changed": [{"input": "nn_params", "says": "f changes nn_params in place: Theta1[:, 0] set to 0"}])";
  const Reply reply = parse_reply(R"({"id": 2, "J": 1, )" + said + "}", 2, arch, Want::cost);
  BOOST_TEST(reply.changed.size() == 1u);
  BOOST_TEST(reply.changed.front().input == "nn_params");
  BOOST_TEST(reply.changed.front().says == "f changes nn_params in place: Theta1[:, 0] set to 0");
  BOOST_TEST(parse_costs(R"({"id": 3, "J": [1, 2], )" + said + "}", 3, 2).changed.size() == 1u);
  BOOST_TEST(parse_model_reply(model_head + R"("gradient": {"gamma": [0, 0], "beta": [1, 1]}, )" + said + "}", 1).changed.size() == 1u);
  BOOST_TEST(parse_reply(R"({"id": 2, "J": 1})", 2, arch, Want::cost).changed.empty());
}

BOOST_AUTO_TEST_CASE(aChangedThatIsNotListOfSentencesIsRefused) {
  for (const char* changed : {R"("x")", R"([{"input": "X"}])", R"([{"input": "", "says": "s"}])", R"([{"input": 1, "says": "s"}])",
                              R"({"input": "X", "says": "s"})"})
    BOOST_TEST(contains(refusal([&] { parse_reply(std::string(R"({"id": 2, "J": 1, "changed": )") + changed + "}", 2, arch, Want::cost); }),
                        "expected an array of {\"input\": name, \"says\": sentence}"),
               changed);
  // A sentence is made one line for the terminal: an escape sequence is shown, never obeyed.
  const Reply r = parse_reply(R"({"id": 2, "J": 1, "changed": [{"input": "X", "says": "a\u001b[2Jb\nc"}]})", 2, arch, Want::cost);
  BOOST_TEST(!contains(r.changed.front().says, "\x1b"));
  BOOST_TEST(!contains(r.changed.front().says, "\n"));
}

BOOST_AUTO_TEST_CASE(aSideEffectFailsAPassingCheckWithItsSentenceFirst) {
  CheckResult r = passing();
  BOOST_TEST(std::string(word(outcome_of(r))) == "PASS");
  r.side_effects = {"f changes theta in place: theta[0][:, 0] set to 0; the caller's θ changes"};
  r.pass = false;
  BOOST_TEST(std::string(word(outcome_of(r))) == "FAIL");
  BOOST_TEST(verdict_line(r) == "FAIL: f changes theta in place: theta[0][:, 0] set to 0; the caller's θ changes; apart from that, "
                                "J and D^(l) match the reference in every layer");
  // Not even J's noise makes it CANNOT JUDGE: the side effect is a fact, not a measurement.
  r.cannot_judge = "J is noisy";
  BOOST_TEST(std::string(word(outcome_of(r))) == "FAIL");
  BOOST_TEST(contains(verdict_line(r), "; the rest cannot be judged: J is noisy"));
  // A mismatch beside it is said after it.
  r.cannot_judge.reset();
  r.layers[1].pass = false, r.layers[1].mismatches = 3;
  BOOST_TEST(contains(verdict_line(r), "the caller's θ changes; and gradient mismatch in "));
  // An implementation that failed is still an error.
  r.failure = "it crashed";
  BOOST_TEST(std::string(word(outcome_of(r))) == "ERROR");
}

BOOST_AUTO_TEST_CASE(aTensorsUnusableGradientFailsThatTensorAlone) {
  const ModelReply m = parse_model_reply(
      model_head + R"j("gradient": {"beta": [1, 1]}, "gradient_errors": {"gamma": "the gradient is a scalar; expected shape (2,)"}})j", 1);
  BOOST_TEST(m.unusable.size() == 2u);
  BOOST_TEST(m.unusable[0] == "the gradient is a scalar; expected shape (2,)");
  BOOST_TEST(m.unusable[1].empty());
  BOOST_TEST(m.gradient(2) == 1.0);
  // Missing, null or of another size: that tensor fails with why, the reply is still read.
  BOOST_TEST(parse_model_reply(model_head + R"("gradient": {"beta": [1, 1]}})", 1).unusable[0] == "no gradient sent; expected 2 numbers, one per entry");
  BOOST_TEST(parse_model_reply(model_head + R"("gradient": {"gamma": null, "beta": [1, 1]}})", 1).unusable[0] ==
             "the gradient is null; expected a flat array of 2 numbers (row-major)");
  BOOST_TEST(contains(parse_model_reply(model_head + R"("gradient": {"gamma": [1], "beta": [1, 1]}})", 1).unusable[0], "an array of 1"));
  // A reason for a tensor not declared, or beside a gradient sent for it, is refused.
  BOOST_TEST(contains(refusal([&] { parse_model_reply(model_head + R"("gradient": {"gamma": [1, 1], "beta": [1, 1]}, "gradient_errors": {"delta": "x"}})", 1); }),
                      "not among the parameters declared"));
  BOOST_TEST(contains(refusal([&] { parse_model_reply(model_head + R"("gradient": {"gamma": [1, 1], "beta": [1, 1]}, "gradient_errors": {"gamma": "x"}})", 1); }),
                      "for a tensor with no entry in \"gradient\""));

  CheckResult r = passing();
  r.cost.reset();
  r.layers[0].unusable = m.unusable[0];
  r.layers[0].unchecked = 6;
  const Names names({{"gamma", {2, 3}}, {"beta", {2, 3}}});
  BOOST_TEST(std::string(word(outcome_of(r))) == "FAIL");
  BOOST_TEST(verdict_line(r, names) == "FAIL: gamma: the gradient is a scalar; expected shape (2,); the other tensors' gradients match "
                                       "central differences of the implementation's own J");
}

BOOST_AUTO_TEST_SUITE_END()
