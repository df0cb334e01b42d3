// A run's verdict from its parts, and the order and text in which a report shows them.

#include "gradcheck/report/run_report.hpp"
#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/parts.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace gradcheck {

const char* word(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass: return "PASS";
    case Outcome::cannot_judge: return "CANNOT JUDGE";
    case Outcome::fail: return "FAIL";
    case Outcome::error: return "ERROR";
    case Outcome::incomplete: return "INCOMPLETE";
  }
  return "ERROR";
}

bool fails_regardless(const CheckResult& r) {
  return !r.side_effects.empty() ||
         std::any_of(r.layers.begin(), r.layers.end(), [](const LayerReport& l) { return !l.unusable.empty(); });
}

Outcome outcome_of(const CheckResult& r) {
  if (r.failure) return Outcome::error;
  if (fails_regardless(r)) return Outcome::fail;
  if (r.cannot_judge) return Outcome::cannot_judge;
  if (!r.complete) return Outcome::incomplete;
  return r.pass ? Outcome::pass : Outcome::fail;
}

Outcome outcome_of(const std::vector<ReportPart>& parts) {
  Outcome worst = Outcome::pass;
  for (const auto& part : parts) worst = std::max(worst, outcome_of(part.result));
  return worst;
}

namespace {

/// The sizes part of a Subject's network ("3-5-3" of "3-5-3, hidden g = sigmoid, …").
std::string sizes_of(const Subject& subject) { return subject.network.substr(0, subject.network.find(',')); }

/// The part whose outcome is the run's: the first of the most severe.
const ReportPart& deciding(const std::vector<ReportPart>& parts) {
  const Outcome run = outcome_of(parts);
  for (const auto& part : parts)
    if (outcome_of(part.result) == run) return part;
  return parts.front();
}

}  // namespace

std::string part_verdict(const ReportPart& part, const ReportPart& first) {
  const std::string line = verdict_line(part.result, part.subject.names);
  const auto colon = line.find(": ");
  return fmt::format("{} at {}: {}", line.substr(0, colon), part_label(part, first), line.substr(colon + 2));
}

std::string part_label(const ReportPart& part, const ReportPart& first) {
  const Subject &s = part.subject, &f = first.subject;
  std::string label = fmt::format("λ = {:g}", s.lambda);
  if (sizes_of(s) != sizes_of(f) || s.examples != f.examples) label += fmt::format(" ({}, m = {})", sizes_of(s), s.examples);
  return label;
}

std::string parts_label(const std::vector<ReportPart>& parts) {
  std::string labels;
  for (std::size_t k = 0; k < parts.size(); ++k)
    labels += (k == 0 ? "" : k + 1 == parts.size() ? " and " : ", ") + part_label(parts[k], parts.front());
  return labels;
}

std::string run_verdict(const std::vector<ReportPart>& parts) {
  if (parts.empty()) throw std::logic_error("run_verdict: a run of no checks");
  if (parts.size() == 1) return verdict_line(parts.front().result, parts.front().subject.names);
  const ReportPart& first = parts.front();
  if (outcome_of(parts) == Outcome::pass) {
    const std::string line = verdict_line(first.result, first.subject.names);
    return fmt::format("PASS at {}: {}", parts_label(parts), line.substr(line.find(": ") + 2));
  }
  const ReportPart& decided = deciding(parts);
  std::string others;
  for (const auto& part : parts)
    if (&part != &decided)
      others += fmt::format("{}{}: {}", others.empty() ? "" : "; ", part_label(part, first), word(outcome_of(part.result)));
  return part_verdict(decided, first) + " (" + others + ")";
}

std::vector<const ReportPart*> report_order(const std::vector<ReportPart>& parts) {
  std::vector<const ReportPart*> order;
  for (const auto& part : parts) order.push_back(&part);
  std::stable_sort(order.begin(), order.end(), [](const ReportPart* x, const ReportPart* y) {
    return outcome_of(x->result) > outcome_of(y->result);
  });
  return order;
}

namespace {

std::string format_text(const std::vector<ReportPart>& parts) {
  if (parts.size() == 1) return format_text(parts.front().result, parts.front().subject);
  const std::string verdict = run_verdict(parts);
  std::string out = verdict + "\n";
  for (const ReportPart* part : report_order(parts))
    out += "\n" + report_detail::text_body(part->result, part->subject) + part_verdict(*part, parts.front()) + "\n";
  return out + "\n" + verdict + "\n";
}

}  // namespace

CheckResult as_check(const DirectionalResult& d, const std::vector<std::pair<Index, Index>>& shapes,
                     const Tolerances& tolerances) {
  CheckResult c;
  c.method = "random unit directions v per layer: vᵀD against (J(θ + εv) − J(θ − εv)) / 2ε, and the Taylor test" +
             describe_beyond_noise(d);
  c.evaluations = d.evaluations;
  c.tolerances = tolerances;
  c.cost = d.cost;
  for (const auto& layer : d.layers) {
    LayerReport l;
    l.l = layer.l;
    std::tie(l.rows, l.cols) = shapes.at(static_cast<std::size_t>(layer.l - 1));
    l.max_relative_error = l.mean_relative_error = layer.max_relative_error;
    l.pass = layer.pass || layer.at_kink == DirectionalLayer::AtKink::unjudged;
    l.unresolved = layer.unresolved;
    l.in_noise = layer.in_noise;
    l.mismatches = l.pass ? 0 : 1;
    c.max_relative_error = std::max(c.max_relative_error, l.max_relative_error);
    c.gradient_pass = c.gradient_pass && l.pass;
    c.layers.push_back(l);
  }
  c.cannot_judge = d.cannot_judge;
  c.side_effects = d.side_effects;
  c.diagnosis = d.diagnosis;
  c.pass = d.pass && !d.cannot_judge;
  c.caveat = "a fast check along random directions: a full check compares every entry";
  return c;
}

std::string text_of_parts(const std::vector<ReportPart>& parts, const std::vector<std::string>& texts) {
  if (texts.size() == 1) return texts.front();  // it opens and ends with its verdict
  const std::string verdict = run_verdict(parts);
  std::string out = verdict + "\n";
  for (const ReportPart* part : report_order(parts)) out += "\n" + texts.at(static_cast<std::size_t>(part - parts.data()));
  return out + "\n" + verdict + "\n";
}

std::string to_json(const std::vector<ReportPart>& parts) {
  if (parts.size() == 1) return to_json(parts.front().result, parts.front().subject);
  using Json = nlohmann::ordered_json;
  Json checks = Json::array();
  for (const ReportPart* part : report_order(parts)) checks.push_back(Json::parse(to_json(part->result, part->subject)));
  const Outcome outcome = outcome_of(parts);
  Json run{{"verdict", run_verdict(parts)},
           {"outcome", word(outcome)},
           {"gradcheck", {{"version", checks.front()["gradcheck"]["version"]}, {"report", "checks"}}},
           {"pass", outcome == Outcome::pass},
           {"checks", checks}};
  return run.dump(2) + "\n";
}

std::string format_run(const std::string& extension, const std::vector<ReportPart>& parts) {
  if (extension == ".txt") return format_text(parts);
  if (extension == ".md") return format_markdown(parts);
  if (extension == ".html") return format_html(parts);
  if (extension == ".xml") return format_junit(parts);
  if (extension == ".json") return to_json(parts);
  throw std::invalid_argument(fmt::format("unknown report format '{}'; expected .json, .xml (JUnit), .md (Markdown), "
                                          ".html or .txt", extension));
}

}  // namespace gradcheck
