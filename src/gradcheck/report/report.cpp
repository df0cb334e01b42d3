#include "gradcheck/report/report.hpp"

#include <fmt/format.h>

#include <cmath>

namespace gradcheck {
namespace {

std::string layer_verdict(const LayerReport& layer) {
  if (layer.pass && layer.unresolved) return fmt::format("not judged: below J's resolution {:.2g}", layer.resolution);
  if (layer.pass && layer.in_noise) return fmt::format("not judged: within J's noise ±{:.2g}", layer.resolution);
  if (layer.pass && layer.kinks > 0) return fmt::format("ok ({} on a kink, not judged)", layer.kinks);
  if (layer.pass) return "ok";
  if (layer.mismatches > 0)
    return fmt::format("MISMATCH ({} of {} entries)", layer.mismatches, layer.rows * layer.cols - layer.kinks);
  return "MISMATCH (norm figure)";
}

std::string header(const Subject& s) {
  std::string out = fmt::format("gradcheck: {}\n", s.title);
  out += fmt::format("  network    {}\n", s.network);
  out += fmt::format("  problem    m = {}, λ = {:g}, P = {} parameters; {}\n", s.examples, s.lambda, s.parameters, s.origin);
  for (const auto& note : s.notes) out += fmt::format("  {}\n", note);
  if (!s.run.empty()) out += fmt::format("  run        {}\n", s.run);
  return out;
}

std::string entry_line(const EntryReport& e) {
  return fmt::format("{} ({}): analytic {:.12e}, numerical {:.12e}, relative error {:.2e}", format(e.where),
                     format_octave(e.where), e.analytic, e.numerical, e.relative_error);
}

std::string hint_lines(const Subject& s) {
  std::string out;
  for (const auto& hint : s.hints) out += fmt::format("  hint       {}\n", hint);
  return out;
}

/// An error, a check that cannot judge, or one stopped before anything was measured: no method or
/// tables to show, the header and the verdict say it all.
bool verdict_only(const CheckResult& r) { return r.failure || r.cannot_judge || (r.layers.empty() && !r.cost); }

}  // namespace

std::string cost_verdict(const CostComparison& J, double tolerance) {
  if (!J.pass) return "MISMATCH";
  if (J.relative_error <= tolerance) return "ok";
  return fmt::format("ok (within float32 rounding, ±{:.1e})", J.rounding);
}

std::string verdict_line(const CheckResult& r) {
  if (r.failure) return "ERROR: " + *r.failure;
  if (r.cannot_judge) return "CANNOT JUDGE: " + *r.cannot_judge;
  std::string failing;
  for (const auto& layer : r.layers)
    if (!layer.pass) failing += fmt::format("{}Θ^({})", failing.empty() ? "" : ", ", layer.l);
  if (!r.complete && r.measured() == 0) return "INCOMPLETE: stopped before any entry was measured";
  if (!r.complete) {
    return fmt::format("INCOMPLETE: stopped after {} of {} entries; {}", r.measured(), r.entry_errors.size(),
                       failing.empty() ? "no mismatch among them" : "mismatch among them in " + failing);
  }
  if (r.pass && r.unchecked > 0)  // a sample vouches for the entries it measured only
    return fmt::format("PASS: the {} entries sampled across the layers match the numerical gradient ({} not sampled){}",
                       r.measured(), r.unchecked, r.caveat.empty() ? "" : " (" + r.caveat + ")");
  if (r.pass)
    return std::string(r.cost ? "PASS: J and D^(l) match the reference in every layer"
                              : "PASS: D^(l) matches the numerical gradient in every layer") +
           (r.caveat.empty() ? "" : " (" + r.caveat + ")");
  const bool cost_fails = r.cost && !r.cost->pass;
  const std::string named = r.diagnosis && r.diagnosis->kind == Diagnosis::Kind::recognised
                               ? "; likely mistake: " + r.diagnosis->summary
                               : "";
  if (failing.empty() && cost_fails && r.norm_figure <= r.tolerances.norm)
    return "FAIL: J differs from the reference J, while the gradient matches the numerical gradient" + named;
  return fmt::format("FAIL: gradient mismatch in {}{}{}{}", failing.empty() ? "the overall norm figure" : failing,
                     r.worst.empty() ? "" : fmt::format("; worst entry {}", format(r.worst.front().where)),
                     cost_fails ? "; J differs from the reference J too" : "", named);
}

std::string escape_markup(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string format_junit(const CheckResult& r, const Subject& s) {
  const bool error = !r.complete || r.failure || r.cannot_judge;
  const std::size_t cases = r.layers.size() + (r.cost ? 1 : 0) + (error ? 1 : 0);
  const int errors = error ? 1 : 0;
  std::size_t failures = 0;
  for (const auto& layer : r.layers) failures += layer.pass ? 0 : 1;
  if (r.cost && !r.cost->pass) ++failures;
  const std::string suite = fmt::format("gradcheck: {}", s.title);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"gradcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", cases, failures,
                     errors);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">\n",
                     escape_markup(suite), cases, failures, errors);
  out += "    <properties>\n";
  const std::pair<const char*, std::string> properties[] = {
      {"network", s.network},
      {"problem", fmt::format("m = {}, λ = {:g}, P = {}; {}", s.examples, s.lambda, s.parameters, s.origin)},
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
  if (!s.run.empty()) out += fmt::format("      <property name=\"run\" value=\"{}\"/>\n", escape_markup(s.run));
  out += "    </properties>\n";
  const std::string classname = escape_markup("gradcheck." + s.network.substr(0, s.network.find(',')));
  for (const auto& layer : r.layers) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", classname,
                       escape_markup(fmt::format("Θ^({}) ({} × {})", layer.l, layer.rows, layer.cols)));
    if (!layer.pass) {
      const std::string message =
          fmt::format("{}: {} of {} entries exceed relative error {:g}; ‖n − a‖/‖n + a‖ = {:.2e}{}", verdict_line(r),
                      layer.mismatches, layer.rows * layer.cols - layer.kinks - layer.unchecked, r.tolerances.entry,
                      layer.norm_figure, layer.worst.empty() ? "" : "; worst " + entry_line(layer.worst.front()));
      std::string body;
      for (const auto& e : layer.worst) body += entry_line(e) + "\n";
      out += fmt::format("      <failure type=\"GradientMismatch\" message=\"{}\">{}</failure>\n", escape_markup(message), escape_markup(body));
    }
    out += "    </testcase>\n";
  }
  if (r.cost) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"J\" time=\"0\">\n", classname);
    if (!r.cost->pass)
      out += fmt::format("      <failure type=\"CostMismatch\" message=\"{}\"/>\n",
                         escape_markup(fmt::format("J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}",
                                         r.cost->implementation, r.cost->reference, r.cost->relative_error)));
    out += "    </testcase>\n";
  }
  if (r.failure)
    out += fmt::format("    <testcase classname=\"{}\" name=\"implementation\" time=\"0\">\n      <error "
                       "type=\"ImplementationFailed\" message=\"{}\"/>\n    </testcase>\n", classname,
                       escape_markup(verdict_line(r)));
  else if (r.cannot_judge)
    out += fmt::format("    <testcase classname=\"{}\" name=\"judged\" time=\"0\">\n      <error "
                       "type=\"CannotJudge\" message=\"{}\"/>\n    </testcase>\n", classname,
                       escape_markup(verdict_line(r)));
  else if (!r.complete)
    out += fmt::format("    <testcase classname=\"{}\" name=\"complete\" time=\"0\">\n      <error type=\"Interrupted\" "
                       "message=\"{}\"/>\n    </testcase>\n", classname, escape_markup(verdict_line(r)));
  out += fmt::format("    <system-out>{}</system-out>\n", escape_markup(format_text(r, s)));
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string format_markdown(const CheckResult& r, const Subject& s) {
  std::string out = fmt::format("### gradcheck: {} {}\n\n", r.pass ? "✅" : "❌", verdict_line(r));
  if (r.diagnosis && r.diagnosis->kind != Diagnosis::Kind::right)
    out += fmt::format("**diagnosis: {}**  \nwhere: {}  \nevidence: {}\n\n", r.diagnosis->summary, r.diagnosis->where,
                       r.diagnosis->evidence);
  for (const auto& hint : s.hints) out += fmt::format("> hint: {}\n\n", hint);
  out += fmt::format("**{}**  \n", s.title);
  out += fmt::format("network: {}  \nproblem: m = {}, λ = {:g}, P = {}; {}  \n", s.network, s.examples, s.lambda,
                     s.parameters, s.origin);
  for (const auto& note : s.notes) out += note + "  \n";
  if (!s.run.empty()) out += "run: " + s.run + "  \n";
  if (verdict_only(r)) return out;
  out += fmt::format("method: {}, {} evaluations of J  \n", r.method, r.evaluations);
  out += fmt::format("tolerance: relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}\n\n",
                     r.tolerances.entry, r.tolerances.floor, r.tolerances.norm);
  if (r.cost)
    out += fmt::format("J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}, **{}**\n\n",
                       r.cost->implementation, r.cost->reference, r.cost->relative_error, cost_verdict(*r.cost, r.tolerances.cost));
  out += "| layer | D^(l) | max rel. error | mean rel. error | ‖n−a‖/‖n+a‖ | verdict |\n|---|---|---:|---:|---:|---|\n";
  for (const auto& layer : r.layers)
    out += fmt::format("| Θ^({}) | {} × {} | {:.2e} | {:.2e} | {:.2e} | {} |\n", layer.l, layer.rows, layer.cols,
                       layer.max_relative_error, layer.mean_relative_error, layer.norm_figure, layer_verdict(layer));
  out += "\n<details><summary>worst entries</summary>\n\n"
         "| entry | " + std::string(s.layout == WeightLayout::theta ? "Octave" : "yours") +
         " | analytic a | numerical n | rel. error |\n|---|---|---:|---:|---:|\n";
  for (const auto& e : r.worst)
    out += fmt::format("| {} | `{}` | {:.12e} | {:.12e} | {:.2e} |\n", format(e.where), format_in(e.where, s.layout), e.analytic,
                       e.numerical, e.relative_error);
  out += "\n</details>\n";
  if (!r.not_finite.empty()) {
    out += fmt::format("\n**{} entr{} NaN or ±∞:**", r.not_finite.size(), r.not_finite.size() == 1 ? "y is" : "ies are");
    for (std::size_t k = 0; k < std::min<std::size_t>(20, r.not_finite.size()); ++k)
      out += fmt::format("{} {} = {:g} (n = {:g})", k ? "," : "", format(r.not_finite[k].where), r.not_finite[k].analytic,
                         r.not_finite[k].numerical);
    out += r.not_finite.size() > 20 ? fmt::format(", … and {} more\n", r.not_finite.size() - 20) : "\n";
  }
  out += fmt::format("\nthe course's figure ‖n − a‖/‖n + a‖ = {:.3e}\n", r.norm_figure);
  return out;
}

std::string format_text(const DirectionalResult& r, const DirectionalOptions& o, const Subject& s) {
  std::string out = header(s);
  out += fmt::format("  method     {} random unit directions v per layer: vᵀD against (J(θ + εv) − J(θ − εv)) / 2ε, "
                     "ε = {:g}; Taylor test r(h) = |J(θ + hv) − J(θ) − h vᵀD|, h = {:g} … {:g}{}; {} evaluations of J\n",
                     o.directions, o.step, o.taylor_start, std::ldexp(o.taylor_start, -o.taylor_halvings),
                     describe_beyond_noise(r), r.evaluations);
  out += fmt::format("  tolerance  relative error of vᵀD ≤ {:g} (floor {:g}); Taylor order ≥ {:g} (2 when D is right, "
                     "1 when wrong), or the error of vᵀD a lower order implies, in brackets, ≤ {:g}\n\n",
                     o.tolerances.entry, o.tolerances.floor, o.taylor_pass, o.tolerances.entry);
  if (r.cost)
    out += fmt::format("  cost       J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e} (≤ {:g}), {}\n\n",
                       r.cost->implementation, r.cost->reference, r.cost->relative_error, o.tolerances.cost,
                       cost_verdict(*r.cost, o.tolerances.cost));
  out += fmt::format("  {:<7} {:>16} {:>16} {:>12} {:>13}  {}\n", "layer", "vᵀD (analytic)", "numerical", "rel.err",
                     "Taylor order", "verdict");
  for (const auto& layer : r.layers) {
    // Show the direction with the largest disagreement.
    std::size_t worst = 0;
    for (std::size_t d = 1; d < layer.analytic.size(); ++d)
      if (std::abs(layer.analytic[d] - layer.numerical[d]) > std::abs(layer.analytic[worst] - layer.numerical[worst]))
        worst = d;
    const std::string order = taylor_shown(layer);
    out += fmt::format("  {:<7} {:>16.9e} {:>16.9e} {:>12.2e} {:>13}  {}\n", fmt::format("Θ^({})", layer.l),
                       layer.analytic.empty() ? 0.0 : layer.analytic[worst],
                       layer.numerical.empty() ? 0.0 : layer.numerical[worst], layer.max_relative_error, order,
                       layer.at_kink == DirectionalLayer::AtKink::unjudged ? "not judged: z = 0 (a kink)"
                       : layer.at_kink == DirectionalLayer::AtKink::by_reference
                           ? fmt::format("{} (z = 0: entries against the reference's D)", layer.pass ? "ok" : "MISMATCH")
                       : layer.pass && layer.unresolved ? fmt::format("not judged: below J's resolution {:.2g}", layer.resolution)
                       : layer.pass && layer.in_noise   ? fmt::format("not judged: within J's noise ±{:.2g}", layer.resolution)
                                                        : layer.pass ? "ok" : "MISMATCH");
  }
  std::string failing;
  for (const auto& layer : r.layers)
    if (!layer.pass && layer.at_kink != DirectionalLayer::AtKink::unjudged)
      failing += fmt::format("{}Θ^({})", failing.empty() ? "" : ", ", layer.l);
  const bool J_differs = r.cost && !r.cost->pass;
  if (r.cannot_judge) {
    out += "CANNOT JUDGE: " + *r.cannot_judge + "\n";
  } else if (r.pass) {
    std::string by_reference;
    for (const auto& layer : r.layers)
      if (layer.at_kink == DirectionalLayer::AtKink::by_reference)
        by_reference += fmt::format("{}Θ^({})", by_reference.empty() ? "" : ", ", layer.l);
    out += fmt::format("PASS: {}vᵀD matches the numerical directional derivative in every layer{} (a fast check: a "
                       "full check compares every entry)\n", r.cost ? "J matches the reference and " : "",
                       by_reference.empty() ? "" : ", D the reference's entry by entry in " + by_reference + " (on a kink)");
  } else if (failing.empty() && J_differs) {
    out += "FAIL: J differs from the reference J (the gradient agrees with the reference along every direction)\n";
  } else {
    out += fmt::format("FAIL: gradient mismatch in {}{} (run without --directional to see the entries)\n", failing,
                       J_differs ? ", and J differs from the reference J" : "");
  }
  return out;
}

std::string format_text(const CheckResult& r, const Subject& s) {
  const Tolerances& tol = r.tolerances;
  std::string out = header(s);
  if (verdict_only(r)) return out + hint_lines(s) + verdict_line(r) + "\n";
  out += fmt::format("  method     {}, {} evaluations of J\n", r.method, r.evaluations);
  out += fmt::format("  tolerance  relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}{}\n",
                     tol.entry, tol.floor, tol.norm, r.cost ? fmt::format(", J ≤ {:g}", tol.cost) : "");
  if (r.cost)
    out += fmt::format("  cost       J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}, {}\n",
                       r.cost->implementation, r.cost->reference, r.cost->relative_error, cost_verdict(*r.cost, r.tolerances.cost));
  out += "\n";

  out += fmt::format("  {:<7} {:<9} {:>12} {:>12} {:>14}  {}\n", "layer", "D^(l)", "max rel.err", "mean rel.err",
                     "‖n−a‖/‖n+a‖", "verdict");
  bool floored = false;
  for (const auto& layer : r.layers) {
    out += fmt::format("  {:<7} {:<9} {:>12.2e} {:>12.2e} {:>13.2e}{:1}  {}\n", fmt::format("Θ^({})", layer.l),
                       fmt::format("{} × {}", layer.rows, layer.cols), layer.max_relative_error,
                       layer.mean_relative_error, layer.norm_figure, layer.norm_floored ? "†" : "",
                       layer_verdict(layer));
    floored = floored || layer.norm_floored;
  }
  if (floored || r.norm_floored)
    out += fmt::format("  † ‖n + a‖ is below the floor {:g}: the figure of a (nearly) zero gradient measures rounding "
                       "noise, so its entries are judged one by one, each within {:g} × its floor\n",
                       tol.floor, tol.entry);

  out += "\n  worst entries (a = analytic, the D^(l)_ij under check; n = numerical)\n";
  const std::string yours = s.layout == WeightLayout::theta ? "Octave" : "yours";
  out += fmt::format("  {:<14} {:<14} {:>20} {:>20} {:>10}\n", "entry", yours, "analytic a", "numerical n", "rel.err");
  for (const auto& e : r.worst)
    out += fmt::format("  {:<14} {:<14} {:>20.12e} {:>20.12e} {:>10.2e}\n", format(e.where), format_in(e.where, s.layout),
                       e.analytic, e.numerical, e.relative_error);
  if (!r.not_finite.empty()) {
    constexpr std::size_t shown = 20;
    out += fmt::format("\n  not finite: {} entr{} NaN or ±∞ (each fails the check)\n", r.not_finite.size(),
                       r.not_finite.size() == 1 ? "y is" : "ies are");
    for (std::size_t k = 0; k < std::min(shown, r.not_finite.size()); ++k) {
      const EntryReport& e = r.not_finite[k];
      out += fmt::format("  {:<14} {:<14} {:>20.12e} {:>20.12e}\n", format(e.where), format_in(e.where, s.layout), e.analytic,
                         e.numerical);
    }
    if (r.not_finite.size() > shown)
      out += fmt::format("  … and {} more (the JSON report lists every one)\n", r.not_finite.size() - shown);
  }
  if (r.unchecked > 0)
    out += fmt::format("\n  note: {} of {} entries were not sampled (a sampled check covers only some entries per layer)\n",
                       r.unchecked, s.parameters);
  if (r.kinks > 0)
    out += fmt::format("\n  note: {} entr{} skipped: the finite difference straddles a ReLU kink (some z = 0 "
                       "between θ − ε and θ + ε), so it measures a corner, not a derivative\n",
                       r.kinks, r.kinks == 1 ? "y" : "ies");

  out += fmt::format("\n  relative difference ‖n − a‖ / ‖n + a‖ = {:.3e} (the course's figure)\n", r.norm_figure);
  if (r.diagnosis && r.diagnosis->kind != Diagnosis::Kind::right) {
    const Diagnosis& d = *r.diagnosis;
    out += fmt::format("  diagnosis  {}\n", d.summary);
    out += fmt::format("  where      {}\n", d.where);
    out += fmt::format("  evidence   {}\n", d.evidence);
  }
  if (!s.smallest.empty()) {
    std::string indented = s.smallest;
    for (std::size_t at = indented.find('\n'); at != std::string::npos; at = indented.find('\n', at + 1))
      indented.insert(at + 1, "             ");
    out += fmt::format("  smallest   {}\n", indented);
  }
  out += hint_lines(s);
  out += verdict_line(r) + "\n";
  return out;
}

std::string format_text(const CheckResult& result) {
  Subject subject;
  subject.title = "gradient of a cost-and-gradient function against central differences of its own J";
  std::string shapes;
  for (const auto& layer : result.layers) {
    shapes += fmt::format("{}Θ^({}) {} × {}", shapes.empty() ? "" : ", ", layer.l, layer.rows, layer.cols);
    subject.parameters += layer.rows * layer.cols;
  }
  subject.network = shapes.empty() ? "(no layers)" : shapes;
  std::string out = format_text(result, subject);
  // The problem line speaks of m and λ, which a cost-and-gradient function keeps to itself.
  const auto problem = out.find("  problem ");
  if (problem != std::string::npos) {
    const auto end = out.find('\n', problem);
    out.replace(problem, end - problem, fmt::format("  problem    P = {} parameters", subject.parameters));
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const CheckResult& result) { return out << format_text(result); }

}  // namespace gradcheck
