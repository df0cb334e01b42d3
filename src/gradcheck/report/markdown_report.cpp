// Markdown for a pull-request comment: the run's verdict as its first line, then each check. Every
// field is markdown_text(): a student's error or printed output never becomes a link or raw HTML.

#include "gradcheck/report/run_report.hpp"
#include "gradcheck/report/parts.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gradcheck {
namespace {

using namespace report_detail;

const char* icon(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass: return "✅";
    case Outcome::fail:
    case Outcome::error: return "❌";
    case Outcome::cannot_judge:
    case Outcome::incomplete: break;
  }
  return "⚠️";
}

}  // namespace

std::string report_detail::markdown_body(const CheckResult& r, const Subject& s) {
  const Names& names = s.names;
  std::string out;
  if (r.diagnosis && r.diagnosis->kind != Diagnosis::Kind::right)
    out += fmt::format("**diagnosis: {}**  \nwhere: {}  \nevidence: {}\n\n", markdown_text(r.diagnosis->summary),
                       markdown_text(r.diagnosis->where), markdown_text(r.diagnosis->evidence));
  for (const auto& hint : s.hints) out += fmt::format("> hint: {}\n\n", markdown_text(hint));
  out += fmt::format("**{}**  \n", markdown_text(s.title));
  out += fmt::format("network: {}  \nproblem: {}  \n", markdown_text(s.network), markdown_text(problem_line(s)));
  for (const auto& note : s.notes) out += markdown_text(note) + "  \n";
  if (!s.run.empty()) out += "run: " + markdown_text(s.run) + "  \n";
  if (verdict_only(r)) return out;
  out += fmt::format("method: {}, {} evaluations of J  \n", r.method, r.evaluations);
  out += fmt::format("tolerance: relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}\n\n",
                     r.tolerances.entry, r.tolerances.floor, r.tolerances.norm);
  if (r.cost)
    out += fmt::format("J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}, **{}**\n\n",
                       r.cost->implementation, r.cost->reference, r.cost->relative_error, cost_verdict(*r.cost, r.tolerances.cost));
  out += fmt::format("| layer | {} | max rel. error | mean rel. error | ‖n−a‖/‖n+a‖ | verdict |\n|---|---|---:|---:|---:|---|\n",
                     names.course() ? "D^(l)" : "shape");
  for (const auto& layer : r.layers)
    out += fmt::format("| {} | {} × {} | {:.2e} | {:.2e} | {:.2e} | {} |\n", markdown_text(names.layer(layer.l)), layer.rows,
                       layer.cols, layer.max_relative_error, layer.mean_relative_error, layer.norm_figure,
                       markdown_text(layer_verdict(layer)));
  out += fmt::format("\n<details><summary>worst entries</summary>\n\n| entry |{} analytic a | numerical n | rel. error |\n"
                     "|---|{}---:|---:|---:|\n", names.course() ? " Octave |" : "", names.course() ? "---|" : "");
  for (const auto& e : r.worst)
    out += fmt::format("| {} |{} {:.12e} | {:.12e} | {:.2e} |\n", markdown_code_cell(names.entry(e.where)),
                       names.course() ? fmt::format(" {} |", markdown_code_cell(format_octave(e.where))) : "", e.analytic, e.numerical,
                       e.relative_error);
  out += "\n</details>\n";
  if (!r.not_finite.empty()) {
    out += fmt::format("\n**{} entr{} NaN or ±∞:**", r.not_finite.size(), r.not_finite.size() == 1 ? "y is" : "ies are");
    for (std::size_t k = 0; k < std::min<std::size_t>(20, r.not_finite.size()); ++k)
      out += fmt::format("{} {} = {:g} (n = {:g})", k ? "," : "", markdown_text(names.entry(r.not_finite[k].where)), r.not_finite[k].analytic,
                         r.not_finite[k].numerical);
    out += r.not_finite.size() > 20 ? fmt::format(", … and {} more\n", r.not_finite.size() - 20) : "\n";
  }
  out += fmt::format("\nthe course's figure ‖n − a‖/‖n + a‖ = {:.3e}\n", r.norm_figure);
  return out;
}

std::string format_markdown(const std::vector<ReportPart>& parts) {
  std::string out = fmt::format("### gradcheck: {} {}\n", icon(outcome_of(parts)), markdown_text(run_verdict(parts)));
  if (parts.size() == 1) return out + "\n" + markdown_body(parts.front().result, parts.front().subject);
  for (const ReportPart* part : report_order(parts))
    out += fmt::format("\n#### {} {}\n\n{}", icon(outcome_of(part->result)), markdown_text(part_verdict(*part, parts.front())),
                       markdown_body(part->result, part->subject));
  return out;
}

std::string format_markdown(const CheckResult& result, const Subject& subject) {
  return format_markdown(std::vector<ReportPart>{{result, subject}});
}

}  // namespace gradcheck
