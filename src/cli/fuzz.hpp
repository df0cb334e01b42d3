#pragma once
// `gradcheck fuzz`: property-based checking of an implementation over random architectures,
// shrinking a failure to the smallest network that still fails.

#include "gradcheck/check/external.hpp"
#include "gradcheck/model/generators.hpp"
#include "gradcheck/io/process.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rc::detail {
class TestListener;  // <rapidcheck.h>, only where a search runs
}  // namespace rc::detail

namespace gradcheck {

/// What to search and how to judge each case.
struct FuzzOptions {
  generate::SearchSpace space;
  int cases = 100;
  std::uint64_t seed = 0;             ///< RapidCheck's seed: the same seed makes the same search
  ExternalOptions judge;              ///< tolerances, self mode, sampling
  ChildLimits limits;
  std::vector<std::string> argv;      ///< the implementation
  Unrolling unrolling = Unrolling::column_major;  ///< how it unrolls Θ (for the diagnosis' names)
  bool progress = false;              ///< a progress line on stderr
  bool class_labels = false;          ///< the course's homework: targets as labels 1 … K (as_class_labels)
};

/// What the search found.
struct FuzzOutcome {
  int passed = 0;                     ///< cases that passed before the first failure (or all)
  int shrinks = 0;                    ///< smaller failing cases found while shrinking
  std::optional<NetworkCase> smallest;  ///< the smallest failing case, if any failed
  std::optional<ExternalResult> report; ///< its check, when it failed by mismatch
  std::string implementation_failure;   ///< its message, when the implementation itself failed on it
  std::optional<Diagnosis> first_diagnosis;  ///< the diagnosis of the first failing case, before shrinking
};

/// Runs the search. One child answers every case; it is restarted if a case kills it.
FuzzOutcome fuzz(const FuzzOptions& options);

/// What a shrinking search found.
struct SearchOutcome {
  int passed = 0;
  int shrinks = 0;
  std::optional<NetworkCase> smallest;  ///< the smallest failing case, if any failed
};

/// Tries up to `cases` random networks of `space` (from `seed`); on the first one for which
/// `passes` is false (or throws), shrinks it with RapidCheck to the smallest that still fails.
SearchOutcome shrink_search(const generate::SearchSpace& space, std::uint64_t seed, int cases,
                            const std::function<bool(const NetworkCase&)>& passes,
                            rc::detail::TestListener* listener = nullptr);

}  // namespace gradcheck
