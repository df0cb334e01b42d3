// What a shard may claim (shard_claims.hpp): edits no field check can refuse, judged so they cannot pass.

#include "shard_fixtures.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace gradcheck;
using namespace gradcheck::shard_fixtures;
using Json = nlohmann::ordered_json;

BOOST_AUTO_TEST_SUITE(shard_claims)

BOOST_AUTO_TEST_CASE(shardsOfPassingChecksStillMergeIntoAPass) {
  // A float32 gradient whose rounding raises a floor, a tiny J judged at smaller steps: each merges
  // as the unsharded check judges it.
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  const std::vector<Fixture> passing = {
      {"float32.py", implementation_shards(random("20-10-5", Activation::sigmoid, Output::sigmoid_logistic, 50, 3, 2), 2,
                                           false, "float32.py")},
      {"scaled_cost.py, self mode", implementation_shards(course, 2, true, "scaled_cost.py")}};
  for (const Fixture& f : passing) {
    std::string refused;
    BOOST_TEST(merged_pass(f.shards, &refused), f.name << (refused.empty() ? "" : ": refused: " + refused));
  }
}

BOOST_AUTO_TEST_CASE(kinkFlagsNeverCarryAMergedPass) {
  // The reference on a ReLU network at Θ^(1) = 0: its entries on kinks are skipped. Unsharded it
  // passes and says so; merged, the flags could have been written by hand (they turned a failing
  // check's shards into a PASS), so it cannot judge.
  Instance zero = random("4-6-3", Activation::relu, Output::softmax_cross_entropy, 8, 0, 2);
  zero.theta[0].setZero();
  std::vector<Shard> read;
  for (const std::string& text : reference_shards(zero, 3)) read.push_back(shard_from_json(text, "kinks.json"));
  Subject subject;
  const CheckResult merged = merge(read, subject);
  BOOST_TEST(!merged.pass);
  BOOST_TEST(merged.cannot_judge.value_or("").find("sit on a ReLU kink") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aFloorRaisedByHandToLoosenTheNormVerdictGivesCannotJudge) {
  // Every entry of one layer 5e-5 too large, within the entry tolerance: its norm figure fails it.
  // One small entry's floor raised to 1e300 (and flagged) would loosen that verdict to nothing.
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 0);
  const Layout layout(course.problem.architecture);
  std::vector<Json> shards;
  for (const std::string& text : implementation_shards(course, 2, false, "correct.py")) shards.push_back(Json::parse(text));
  Index l = 0;
  for (Json& j : shards)
    for (std::size_t c = 0; c < j["analytic"].size() && l == 0; ++c)
      if (std::abs(j["analytic"][c].get<double>()) < 1e-4) {
        j["floors"][c] = 1e300;
        j["stationary"] = Json::array({j["coordinates"][c]});
        l = layout.entry(j["coordinates"][c].get<Index>()).l;
      }
  BOOST_TEST_REQUIRE(l > 0);  // the network has an entry below the floor
  std::vector<Shard> read;
  for (Json& j : shards) {
    for (std::size_t c = 0; c < j["analytic"].size(); ++c)
      if (layout.entry(j["coordinates"][c].get<Index>()).l == l) j["analytic"][c] = j["analytic"][c].get<double>() * (1 + 5e-5);
    read.push_back(shard_from_json(j.dump(1), "edited.json"));
  }
  Subject subject;
  const CheckResult merged = merge(read, subject);
  BOOST_TEST(!merged.pass);
  BOOST_TEST(merged.cannot_judge.value_or("").find("rests on floors the shards raise") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aWrongSmallEntryUnderAFloorRaisedByHandGivesCannotJudge) {
  // A float64 gradient with one entry below the floor negated: its floor raised and flagged by hand
  // would pass it, as a float32 gradient's rounding may. Merge cannot recompute that rounding.
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 0);
  std::vector<Shard> read;
  bool negated = false;
  for (const std::string& text : implementation_shards(course, 2, false, "correct.py")) {
    Json j = Json::parse(text);
    for (std::size_t c = 0; c < j["analytic"].size() && !negated; ++c)
      if (std::abs(j["analytic"][c].get<double>()) < 1e-4) {
        j["analytic"][c] = -j["analytic"][c].get<double>();
        j["floors"][c] = 1e300;
        j["stationary"] = Json::array({j["coordinates"][c]});
        negated = true;
      }
    read.push_back(shard_from_json(j.dump(1), "edited.json"));
  }
  BOOST_TEST_REQUIRE(negated);
  Subject subject;
  const CheckResult merged = merge(read, subject);
  BOOST_TEST(!merged.pass);
  BOOST_TEST(merged.cannot_judge.value_or("").find("for a float64 gradient") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aSelfModeLayerNothingResolvesIsNotJudgedWhetherOrNotItsFlagsWereKept) {
  // Θ^(2)'s differences all below what J resolves (entry × floor = 1e-8) and its gradient −D: a
  // shard looks again at such entries and flags them stationary. With the flags (and the floors of
  // the second look) deleted by hand, the layer is still not judged.
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  const Layout layout(course.problem.architecture);
  std::vector<Shard> read;
  for (const std::string& text : implementation_shards(course, 2, true, "correct.py")) {
    Json j = Json::parse(text);
    for (std::size_t c = 0; c < j["coordinates"].size(); ++c)
      if (layout.entry(j["coordinates"][c].get<Index>()).l == 2) {
        const double n = j["numerical"][c].get<double>() * 1e-8;
        j["numerical"][c] = n;
        j["analytic"][c] = -n;
      }
    j.erase("floors");
    j["stationary"] = Json::array();
    read.push_back(shard_from_json(j.dump(1), "stripped.json"));
  }
  Subject subject;
  const CheckResult merged = merge(read, subject);
  BOOST_TEST(!merged.pass);
  BOOST_TEST(merged.cannot_judge.value_or("").find("D^(2) lies below what differences of your J resolve") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aWrongJPassesNoMergeThroughARoundingClaimedForIt) {
  // J wrong, the gradient right: every analytic value rounded to a float32 (still right), and a
  // rounding allowance claimed that covers J's error. Merge cannot recompute that allowance.
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  std::vector<Shard> read;
  for (const std::string& text : implementation_shards(course, 2, false, "cost_unregularized.py")) {
    Json j = Json::parse(text);
    for (auto& a : j["analytic"]) a = static_cast<double>(static_cast<float>(a.get<double>()));
    j["cost"]["rounding"] = 1e3;
    j["cost"]["pass"] = true;
    read.push_back(shard_from_json(j.dump(1), "edited.json"));
  }
  Subject subject;
  const CheckResult merged = merge(read, subject);
  BOOST_TEST(!merged.pass);
  BOOST_TEST(merged.cannot_judge.value_or("").find("passes only within the rounding the shards allow") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
