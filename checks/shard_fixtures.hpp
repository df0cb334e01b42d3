#pragma once
// Shards for the merge checks: a check's N shards as `gradcheck check --shard i/N` writes them, of
// the reference (a planted mistake, if any) or of an implementation through the protocol.

#include "gradcheck/check/check.hpp"
#include "gradcheck/check/external.hpp"
#include "gradcheck/report/json_report.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace gradcheck::shard_fixtures {

inline const std::string python = "/usr/bin/python3";
inline const std::string fixtures = GRADCHECK_FIXTURES "/python/";

inline Subject subject_of(const Instance& n, const std::string& title) {
  Subject s;
  s.title = title;
  s.network = describe(n.problem.architecture);
  s.origin = "test";
  s.parameters = Layout(n.problem.architecture).parameters();
  s.examples = n.problem.examples();
  s.lambda = n.problem.lambda;
  return s;
}

/// The N shards of `gradcheck check --shard i/N` on the reference (with `planted`), as JSON text.
inline std::vector<std::string> reference_shards(const Instance& n, Index count, Mistake planted = Mistake::none) {
  std::vector<std::string> texts;
  const CheckOptions options;
  for (Index i = 1; i <= count; ++i) {
    Shard shard;
    shard.index = i, shard.count = count;
    shard.subject = subject_of(n, "reference backprop against finite differences");
    shard.architecture = n.problem.architecture;
    shard.problem = fingerprint(n.problem, n.theta);
    shard.tolerances = options.tolerances;
    shard.measured = measure_reference(n.problem, n.theta, options, planted,
                                       shard_coordinates(shard.subject.parameters, i, count));
    texts.push_back(to_json(shard));
  }
  return texts;
}

/// The N shards of `gradcheck check --shard i/N [--self] -- python3 FIXTURE ARGUMENT`, made as
/// check_implementation.cpp makes them: one process of the implementation per shard.
inline std::vector<std::string> implementation_shards(const Instance& n, Index count, bool self, const std::string& fixture,
                                               const std::string& argument = "") {
  std::vector<std::string> texts;
  for (Index i = 1; i <= count; ++i) {
    std::vector<std::string> argv{python, fixtures + fixture};
    if (!argument.empty()) argv.push_back(argument);
    Child child(argv);
    ExternalOptions external;
    external.self = self;
    external.coordinates = shard_coordinates(Layout(n.problem.architecture).parameters(), i, count);
    const ExternalResult outcome = check_external(child, n.problem, n.theta, external);
    Shard shard;
    shard.index = i, shard.count = count;
    shard.subject = subject_of(n, fixture + (self ? " against central differences of its own J (self mode)"
                                                  : " against gradcheck's reference (reference mode)"));
    shard.architecture = n.problem.architecture;
    shard.problem = fingerprint(n.problem, n.theta);
    shard.tolerances = outcome.result.tolerances;
    shard.measured = outcome.measured;
    if (!outcome.unjudgeable.empty()) shard.unjudgeable = outcome.unjudgeable;
    shard.cost = outcome.result.cost;
    texts.push_back(to_json(shard));
  }
  return texts;
}

/// A random problem of this network from `seed` (random_instance).
inline Instance random(const std::string& sizes, Activation hidden, Output output, Index m, double lambda, std::uint64_t seed) {
  return random_instance(make_architecture(sizes, hidden, output), m, lambda, seed);
}

/// Whether the shards merge into a PASS; false when refused or not passing (`refused` says why).
inline bool merged_pass(const std::vector<std::string>& texts, std::string* refused = nullptr) {
  std::vector<Shard> shards;
  Subject subject;
  try {
    for (std::size_t s = 0; s < texts.size(); ++s) shards.push_back(shard_from_json(texts[s], "s" + std::to_string(s + 1) + ".json"));
    return merge(shards, subject).pass;
  } catch (const std::invalid_argument& e) {
    if (refused) *refused = e.what();
    return false;
  }
}

/// A check's shards, named.
struct Fixture {
  std::string name;
  std::vector<std::string> shards;
};

}  // namespace gradcheck::shard_fixtures
