// Merging shards: the N parts of one check joined and judged as the unsharded check judges them.

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/shard_claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace gradcheck {
namespace {

bool same(const Tolerances& x, const Tolerances& y) {
  return x.entry == y.entry && x.norm == y.norm && x.floor == y.floor && x.cost == y.cost;
}

bool same(const Subject& x, const Subject& y) {
  return x.title == y.title && x.network == y.network && x.origin == y.origin && x.parameters == y.parameters &&
         x.examples == y.examples && x.lambda == y.lambda && x.notes == y.notes;
}

bool same(const Architecture& x, const Architecture& y) {
  return x.sizes == y.sizes && x.hidden == y.hidden && x.output == y.output;
}

/// "s2.json (shard 2/4)", or "shard 2/4" for a shard not read from a file.
std::string named(const Shard& shard) {
  const std::string which = fmt::format("shard {}/{}", shard.index, shard.count);
  return shard.source.empty() ? which : fmt::format("{} ({})", shard.source, which);
}

/// The shards' measurements concatenated, each checked to belong to the same check as the first.
Measurements joined(const std::vector<Shard>& shards) {
  const Shard& first = shards.front();
  const auto N = first.count;
  std::vector<bool> present(static_cast<std::size_t>(N) + 1, false);
  Measurements all;
  all.method = first.measured.method;
  for (const Shard& shard : shards) {
    if (shard.count != N || !same(shard.subject, first.subject) || !same(shard.architecture, first.architecture) ||
        !same(shard.tolerances, first.tolerances) || shard.worst != first.worst || shard.measured.method != all.method)
      throw std::invalid_argument(named(shard) + " belongs to a different check than " + named(first) +
                                  " (network, problem, method or tolerances differ)");
    if (shard.problem != first.problem)
      throw std::invalid_argument(named(shard) + " was measured on other data than " + named(first) +
                                  " (X, y, λ or Θ differ: did the problem file change between the jobs?); run every "
                                  "shard on the same problem");
    if (shard.index < 1 || shard.index > N || present[static_cast<std::size_t>(shard.index)])
      throw std::invalid_argument(named(shard) + " is given twice or does not exist; expected each of 1 … " +
                                  std::to_string(N) + " once");
    present[static_cast<std::size_t>(shard.index)] = true;
    const Measurements& m = shard.measured;
    all.coordinates.insert(all.coordinates.end(), m.coordinates.begin(), m.coordinates.end());
    all.kinks.insert(all.kinks.end(), m.kinks.begin(), m.kinks.end());
    if (m.stationary.empty()) all.stationary.insert(all.stationary.end(), m.coordinates.size(), false);
    else all.stationary.insert(all.stationary.end(), m.stationary.begin(), m.stationary.end());
    if (m.floors.empty()) all.floors.insert(all.floors.end(), m.coordinates.size(), first.tolerances.floor);
    else all.floors.insert(all.floors.end(), m.floors.begin(), m.floors.end());
    if (m.evaluations > std::numeric_limits<std::size_t>::max() - all.evaluations)
      throw std::invalid_argument(named(shard) + ": evaluations is " + std::to_string(m.evaluations) +
                                  ", more than any check spends; expected the calls of J the shard made");
    all.evaluations += m.evaluations;
  }
  all.analytic.resize(static_cast<Index>(all.coordinates.size()));
  all.numerical.resize(static_cast<Index>(all.coordinates.size()));
  Index at = 0;
  for (const Shard& shard : shards) {
    const auto n = shard.measured.analytic.size();
    all.analytic.segment(at, n) = shard.measured.analytic;
    all.numerical.segment(at, n) = shard.measured.numerical;
    at += n;
  }
  return all;
}

}  // namespace

CheckResult merge(const std::vector<Shard>& shards, Subject& subject) {
  if (shards.empty()) throw std::invalid_argument("no shard reports given; expected the N files of one sharded check");
  const Shard& first = shards.front();
  const auto N = first.count;
  if (static_cast<Index>(shards.size()) != N)
    throw std::invalid_argument(std::to_string(shards.size()) + " shard reports given; expected all N = " +
                                std::to_string(N) + " of the check");
  Measurements all = joined(shards);
  const ShardKind kind = kind_of(all.method, first.source);
  const bool self = kind == ShardKind::own_J, against_reference = kind == ShardKind::against_reference;
  const bool float32 = single_precision(all.analytic);  // the implementation's precision, as each shard found it
  admit_together(shards, float32);
  all.own_J = self;
  // A shard looks again at every entry below the floor of a layer nothing resolves: unless J
  // proved flat along it, such an entry is flagged, whether or not its file still says so.
  if (self) flag_unlooked(all, first.tolerances);
  CheckOptions options;
  options.tolerances = first.tolerances;
  options.worst = first.worst;
  subject = first.subject;
  const Layout layout(first.architecture);
  CheckResult result = judge(layout, all, options);
  // Floors raised for the implementation's rounding, which merge cannot recompute: a PASS that
  // rests on them (a float32 one's loosening a layer's norm verdict, a float64 one's at all) is not given.
  if (Measurements other = all; against_reference && result.pass && without_raised_floors(other, first.tolerances, float32) &&
                                !judge(layout, other, options).pass)
    result.cannot_judge = fmt::format(
        "the PASS rests on floors the shards raise above the tolerances' floor {}: a raised floor is the rounding of your "
        "implementation, which merge cannot recompute without the problem; run the check unsharded",
        float32 ? "loosening the norm verdict of their layer (without those entries it fails at the floor)"
                : "for a float64 gradient (its rounding raises none unless its terms pass ~1e5)"),
    result.pass = false;
  // Entries flagged on a kink are judged by nothing. An unsharded reference check skips them and
  // says so; merge cannot tell a flag check wrote from one written by hand (the flags and a
  // network relabelled ReLU turned a failing check's shards into a PASS), so no PASS rests on one.
  // Its sentence says what merge did: an unsharded check's would say how the entries compared.
  if (const std::string why = unjudged_kinks(all, layout, self, first.subject.names,
                                             "merge judges no entry on a kink from shards (a flag a shard carries cannot "
                                             "be told from one written by hand): run the check unsharded");
      !why.empty() && result.pass)
    result.cannot_judge = why, result.pass = false;
  const auto D_l = [&](Index l) { return first.subject.names.gradient(l); };
  if (const std::string why =
          !against_reference ? at_stationary_point(result, D_l, "a random θ, or against the reference (drop --self), which judges small entries by its exact D")
                             : within_its_rounding(result, D_l, float32 ? "float32" : "float64");
      !why.empty() && result.pass)
    result.cannot_judge = why, result.pass = false;
  // J too noisy to judge any part of the check by, as a shard measured it: no verdict stands.
  for (const Shard& shard : shards)
    if (shard.unjudgeable) result.cannot_judge = *shard.unjudgeable, result.pass = false;
  // An implementation's J, as each shard compared it: the worst comparison stands for all, with
  // the least rounding any shard allows it (every shard computes the same one for the same J).
  for (const Shard& shard : shards)
    if (shard.cost && (!result.cost || !(shard.cost->relative_error <= result.cost->relative_error))) result.cost = shard.cost;
  if (result.cost) {
    for (const Shard& shard : shards) result.cost->rounding = std::min(result.cost->rounding, shard.cost->rounding);
    result.cost->pass = result.cost->judge(first.tolerances.cost);
    result.gradient_pass = result.pass;
    result.pass = result.pass && result.cost->pass;
    // Beyond the tolerance, J passes only within the rounding a shard allows a float32 J, which
    // merge cannot recompute without the problem and Θ: a PASS does not rest on it.
    if (result.pass && !(result.cost->relative_error <= first.tolerances.cost))
      result.cannot_judge = fmt::format(
          "J differs from the reference J by {:.2g} relatively, more than the tolerance {:g}, and passes only within the "
          "rounding the shards allow your float32 J ({:.2g}), which merge cannot recompute without the problem; run the "
          "check unsharded", result.cost->relative_error, first.tolerances.cost, result.cost->rounding),
      result.pass = false;
  }
  return result;
}

void require_mergeable(Index parameters, Index count) {
  const Index most = count > 0 ? (parameters + count - 1) / count : parameters;
  if (most <= max_shard_parameters) return;
  throw std::invalid_argument(fmt::format(
      "--shard i/{} measures up to {} of the {} parameters per shard, more than the {} a shard report holds ({} MiB, what "
      "'gradcheck merge' reads); expected N ≥ {}", count, most, parameters, max_shard_parameters, max_shard_bytes >> 20,
      (parameters + max_shard_parameters - 1) / max_shard_parameters));
}

}  // namespace gradcheck
