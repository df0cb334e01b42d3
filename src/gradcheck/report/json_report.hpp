#pragma once
/// @file
/// JSON reports: the whole check, and the partial report of one shard, which `merge()` joins.
///
/// Keys are stable and documented in README ("JSON report"). Doubles are written with 17
/// significant digits, so they read back to the same bits; NaN and ±∞, which JSON lacks, are
/// written as the strings "NaN", "Infinity" and "-Infinity".

#include "gradcheck/check/check.hpp"
#include "gradcheck/report/report.hpp"
#include "gradcheck/util/stop.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gradcheck {

/// The most a shard report may hold: `gradcheck merge` reads no larger file, and `check --shard`
/// measures no shard whose report would be larger (max_shard_parameters()).
constexpr std::size_t max_shard_bytes = std::size_t{256} << 20;  // 256 MiB

/// The most parameters one shard measures: a shard report spends at most 128 bytes on each
/// (its index, two or three numbers of 17 digits, its flags), and 1 MiB on the rest.
constexpr Index max_shard_parameters = static_cast<Index>((max_shard_bytes - (std::size_t{1} << 20)) / 128);

/// The version of gradcheck that writes reports, "0.1.0": a merge refuses shards of another.
extern const char* const report_version;

/// One shard of a check: its measurements and everything needed to merge and report them.
struct Shard {
  std::string source;   ///< the file it was read from (messages name it), empty when made here
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
/// Throws std::invalid_argument naming the field and what was expected for anything `gradcheck
/// check --shard` of this version does not write (shard_claims.hpp), Interrupted when `stop` is
/// set while reading.
Shard shard_from_json(std::string_view text, const std::string& source, const StopFlag* stop = nullptr);

/// Joins shards 1 … N of one check into its result, and sets `subject`: what the unsharded check
/// gives, never a PASS it would not give. A PASS that rests on what merge cannot recompute (the
/// floors a float32 implementation's rounding raises, loosening a layer's norm verdict) is CANNOT
/// JUDGE (shard_claims.hpp). Throws std::invalid_argument, naming a file, when the shards are not
/// the N parts of one check.
CheckResult merge(const std::vector<Shard>& shards, Subject& subject);

/// Refuses (std::invalid_argument) `--shard i/N` where one shard would measure more than
/// max_shard_parameters() of `parameters`: its report would be more than merge reads.
void require_mergeable(Index parameters, Index count);

/// Writes `content` to `path` through a temporary file and a rename, so that a reader never
/// sees a half-written report. Throws std::runtime_error naming the path on failure, or when
/// something other than a regular file is at `path` (a device, FIFO, folder, symbolic link).
void write_file_atomically(const std::string& path, const std::string& content);

/// Whether write_file_atomically syncs the file to disk before its rename (true). The Python
/// package sets it false: its reports go to a temporary folder it reads and removes at once, and
/// ten fsyncs per check were most of a small check's time (5.7 ms each on a busy disk).
extern bool sync_written_files;

}  // namespace gradcheck
