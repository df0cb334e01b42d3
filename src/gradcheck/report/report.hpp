#pragma once
/// @file
/// Reports of a check for people: plain text for the terminal.

#include "gradcheck/check/compare.hpp"
#include "gradcheck/model/names.hpp"
#include "gradcheck/numeric/directional.hpp"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gradcheck {

/// What was checked, for the report's header.
struct Subject {
  std::string title;    ///< e.g. "reference backprop against central differences"
  std::string network;  ///< describe(architecture)
  std::string origin;   ///< where Θ, X and y came from
  Index parameters = 0; ///< P
  Index examples = 0;   ///< m
  double lambda = 0;    ///< λ
  std::vector<std::string> notes;  ///< extra header lines, e.g. a planted mistake
  std::string command;  ///< the command line that made the report, to reproduce it
  std::string run;      ///< which run made the report ("started …Z, pid …, id …"), "" for none
  std::string smallest; ///< the smallest failing network like this one and how to check it, when searched
  std::vector<std::string> hints;  ///< things the user should know that are not the verdict (e.g. what the code printed)
  Names names;           ///< how the user's code names layers and entries: every line of the report speaks them
};

/// What a run (or one check) found, in rising precedence: the run's outcome is its parts' most
/// severe. An interruption outranks everything (the run was stopped: exit 129, 130 or 143); an
/// implementation that failed outranks a mismatch found before it (exit 3); a mismatch outranks
/// a part that could not be judged (exit 1: a wrong gradient is wrong whatever else is unknown).
enum class Outcome { pass, cannot_judge, fail, error, incomplete };

/// The word every format opens with: "PASS", "CANNOT JUDGE", "FAIL", "ERROR", "INCOMPLETE".
const char* word(Outcome outcome);

Outcome outcome_of(const CheckResult& result);

/// A check that fails whatever its numbers show: the implementation changed its inputs
/// (side_effects), or a layer's gradient could not be compared at all (LayerReport::unusable).
/// Such a check is a FAIL even where J's noise would leave the rest unjudged.
bool fails_regardless(const CheckResult& result);

/// "FAIL: <mistakes>; <the rest's verdict, reworded>": mistakes no number decides first (side
/// effects, a tensor's unusable gradient), then what the measured layers show (`rest`, a verdict
/// line, or "" when nothing was measured). `others_only`: some tensors are left out of `rest`.
std::string mistakes_first(const std::vector<std::string>& mistakes, const std::string& rest, bool others_only);

/// "ok" or "MISMATCH" for J's comparison; "ok (within float32 rounding, ±…)" where only the
/// rounding a float32 implementation could show passes it.
std::string cost_verdict(const CostComparison& J, double tolerance);

/// The verdict in one line: `PASS: …`, `FAIL: …` (the failing layers, the named mistake, the
/// worst entry, in `names`), `CANNOT JUDGE: …`, `INCOMPLETE: …` or `ERROR: the implementation failed: …`.
std::string verdict_line(const CheckResult& result, const Names& names = Names());

/// The per-layer text report, verdict first and last: shape of each layer's gradient, max and
/// mean relative error, the course's norm figure, the worst entries in the user's names with
/// analytic and numerical values.
std::string format_text(const CheckResult& result, const Subject& subject);

/// The same report of a result alone, its subject made from what the result holds (the shapes of
/// D^(l), P): the one call that prints what gradcheck::check() found,
///
///     std::cout << gradcheck::format_text(gradcheck::check(f, theta));   // or std::cout << result
std::string format_text(const CheckResult& result);
std::ostream& operator<<(std::ostream& out, const CheckResult& result);

/// Text safe inside XML or HTML, in elements and attributes alike (& < > " ' escaped).
std::string escape_markup(std::string_view text);

/// JUnit XML: one testsuite for the check, one testcase per layer (and one for J when an
/// implementation's J was compared), failure messages naming the worst entries.
std::string format_junit(const CheckResult& result, const Subject& subject);

/// One self-contained HTML page (no scripts, no downloads): the verdict, the diagnosis, per layer
/// a heatmap of the relative error over Θ^(l) (rows i, columns j, the bias column marked), the
/// worst entries, the smallest failing network and the command that reproduces the run.
std::string format_html(const CheckResult& result, const Subject& subject);

/// Markdown for a pull-request comment: the verdict, the per-layer table, the worst entries.
std::string format_markdown(const CheckResult& result, const Subject& subject);

/// The fast mode's report: per layer the directions tried, the worst relative error of vᵀD
/// against the central difference along v, the Taylor test's observed order, and the verdict.
std::string format_text(const DirectionalResult& result, const DirectionalOptions& options, const Subject& subject);

}  // namespace gradcheck
