// Shards edited by hand: whatever is changed, a merge of a failing check's shards never passes.

#include "shard_fixtures.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <rapidcheck/boost_test.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace gradcheck;
using namespace gradcheck::shard_fixtures;
using Json = nlohmann::ordered_json;

namespace {

/// Checks that fail (or cannot judge) unsharded: the reference with planted mistakes, an
/// implementation of one wrong entry, and implementations through the protocol whose shards hold
/// the fields a merge judges by: floors, stationary and kink flags, J compared, a float32 gradient.
const std::vector<Fixture>& failing() {
  static const std::vector<Fixture> all = [] {
    std::vector<Fixture> f;
    // One entry wrong in nine, three shards of three: every edit of a list lands near it.
    {
      const Instance n = random("2-2-1", Activation::sigmoid, Output::sigmoid_logistic, 3, 0, 1);
      std::vector<std::string> shards = reference_shards(n, 3);
      Json first = Json::parse(shards[0]);
      first["analytic"][1] = -first["numerical"][1].get<double>();
      shards[0] = first.dump(1);
      f.push_back({"one wrong entry", shards});
    }
    {  // Θ^(1) = 0: every z^(2) is 0 exactly, so the differences of Θ^(1)'s entries straddle kinks
      Instance n = random("4-6-3", Activation::relu, Output::softmax_cross_entropy, 8, 0, 2);
      n.theta[0].setZero();
      f.push_back({"planted sign-flipped, ReLU at Θ^(1) = 0", reference_shards(n, 2, Mistake::sign_flipped)});
    }
    f.push_back({"planted bias-regularized",
                 reference_shards(random("3-5-3", Activation::sigmoid, Output::sigmoid_logistic, 5, 3, 1), 2,
                                  Mistake::bias_regularized)});
    const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
    f.push_back({"bias_regularized.py, reference mode", implementation_shards(course, 2, false, "bias_regularized.py")});
    f.push_back({"cost_unregularized.py (J wrong only)", implementation_shards(course, 2, false, "cost_unregularized.py")});
    f.push_back({"float32.py bias_regularized (a floor raised)",
                 implementation_shards(random("20-10-5", Activation::sigmoid, Output::sigmoid_logistic, 50, 3, 1), 2,
                                       false, "float32.py", "bias_regularized")});
    f.push_back({"scaled_cost.py sigmoid_for_derivative, self mode (floors, stationary)",
                 implementation_shards(course, 2, true, "scaled_cost.py", "sigmoid_for_derivative")});
    return f;
  }();
  return all;
}

// ---- random edits of a shard's JSON -------------------------------------------------------------

/// The fields edited, those a merged verdict depends on listed twice as often.
const std::vector<std::vector<std::string>> fields = {
    {"floors"}, {"floors"}, {"stationary"}, {"stationary"}, {"kinks"}, {"kinks"},
    {"tolerances", "entry"}, {"tolerances", "norm"}, {"tolerances", "floor"}, {"tolerances", "cost"},
    {"tolerances", "floor"}, {"cannot_judge"}, {"cannot_judge"}, {"cost", "relative_error"}, {"cost", "rounding"},
    {"cost", "implementation"}, {"cost", "reference"}, {"cost", "pass"}, {"cost"}, {"cost", "relative_error"},
    {"method"}, {"method"}, {"worst"}, {"analytic"}, {"numerical"}, {"coordinates"}, {"evaluations"},
    {"shard", "index"}, {"shard", "count"}, {"subject", "parameters"}, {"architecture", "sizes"},
    {"architecture", "hidden"}, {"architecture", "output"}, {"problem"}, {"gradcheck", "version"},
    {"gradcheck", "report"}, {"subject", "lambda"}, {"subject", "examples"}};

/// A value to write: numbers of every scale and sign, the strings NaN and ±∞ stand for, other types.
Json value_of(int choice, double scale) {
  static const std::vector<Json> fixed = {
      0,     -0.0,     1,     -1,     0.5,      2,       1e-300,     1e-12,      1e-3, 1e-2, 1e300, -1e300,
      "NaN", "Infinity", "-Infinity", nullptr, true, false, "x",     "",         1000, 1001, 4294967296LL,
      std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(), 1.5, 1e20};
  if (choice < static_cast<int>(fixed.size())) return fixed[static_cast<std::size_t>(choice)];
  return scale;
}

/// Strings a method, a reason or a version might be changed to.
Json string_of(int choice, const Json& was) {
  const std::string old = was.is_string() ? was.get<std::string>() : "";
  const std::vector<std::string> texts = {old + " of the reference J", old + " of the implementation's own J",
                                          "complex step Im J(θ + ih e_k) / h, h = 1e-20",
                                          "central differences (J(θ + ε) − J(θ − ε)) / 2ε, ε = 0.0001",
                                          "0.0.9", "shard", "check", "", "J is noisy", "relu"};
  return texts[static_cast<std::size_t>(choice) % texts.size()];
}

struct Edit {
  int field = 0, op = 0, value = 0, element = 0, shard = 0;
  bool every_shard = false;
  double scale = 0;
};

std::ostream& operator<<(std::ostream& os, const Edit& e) {
  os << "{";
  for (const auto& key : fields[static_cast<std::size_t>(e.field)]) os << key << ".";
  return os << " op " << e.op << ", value " << e.value << " (" << e.scale << "), element " << e.element << ", "
            << (e.every_shard ? "every shard" : "shard " + std::to_string(e.shard)) << "}";
}

rc::Gen<Edit> edit() {
  return rc::gen::build<Edit>(
      rc::gen::set(&Edit::field, rc::gen::inRange<int>(0, static_cast<int>(fields.size()))),
      rc::gen::set(&Edit::op, rc::gen::inRange(0, 14)), rc::gen::set(&Edit::value, rc::gen::inRange(0, 30)),
      rc::gen::set(&Edit::element, rc::gen::inRange(0, 1000)), rc::gen::set(&Edit::shard, rc::gen::inRange(0, 8)),
      rc::gen::set(&Edit::every_shard, rc::gen::arbitrary<bool>()),
      rc::gen::set(&Edit::scale, rc::gen::map(rc::gen::pair(rc::gen::inRange(-40, 40), rc::gen::inRange(-9, 10)),
                                              [](std::pair<int, int> p) { return p.second * std::pow(10.0, p.first); })));
}

/// Applies `e` to one shard's JSON; returns the text (a key written twice needs the text).
std::string apply(const Edit& e, Json root) {
  const auto& path = fields[static_cast<std::size_t>(e.field)];
  Json* parent = &root;
  for (std::size_t p = 0; p + 1 < path.size(); ++p) {
    if (!parent->is_object()) return root.dump(1);
    parent = &(*parent)[path[p]];
    if (parent->is_null()) *parent = Json::object();
  }
  if (!parent->is_object()) return root.dump(1);
  const std::string& key = path.back();
  const Json value = value_of(e.value, e.scale);
  // A copy: writing (*parent)[key] below may add a key to root, whose ordered map then moves its
  // elements (a reference to root["coordinates"] was read after that: AddressSanitizer's
  // heap-use-after-free at a random seed); and when the edit is of "coordinates" itself.
  const Json coordinates = root.is_object() && root.contains("coordinates") ? root["coordinates"] : Json();
  const auto coordinate = [&]() -> Json {
    if (coordinates.is_array() && !coordinates.empty() && e.value % 3 != 0) return coordinates[static_cast<std::size_t>(e.element) % coordinates.size()];
    return value;
  };
  Json& target = (*parent)[key];
  const bool list = key == "kinks" || key == "stationary";
  if (e.op >= 10 && (key == "floors" || key == "stationary") && coordinates.is_array() && !coordinates.empty()) {
    // A claim made whole: entries flagged stationary, each with its floor raised (or lowered) to the value.
    const std::size_t n = coordinates.size(), first = static_cast<std::size_t>(e.element) % n;
    const bool every = e.element % 4 == 0;
    const Json claimed_value = e.value < 15 ? value : Json(std::pow(10.0, e.value - 15));  // 1 … 1e14 half the time
    const Json was = root.contains("stationary") ? root["stationary"] : Json();  // before root["floors"] may move it
    const Json floor = root["tolerances"]["floor"];  // before the reference below: it may add a key
    Json& floors = root["floors"];
    if (!floors.is_array() || floors.size() != n) floors = Json::array();
    while (floors.size() < n) floors.push_back(floor);
    Json flagged = Json::array();
    for (std::size_t i = 0; i < n; ++i) {
      const bool claimed = every || i == first;
      if (claimed) floors[i] = claimed_value;
      if (claimed || (was.is_array() && std::find(was.begin(), was.end(), coordinates[i]) != was.end())) flagged.push_back(coordinates[i]);
    }
    root["stationary"] = flagged;
    return root.dump(1);
  }
  switch (e.op) {
    case 0:  // one element, or the value itself
      if (target.is_array() && !target.empty()) target[static_cast<std::size_t>(e.element) % target.size()] = list ? coordinate() : value;
      else target = value;
      break;
    case 1:  // every element (an absent array is made, one per coordinate)
      if (target.is_array() || key == "floors") {
        const std::size_t n = target.is_array() && !target.empty() ? target.size() : coordinates.size();
        target = Json::array();
        for (std::size_t i = 0; i < n; ++i) target.push_back(list ? (coordinates.is_array() && i < coordinates.size() ? coordinates[i] : value) : value);
      } else {
        target = value;
      }
      break;
    case 2: parent->erase(key); break;
    case 3:  // an element removed
      if (target.is_array() && !target.empty()) target.erase(static_cast<std::size_t>(e.element) % target.size());
      else parent->erase(key);
      break;
    case 4:  // an element written twice
      if (target.is_array() && !target.empty()) target.push_back(target[static_cast<std::size_t>(e.element) % target.size()]);
      else target = Json::array({value, value});
      break;
    case 5:  // an element added: a coordinate of the shard for flag lists
      if (!target.is_array()) target = Json::array();
      target.push_back(list ? coordinate() : value);
      break;
    case 6:  // a string, or a sign flipped
      if (target.is_number()) target = -target.get<double>();
      else if (target.is_boolean()) target = !target.get<bool>();
      else target = string_of(e.value, target);
      break;
    case 7:  // emptied
      if (target.is_array()) target = Json::array();
      else if (target.is_string()) target = "";
      else target = Json::object();
      break;
    case 8: {  // the key written twice, the second time with the value
      Json twice = Json::object();
      twice[key] = value;
      std::string text = root.dump(1);
      if (parent == &root) text.insert(1, twice.dump().substr(1, twice.dump().size() - 2) + ",");
      return text;
    }
    default:  // multiplied: the value (or each element) times the scale
      if (target.is_number()) target = target.get<double>() * e.scale;
      else if (target.is_array())
        for (auto& x : target) {
          if (list && x.is_number_integer() && std::abs(x.get<double>()) < 1e15) x = x.get<std::int64_t>() + e.value;
          else if (!list && x.is_number()) x = x.get<double>() * e.scale;
        }
      break;
  }
  return root.dump(1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shard_tampering)

BOOST_AUTO_TEST_CASE(theFailingChecksFailMergedAndTheirShardsHoldEveryFieldThatMatters) {
  std::map<std::string, bool> seen;
  for (const Fixture& f : failing()) {
    std::string refused;
    BOOST_TEST(!merged_pass(f.shards, &refused), f.name);
    BOOST_TEST(refused.empty(), f.name << ": " << refused);
    for (const std::string& text : f.shards) {
      const Json j = Json::parse(text);
      seen["kinks"] = seen["kinks"] || !j["kinks"].empty();
      seen["stationary"] = seen["stationary"] || !j["stationary"].empty();
      seen["cost"] = seen["cost"] || j.contains("cost");
      if (j.contains("floors"))
        for (const auto& floor : j["floors"]) {
          const double x = floor.get<double>(), t = j["tolerances"]["floor"].get<double>();
          seen["floor raised"] = seen["floor raised"] || x > t;
          seen["floor lowered"] = seen["floor lowered"] || x < t;
        }
    }
  }
  for (const char* field : {"kinks", "stationary", "cost", "floor raised", "floor lowered"}) BOOST_TEST(seen[field], field);
}

RC_BOOST_PROP(noEditOfAFailingChecksShardsMergesIntoAPass, ()) {
  const auto& all = failing();
  // The first fixture, whose one wrong entry a single edit can reach, a third of the time.
  const auto pick = static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(all.size()) + 3));
  const Fixture& f = all[pick < all.size() ? pick : 0];
  const auto edits = *rc::gen::container<std::vector<Edit>>(*rc::gen::inRange(1, 4), edit());
  std::vector<std::string> texts = f.shards;
  for (const Edit& e : edits) {
    for (std::size_t s = 0; s < texts.size(); ++s)
      if (e.every_shard || static_cast<std::size_t>(e.shard) % texts.size() == s) texts[s] = apply(e, Json::parse(texts[s]));
  }
  std::string refused;
  const bool pass = merged_pass(texts, &refused);
  RC_TAG(refused.empty() ? "merged" : "refused");
  RC_ASSERT(!pass);
}

BOOST_AUTO_TEST_SUITE_END()
