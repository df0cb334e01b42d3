#pragma once
/// @file
/// The report of a whole run: one or more checks (an implementation at λ = 0 and at λ = 3, a
/// homework's network with its sizes apart), judged as one. Every format opens with the run's
/// verdict, then shows the part that decided it, then the others: a pull-request comment, a CI
/// log and a student read the first line.

#include "gradcheck/check/model.hpp"
#include "gradcheck/report/report.hpp"

#include <string>
#include <vector>

namespace gradcheck {

/// One check of a run.
struct ReportPart {
  CheckResult result;
  Subject subject;
};

Outcome outcome_of(const std::vector<ReportPart>& parts);

/// The fast mode's result (numeric/directional.hpp) as a check's: one layer per layer (of these
/// `shapes`), its worst relative error of vᵀD, its verdict; no entries (none was measured). The
/// formats every check writes then report it; its PASS says it was a fast check.
CheckResult as_check(const DirectionalResult& d, const std::vector<std::pair<Index, Index>>& shapes,
                     const Tolerances& tolerances);

/// A text report that a mode writes itself (the fast mode's Taylor columns, a model's tensors),
/// in place of format_run's .txt: the run's verdict first, its parts as that mode wrote them.
std::string text_of_parts(const std::vector<ReportPart>& parts, const std::vector<std::string>& texts);

/// A model check (check/model.hpp) as one part of a run's report, its tensors named as declared
/// (`fc1.weight[3, 0]`), for the formats every check writes.
ReportPart model_part(const ModelResult& result, const std::string& title);

/// Which check a part is: "λ = 3", and "λ = 3 (4-5-3, m = 6)" where its network or m differs from
/// the first part's. parts_label joins them: "λ = 0, λ = 3 and …".
std::string part_label(const ReportPart& part, const ReportPart& first);
std::string parts_label(const std::vector<ReportPart>& parts);

/// A part's verdict labelled with its λ: "FAIL at λ = 3: gradient mismatch in …".
std::string part_verdict(const ReportPart& part, const ReportPart& first);

/// The run's verdict in one line, opening with word(outcome_of(parts)): for several parts, the
/// deciding part's verdict labelled with its λ, then what the others found, e.g.
/// `FAIL at λ = 3: gradient mismatch in Theta1, Theta2; worst entry Theta1(1,1); likely mistake:
/// bias column regularized (λ = 0: PASS)`.
std::string run_verdict(const std::vector<ReportPart>& parts);

/// The parts in the order a report shows them: the most severe first, the rest as checked.
std::vector<const ReportPart*> report_order(const std::vector<ReportPart>& parts);

/// The run's report in the format of `extension` (".txt", ".md", ".html", ".xml" for JUnit,
/// ".json"): the verdict first, then each part (report_order). One part is reported as
/// format_text() and its siblings report it, save that the verdict opens the report.
std::string format_run(const std::string& extension, const std::vector<ReportPart>& parts);

/// The run's JUnit XML: one testsuite per part, named with its λ, and one testcase per layer
/// named in the user's names and λ (`Theta1 at λ = 3 (5 × 4)`), so no two suites or cases share a
/// name; the verdict as an XML comment after the declaration and on every failure.
std::string format_junit(const std::vector<ReportPart>& parts);

/// The run's Markdown (a pull-request comment): `### gradcheck: ❌ FAIL at …` first.
std::string format_markdown(const std::vector<ReportPart>& parts);

/// The run's HTML page: a banner with the run's verdict, then a section per part.
std::string format_html(const std::vector<ReportPart>& parts);

/// The run's JSON: {"verdict", "outcome", "pass", "gradcheck", "checks": [...]} for several
/// parts; one part's report with "verdict" and "outcome" first.
std::string to_json(const std::vector<ReportPart>& parts);

}  // namespace gradcheck
