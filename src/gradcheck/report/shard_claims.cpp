// What a shard may claim: its fields held to what `gradcheck check --shard` writes.

#include "gradcheck/report/shard_claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gradcheck {
namespace {

/// "file: " + what, as every refusal reads.
std::invalid_argument refused(const Shard& shard, const std::string& what) {
  return std::invalid_argument(fmt::format("{}: {}", shard.source.empty() ? "shard" : shard.source, what));
}

/// "floors[3] (Θ^(2)_{1,0})": a per-entry field named by its position and its entry.
std::string at(const Shard& shard, const char* field, std::size_t c) {
  return fmt::format("{}[{}] ({})", field, c, format(Layout(shard.architecture).entry(shard.measured.coordinates[c])));
}

/// The method's words for each way a check makes its numerical gradient (finite_diff.hpp's and
/// complex_step.cpp's describe()).
constexpr const char* openings[] = {"central differences (J(θ + ε) − J(θ − ε)) / 2ε, ", "order-",
                                    "Richardson extrapolation to order ", "complex step Im J(θ + ih e_k) / h, "};
constexpr const char* own_J_words = " of the implementation's own J", *reference_J_words = " of the reference J";

void admit_kinks(const Shard& shard) {
  const Measurements& m = shard.measured;
  const auto& hidden = shard.architecture.hidden;
  const bool relu = std::any_of(hidden.begin(), hidden.end(), kinked);
  const bool complex = m.method.rfind(openings[3], 0) == 0;
  for (std::size_t c = 0; c < m.kinks.size(); ++c)
    if (m.kinks[c] && (!relu || complex))
      throw refused(shard, fmt::format("{} is flagged a kink; expected none: {}", at(shard, "kinks", c),
                                       complex ? "complex steps cross no kink" : "no hidden unit of this network has one"));
}

/// Reference mode (external.cpp's judge_small_by_backprop): an entry below the floor, not at a
/// kink, gets a floor of at least 1e-12 × the floor, flagged exactly where it is raised.
void admit_against_reference(const Shard& shard) {
  const Measurements& m = shard.measured;
  const Tolerances& t = shard.tolerances;
  if (m.floors.empty()) throw refused(shard, "\"floors\" is missing; expected one floor per coordinate, as reference mode writes");
  if (!shard.cost) throw refused(shard, "\"cost\" is missing; expected J compared with the reference, as reference mode writes");
  for (std::size_t c = 0; c < m.floors.size(); ++c) {
    const double floor = m.floors[c], a = m.analytic(static_cast<Index>(c));
    const bool flagged = !m.stationary.empty() && m.stationary[c];
    if (!(std::isfinite(floor) && floor >= 1e-12 * t.floor))
      throw refused(shard, fmt::format("{} is {}; expected a finite floor of at least 1e-12 × the tolerances' floor",
                                       at(shard, "floors", c), floor));
    if ((floor != t.floor || flagged) && ((!m.kinks.empty() && m.kinks[c]) || !(std::abs(a) < t.floor)))
      throw refused(shard, fmt::format("{} is {}{} on an entry whose analytic value is {}{}; expected the tolerances' floor "
                                       "{} unflagged: only an entry below the floor gets its own", at(shard, "floors", c),
                                       floor, flagged ? ", flagged stationary," : "", a,
                                       !m.kinks.empty() && m.kinks[c] ? " at a kink" : "", t.floor));
    if (flagged != (floor > t.floor))
      throw refused(shard, fmt::format("{} is {} with the entry {}flagged stationary; expected it flagged exactly where its "
                                       "floor is raised above the tolerances' floor {}", at(shard, "floors", c), floor,
                                       flagged ? "" : "not ", t.floor));
  }
  const CostComparison& J = *shard.cost;
  const double relative = relative_error(J.implementation, J.reference, 1e-12);
  if (!(relative == J.relative_error || (std::isnan(relative) && std::isnan(J.relative_error))))
    throw refused(shard, fmt::format("cost.relative_error is {}; expected {}, that of cost.implementation {} against "
                                     "cost.reference {}", J.relative_error, relative, J.implementation, J.reference));
  if (!(std::isfinite(J.rounding) && J.rounding >= 0))
    throw refused(shard, fmt::format("cost.rounding is {}; expected a finite allowance ≥ 0 (0 for a float64 gradient)", J.rounding));
  if (J.pass != J.judge(t.cost))
    throw refused(shard, fmt::format("cost.pass is {}; expected {}: J's relative error {} against the tolerance {}, "
                                     "rounding {}", J.pass, !J.pass, J.relative_error, t.cost, J.rounding));
}

/// Self mode (check.cpp's second_look): floors never raised; an entry below the floor looked at
/// again is flagged, or, with J flat along it, gets a floor that covers its own difference.
void admit_own_J(const Shard& shard) {
  const Measurements& m = shard.measured;
  const Tolerances& t = shard.tolerances;
  if (shard.cost) throw refused(shard, "\"cost\" is there; expected none: self mode compares no J with the reference");
  if (m.floors.empty() && std::find(m.stationary.begin(), m.stationary.end(), true) != m.stationary.end())
    throw refused(shard, "\"stationary\" flags entries of a shard without \"floors\"; expected floors where a second look was taken");
  for (std::size_t c = 0; c < m.floors.size(); ++c) {
    const double floor = m.floors[c], a = m.analytic(static_cast<Index>(c)), n = m.numerical(static_cast<Index>(c));
    const bool flagged = !m.stationary.empty() && m.stationary[c];
    if (!(floor > 0 && floor <= t.floor))
      throw refused(shard, fmt::format("{} is {}; expected 0 < floor ≤ the tolerances' floor {}: self mode never raises one",
                                       at(shard, "floors", c), floor, t.floor));
    if ((floor != t.floor || flagged) && ((!m.kinks.empty() && m.kinks[c]) || !(std::abs(a) < t.floor)))
      throw refused(shard, fmt::format("{} is {}{} on an entry whose analytic value is {}; expected the tolerances' floor {} "
                                       "unflagged: only an entry below the floor is looked at again", at(shard, "floors", c),
                                       floor, flagged ? ", flagged stationary," : "", a, t.floor));
    if (!flagged && floor < t.floor && !(t.entry * floor >= std::abs(n) * (1 - 1e-12)))
      throw refused(shard, fmt::format("{} is {}, unflagged, below what the entry's own difference {} needs; expected a floor "
                                       "of at least |n| / entry = {} (J flat along it), or the entry flagged stationary",
                                       at(shard, "floors", c), floor, n, std::abs(n) / t.entry));
  }
}

}  // namespace

ShardKind kind_of(const std::string& method, const std::string& source) {
  const bool known = std::any_of(std::begin(openings), std::end(openings),
                                 [&](const char* s) { return method.rfind(s, 0) == 0; });
  const bool self = method.find(own_J_words) != std::string::npos, reference = method.find(reference_J_words) != std::string::npos;
  if (!known || (self && reference) || ((self || reference) && method.rfind(openings[3], 0) == 0))
    throw std::invalid_argument(fmt::format("{}: method \"{}\" is none a check writes; expected a finite difference or a "
                                            "complex step, as 'gradcheck check --shard i/N' describes it",
                                            source, method.substr(0, 120)));
  return self ? ShardKind::own_J : reference ? ShardKind::against_reference : ShardKind::reference;
}

/// The subject's title, which says what was checked, names the same kind of check as the method
/// (check.cpp's and check_implementation.cpp's titles): a shard relabelled in one is refused.
void admit_title(const Shard& shard, ShardKind kind) {
  const std::string& title = shard.subject.title;
  const auto ends = [&](const std::string& end) {
    return title.size() >= end.size() && title.compare(title.size() - end.size(), end.size(), end) == 0;
  };
  const char* expected = kind == ShardKind::reference           ? "\"reference backprop against finite differences\""
                         : kind == ShardKind::against_reference ? "one ending \" (reference mode)\""
                                                                : "one ending \" (self mode)\"";
  if (kind == ShardKind::reference ? title != "reference backprop against finite differences"
                                   : !ends(kind == ShardKind::own_J ? " (self mode)" : " (reference mode)"))
    throw refused(shard, fmt::format("subject.title is \"{}\"; expected {}, the check its method \"{}\" describes",
                                     title.substr(0, 80), expected, shard.measured.method.substr(0, 80)));
}

void admit(const Shard& shard) {
  const Measurements& m = shard.measured;
  admit_kinks(shard);
  const ShardKind kind = kind_of(m.method, shard.source);
  admit_title(shard, kind);
  switch (kind) {
    case ShardKind::reference: {
      const char* field = !m.floors.empty() ? "floors"
                          : std::find(m.stationary.begin(), m.stationary.end(), true) != m.stationary.end() ? "stationary"
                          : shard.cost ? "cost" : shard.unjudgeable ? "cannot_judge" : nullptr;
      if (field)
        throw refused(shard, fmt::format("\"{}\" is there in a shard of the reference's own check (its method: \"{}\"); "
                                         "expected none: 'gradcheck check --shard' writes it for implementations only",
                                         field, m.method.substr(0, 80)));
      break;
    }
    case ShardKind::against_reference:
      if (shard.unjudgeable) throw refused(shard, "\"cannot_judge\" is there; expected none: reference mode measures no noise of J");
      admit_against_reference(shard);
      break;
    case ShardKind::own_J: admit_own_J(shard); break;
  }
}

void admit_together(const std::vector<Shard>& shards, bool float32) {
  for (const Shard& shard : shards) {
    if (!shard.cost) continue;
    const CostComparison& first = *shards.front().cost;
    if (!(shard.cost->reference == first.reference))
      throw refused(shard, fmt::format("cost.reference is {} where {} says {}; expected one reference J: every shard "
                                       "computes it at the same θ", shard.cost->reference, shards.front().source,
                                       first.reference));
    if (!float32 && shard.cost->rounding != 0)
      throw refused(shard, fmt::format("cost.rounding is {}; expected 0: the merged gradient is not a float32 one, and only "
                                       "a float32 J gets an allowance for its rounding", shard.cost->rounding));
  }
}

void flag_unlooked(Measurements& m, const Tolerances& t) {
  if (m.stationary.empty()) m.stationary.assign(m.coordinates.size(), false);
  for (std::size_t c = 0; c < m.coordinates.size(); ++c) {
    const double a = m.analytic(static_cast<Index>(c)), n = m.numerical(static_cast<Index>(c));
    const bool at_kink = !m.kinks.empty() && m.kinks[c];
    const double floor = m.floors.empty() ? t.floor : m.floors[c];
    if (!at_kink && std::isfinite(a) && std::isfinite(n) && std::max(std::abs(a), std::abs(n)) < t.floor && floor == t.floor)
      m.stationary[c] = true;
  }
}

bool without_raised_floors(Measurements& m, const Tolerances& t, bool float32) {
  if (m.kinks.empty()) m.kinks.assign(m.coordinates.size(), false);
  bool any = false;
  for (std::size_t c = 0; c < m.floors.size(); ++c) {
    if (!(m.floors[c] > t.floor)) continue;
    any = true;
    if (float32) m.kinks[c] = true;
    else m.floors[c] = t.floor;
  }
  return any;
}

}  // namespace gradcheck
