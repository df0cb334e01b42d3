// JUnit XML for CI dashboards: one testsuite per check of the run, names unique and carrying λ.

#include "gradcheck/report/run_report.hpp"
#include "gradcheck/report/parts.hpp"

#include <fmt/format.h>

namespace gradcheck {
namespace {

using report_detail::entry_line;

/// `text` inside an XML comment, which may not hold "--".
std::string comment_safe(std::string text) {
  for (std::size_t at = text.find("--"); at != std::string::npos; at = text.find("--", at)) text.replace(at, 2, "- -");
  return text;
}

struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
};

Counts counts(const CheckResult& r) {
  const bool error = !r.complete || r.failure || r.cannot_judge;
  Counts c;
  c.tests = r.layers.size() + (r.cost ? 1 : 0) + (r.side_effects.empty() ? 0 : 1) + (error ? 1 : 0);
  c.errors = error ? 1 : 0;
  c.failures = r.side_effects.empty() ? 0 : 1;
  for (const auto& layer : r.layers) {
    c.skipped += report_detail::unmeasured(layer) ? 1 : 0;
    c.failures += layer.pass || report_detail::unmeasured(layer) ? 0 : 1;
  }
  if (r.cost && !r.cost->pass) ++c.failures;
  return c;
}

/// One part as a testsuite; `label` ("λ = 3") goes into the suite's, the class's and every case's name.
std::string suite(const ReportPart& part, const std::string& label, const std::string& verdict) {
  const CheckResult& r = part.result;
  const Subject& s = part.subject;
  const Names& names = s.names;
  const Counts c = counts(r);
  const std::string sizes = s.network.substr(0, s.network.find(','));
  std::string out = fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
                                escape_markup(fmt::format("gradcheck {} at {}: {}", sizes, label, s.title)), c.tests,
                                c.failures, c.errors, c.skipped);
  out += "    <properties>\n";
  const std::pair<const char*, std::string> properties[] = {
      {"verdict", verdict},
      {"network", s.network},
      {"problem", report_detail::problem_line(s)},
      {"lambda", fmt::format("{:g}", s.lambda)},
      {"run", s.run},
      {"method", r.method},
      {"evaluations", std::to_string(r.evaluations)},
      {"tolerance.entry", fmt::format("{:g}", r.tolerances.entry)},
      {"tolerance.norm", fmt::format("{:g}", r.tolerances.norm)},
      {"tolerance.floor", fmt::format("{:g}", r.tolerances.floor)},
      {"norm_figure", fmt::format("{:.3e}", r.norm_figure)},
      {"diagnosis", r.diagnosis && r.diagnosis->kind != Diagnosis::Kind::right ? r.diagnosis->summary : "none"},
  };
  for (const auto& [key, value] : properties)
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", key, escape_markup(value));
  out += "    </properties>\n";
  const std::string classname = escape_markup(fmt::format("gradcheck.{} at {}", sizes, label));
  const auto open_case = [&](const std::string& name) {
    return fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", classname,
                       escape_markup(fmt::format("{} at {}", name, label)));
  };
  for (const auto& layer : r.layers) {
    out += open_case(fmt::format("{} ({} × {})", names.layer(layer.l), layer.rows, layer.cols));
    if (report_detail::unmeasured(layer)) {
      out += "      <skipped message=\"not measured: the check was stopped before its entries\"/>\n";
    } else if (!layer.unusable.empty()) {
      out += fmt::format("      <failure type=\"UnusableGradient\" message=\"{}\"/>\n",
                         escape_markup(fmt::format("{}: {}: {}", verdict, names.layer(layer.l), layer.unusable)));
    } else if (!layer.pass) {
      const std::string message =
          fmt::format("{}: {} of {} entries exceed relative error {:g}; ‖n − a‖/‖n + a‖ = {:.2e}{}", verdict,
                      layer.mismatches, layer.rows * layer.cols - layer.kinks - layer.unchecked, r.tolerances.entry,
                      layer.norm_figure, layer.worst.empty() ? "" : "; worst " + entry_line(layer.worst.front(), names));
      std::string body;
      for (const auto& e : layer.worst) body += entry_line(e, names) + "\n";
      out += fmt::format("      <failure type=\"GradientMismatch\" message=\"{}\">{}</failure>\n", escape_markup(message),
                         escape_markup(body));
    }
    out += "    </testcase>\n";
  }
  if (r.cost) {
    out += open_case("J");
    if (!r.cost->pass)
      out += fmt::format("      <failure type=\"CostMismatch\" message=\"{}\"/>\n",
                         escape_markup(fmt::format("{}: J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}",
                                                   verdict, r.cost->implementation, r.cost->reference, r.cost->relative_error)));
    out += "    </testcase>\n";
  }
  if (!r.side_effects.empty()) {  // a mistake of its own, whatever the layers show
    out += open_case("inputs unchanged");
    for (const auto& said : r.side_effects)
      out += fmt::format("      <failure type=\"SideEffect\" message=\"{}\"/>\n", escape_markup(said));
    out += "    </testcase>\n";
  }
  // What kept the check from a verdict, as an error of its own case.
  const auto error_case = [&](const char* name, const char* type) {
    out += open_case(name) + fmt::format("      <error type=\"{}\" message=\"{}\"/>\n    </testcase>\n", type,
                                         escape_markup(verdict));
  };
  if (r.failure) error_case("implementation", "ImplementationFailed");
  else if (r.cannot_judge) error_case("judged", "CannotJudge");
  else if (!r.complete) error_case("complete", "Interrupted");
  out += fmt::format("    <system-out>{}</system-out>\n", escape_markup(format_text(r, s)));
  return out + "  </testsuite>\n";
}

}  // namespace

std::string format_junit(const std::vector<ReportPart>& parts) {
  const std::string verdict = run_verdict(parts);
  Counts all;
  std::string suites;
  for (const ReportPart* part : report_order(parts)) {
    const Counts c = counts(part->result);
    all.tests += c.tests, all.failures += c.failures, all.errors += c.errors;
    suites += suite(*part, part_label(*part, parts.front()), parts.size() == 1 ? verdict : part_verdict(*part, parts.front()));
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- gradcheck: {} -->\n<testsuites name=\"gradcheck\" "
                     "tests=\"{}\" failures=\"{}\" errors=\"{}\">\n{}</testsuites>\n",
                     comment_safe(verdict), all.tests, all.failures, all.errors, suites);
}

std::string format_junit(const CheckResult& result, const Subject& subject) {
  return format_junit(std::vector<ReportPart>{{result, subject}});
}

}  // namespace gradcheck
