#pragma once
/// @file
/// JSON reports: the whole check, and the partial report of one shard, which `merge()` joins.
///
/// Keys are stable and documented in README ("JSON report"). Doubles are written with 17
/// significant digits, so they read back to the same bits; NaN and ±∞, which JSON lacks, are
/// written as the strings "NaN", "Infinity" and "-Infinity".

#include "gradcheck/check/check.hpp"
#include "gradcheck/report/report.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace gradcheck {

/// One shard of a check: its measurements and everything needed to merge and report them.
struct Shard {
  Index index = 1;  ///< i of i/N
  Index count = 1;  ///< N
  Subject subject;
  Architecture architecture;
  std::string problem;  ///< fingerprint() of the problem and Θ measured: one check's shards share it
  Tolerances tolerances;
  std::size_t worst = 5;
  Measurements measured;
  /// An implementation checked against the reference: its J at θ, compared (every shard asks).
  std::optional<CostComparison> cost;
  /// Why no part of the check can be judged (its J's noise, measured by every shard alike).
  std::optional<std::string> unjudgeable;
};

/// The JSON report of a whole check.
std::string to_json(const CheckResult& result, const Subject& subject);

/// The partial JSON report of a shard.
std::string to_json(const Shard& shard);

/// Reads a shard's partial report; `source` (a file name) prefixes every error message.
/// Throws std::invalid_argument naming the field and what was expected.
Shard shard_from_json(std::string_view text, const std::string& source);

/// Joins shards 1 … N of one check into its result, identical to the unsharded check's, and
/// sets `subject`. Throws std::invalid_argument when the shards are not the N parts of one check.
CheckResult merge(const std::vector<Shard>& shards, Subject& subject);

/// Writes `content` to `path` through a temporary file and a rename, so that a reader never
/// sees a half-written report. Throws std::runtime_error naming the path on failure, or when
/// something other than a regular file is at `path` (a device, FIFO, folder, symbolic link).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace gradcheck
