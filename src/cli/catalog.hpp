#pragma once
// `gradcheck catalog`: every compiled-in mistake checked and diagnosed over random networks, the
// smallest network that still shows each, and the false alarms of the reference itself.

#include "fuzz.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace gradcheck {

struct CatalogOptions {
  int networks = 200;               ///< random networks each mistake is tried on
  int false_alarm_networks = 1000;  ///< random networks per activation and output/cost pair
  std::uint64_t seed = 2026;
  bool progress = false;
  const StopFlag* stop = nullptr;  ///< when it becomes true, the run throws Interrupted within one network
};

/// One mistake's measurements.
struct CatalogRow {
  Mistake mistake = Mistake::none;
  int shows = 0;   ///< networks where it changes D (or J) materially
  int caught = 0;  ///< of those, how many the check failed
  int named = 0;   ///< of those, how many the diagnosis named as this mistake (alone or among equals)
  std::string smallest;  ///< the smallest network that still fails, found by shrinking
};

/// The reference itself on one activation and output/cost pair.
struct FalseAlarmRow {
  Activation activation;
  Output output;
  int networks = 0;
  int alarms = 0;       ///< checks that failed: must be none
  long long kinks = 0;  ///< entries skipped because the finite difference straddled a ReLU kink
};

struct CatalogOutcome {
  std::vector<CatalogRow> rows;
  std::vector<FalseAlarmRow> false_alarms;
};

CatalogOutcome run_catalog(const CatalogOptions& options);

}  // namespace gradcheck
