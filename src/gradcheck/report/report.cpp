// The text report of a check, and the verdict line every format opens with.

#include "gradcheck/report/report.hpp"
#include "gradcheck/report/parts.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradcheck {
namespace report_detail {

bool unmeasured(const LayerReport& layer) {
  return layer.unusable.empty() && layer.rows * layer.cols > 0 && layer.unchecked >= layer.rows * layer.cols;
}

std::string layer_verdict(const LayerReport& layer) {
  if (!layer.unusable.empty()) return "FAIL: " + layer.unusable;
  if (unmeasured(layer)) return "not measured (stopped before its entries)";
  if (layer.pass && layer.unresolved) return fmt::format("not judged: below J's resolution {:.2g}", layer.resolution);
  if (layer.pass && layer.in_noise) return fmt::format("not judged: within J's noise ±{:.2g}", layer.resolution);
  if (layer.pass && layer.kinks > 0) return fmt::format("ok ({} on a kink, not judged)", layer.kinks);
  if (layer.pass) return "ok";
  if (layer.mismatches > 0)
    return fmt::format("MISMATCH ({} of {} entries)", layer.mismatches, layer.rows * layer.cols - layer.kinks);
  return "MISMATCH (norm figure)";
}

std::string entry_line(const EntryReport& e, const Names& names) {
  return fmt::format("{}{}: analytic {:.12e}, numerical {:.12e}, relative error {:.2e}", names.entry(e.where),
                     names.course() ? " (" + format_octave(e.where) + ")" : "", e.analytic, e.numerical, e.relative_error);
}

std::string problem_line(const Subject& s) {
  if (s.examples == 0) return fmt::format("P = {} parameters; {}", s.parameters, s.origin);  // a model owns m and λ
  return fmt::format("m = {}, λ = {:g}, P = {} parameters; {}", s.examples, s.lambda, s.parameters, s.origin);
}

bool verdict_only(const CheckResult& r) { return r.cannot_judge || (r.layers.empty() && !r.cost); }

}  // namespace report_detail

namespace {

using namespace report_detail;

std::string header(const Subject& s) {
  std::string out = fmt::format("gradcheck: {}\n", s.title);
  out += fmt::format("  network    {}\n", s.network);
  out += fmt::format("  problem    {}\n", problem_line(s));
  for (const auto& note : s.notes) out += fmt::format("  {}\n", note);
  if (!s.run.empty()) out += fmt::format("  run        {}\n", s.run);
  return out;
}

std::string hint_lines(const Subject& s) {
  std::string out;
  for (const auto& hint : s.hints) out += fmt::format("  hint       {}\n", hint);
  return out;
}

/// The layers of `r` that fail, in `names`: "Theta1, Theta2".
std::string failing_layers(const CheckResult& r, const Names& names) {
  std::string failing;
  for (const auto& layer : r.layers)
    if (!layer.pass) failing += (failing.empty() ? "" : ", ") + names.layer(layer.l);
  return failing;
}

}  // namespace

std::string mistakes_first(const std::vector<std::string>& mistakes, const std::string& rest, bool others_only) {
  std::string out = "FAIL: ";
  for (std::size_t i = 0; i < mistakes.size(); ++i) out += (i ? "; " : "") + mistakes[i];
  const auto starts = [&](std::string_view word) { return rest.rfind(word, 0) == 0; };
  if (rest.empty()) return out;
  if (starts("PASS: "))
    return out + (others_only ? "; the other tensors' gradients match central differences of the implementation's own J"
                              : "; apart from that, " + rest.substr(6));
  if (starts("FAIL: ")) return out + "; and " + rest.substr(6);
  if (starts("CANNOT JUDGE: ")) return out + "; the rest cannot be judged: " + rest.substr(14);
  if (starts("INCOMPLETE: ")) return out + "; the rest is incomplete: " + rest.substr(12);
  return out + "; " + rest;
}

std::string cost_verdict(const CostComparison& J, double tolerance) {
  if (!J.pass) return "MISMATCH";
  if (J.relative_error <= tolerance) return "ok";
  return fmt::format("ok (within float32 rounding, ±{:.1e})", J.rounding);
}

std::string verdict_line(const CheckResult& r, const Names& names) {
  if (r.failure) return "ERROR: " + *r.failure;
  if (fails_regardless(r)) {
    // The mistakes no number decides first, then what the layers measured show.
    std::vector<std::string> mistakes = r.side_effects;
    CheckResult rest = r;
    rest.side_effects.clear();
    rest.layers.clear();
    for (const auto& layer : r.layers) {
      if (layer.unusable.empty()) {
        rest.layers.push_back(layer);
      } else {
        mistakes.push_back(names.layer(layer.l) + ": " + layer.unusable);
        rest.unchecked -= std::min(rest.unchecked, layer.rows * layer.cols);  // not a sample's: said above
      }
    }
    if (rest.layers.empty()) return mistakes_first(mistakes, "", false);
    rest.worst.erase(std::remove_if(rest.worst.begin(), rest.worst.end(),
                                    [&](const EntryReport& e) { return !r.layers[static_cast<std::size_t>(e.where.l - 1)].unusable.empty(); }),
                     rest.worst.end());
    rest.pass = std::all_of(rest.layers.begin(), rest.layers.end(), [](const LayerReport& l) { return l.pass; }) &&
                (!rest.cost || rest.cost->pass);
    return mistakes_first(mistakes, verdict_line(rest, names), rest.layers.size() < r.layers.size());
  }
  if (r.cannot_judge) return "CANNOT JUDGE: " + *r.cannot_judge;
  const std::string failing = failing_layers(r, names);
  if (!r.complete && r.measured() == 0)
    return "INCOMPLETE: " + (r.caveat.empty() ? std::string("stopped before any entry was measured") : r.caveat);
  if (!r.complete) {
    return fmt::format("INCOMPLETE: stopped after {} of {} entries; {}", r.measured(), r.entry_errors.size(),
                       failing.empty() ? "no mismatch among them" : "mismatch among them in " + failing);
  }
  if (r.pass && r.unchecked > 0)  // a sample vouches for the entries it measured only
    return fmt::format("PASS: the {} entries sampled across the {} match {} ({} not sampled){}", r.measured(),
                       names.style() == Names::Style::tensors ? "tensors" : "layers",
                       names.style() == Names::Style::tensors ? "central differences of the implementation's own J"
                                                              : "the numerical gradient",
                       r.unchecked, r.caveat.empty() ? "" : " (" + r.caveat + ")");
  const Names::Style style = names.style();
  const bool course = names.course();  // D^(l) is the course's notation; the user's code says "the gradient"
  if (r.pass && style == Names::Style::tensors)
    return "PASS: every tensor's gradient matches central differences of the implementation's own J" +
           (r.caveat.empty() ? "" : " (" + r.caveat + ")");
  if (r.pass)
    return (r.cost ? fmt::format("PASS: J and {} match the reference in every layer", course ? "D^(l)" : "the gradient")
                   : fmt::format("PASS: {} matches the numerical gradient in every layer", course ? "D^(l)" : "the gradient")) +
           (r.caveat.empty() ? "" : " (" + r.caveat + ")");
  const bool cost_fails = r.cost && !r.cost->pass;
  const std::string named = r.diagnosis && r.diagnosis->kind == Diagnosis::Kind::recognised
                               ? "; likely mistake: " + r.diagnosis->summary
                               : "";
  if (failing.empty() && cost_fails && r.norm_figure <= r.tolerances.norm)
    return "FAIL: J differs from the reference J, while the gradient matches the numerical gradient" + named;
  return fmt::format("FAIL: gradient mismatch in {}{}{}{}", failing.empty() ? "the overall norm figure" : failing,
                     r.worst.empty() ? "" : fmt::format("; worst entry {}", names.entry(r.worst.front().where)),
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

namespace {

/// The fast mode's verdict in one line.
std::string directional_verdict(const DirectionalResult& r, const Names& names) {
  std::string failing;
  for (const auto& layer : r.layers)
    if (!layer.pass && layer.at_kink != DirectionalLayer::AtKink::unjudged)
      failing += (failing.empty() ? "" : ", ") + names.layer(layer.l);
  const bool J_differs = r.cost && !r.cost->pass;
  if (!r.side_effects.empty()) {
    DirectionalResult rest = r;
    rest.side_effects.clear();
    rest.pass = std::all_of(r.layers.begin(), r.layers.end(), [](const DirectionalLayer& l) { return l.pass; }) && !J_differs;
    return mistakes_first(r.side_effects, directional_verdict(rest, names), false);
  }
  if (r.cannot_judge) return "CANNOT JUDGE: " + *r.cannot_judge;
  if (r.pass) {
    std::string by_reference;
    for (const auto& layer : r.layers)
      if (layer.at_kink == DirectionalLayer::AtKink::by_reference)
        by_reference += (by_reference.empty() ? "" : ", ") + names.layer(layer.l);
    return fmt::format("PASS: {}vᵀD matches the numerical directional derivative in every layer{} (a fast check: a "
                       "full check compares every entry)", r.cost ? "J matches the reference and " : "",
                       by_reference.empty() ? "" : ", D the reference's entry by entry in " + by_reference + " (on a kink)");
  }
  const std::string named = r.diagnosis && r.diagnosis->kind == Diagnosis::Kind::recognised
                               ? "; likely mistake: " + r.diagnosis->summary
                               : "";
  if (failing.empty() && J_differs)
    return "FAIL: J differs from the reference J (the gradient agrees with the reference along every direction)" + named;
  return fmt::format("FAIL: gradient mismatch in {}{} (run without --directional to see the entries){}", failing,
                     J_differs ? ", and J differs from the reference J" : "", named);
}

}  // namespace

std::string format_text(const DirectionalResult& r, const DirectionalOptions& o, const Subject& s) {
  const std::string verdict = directional_verdict(r, s.names);
  std::string out = verdict + "\n" + header(s);
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
  if (r.diagnosis && r.diagnosis->kind != Diagnosis::Kind::right)
    out += fmt::format("  diagnosis  {}\n  where      {}\n  evidence   {}\n\n", r.diagnosis->summary, r.diagnosis->where,
                       r.diagnosis->evidence);
  std::size_t width = 7;
  for (const auto& layer : r.layers) width = std::max(width, display_width(s.names.layer(layer.l)));
  out += fmt::format("  {:<{}} {:>16} {:>16} {:>12} {:>13}  {}\n", "layer", width, "vᵀD (analytic)", "numerical", "rel.err",
                     "Taylor order", "verdict");
  for (const auto& layer : r.layers) {
    // Show the direction with the largest disagreement.
    std::size_t worst = 0;
    for (std::size_t d = 1; d < layer.analytic.size(); ++d)
      if (std::abs(layer.analytic[d] - layer.numerical[d]) > std::abs(layer.analytic[worst] - layer.numerical[worst]))
        worst = d;
    const std::string order = taylor_shown(layer);
    out += fmt::format("  {:<{}} {:>16.9e} {:>16.9e} {:>12.2e} {:>13}  {}\n", s.names.layer(layer.l), width,
                       layer.analytic.empty() ? 0.0 : layer.analytic[worst],
                       layer.numerical.empty() ? 0.0 : layer.numerical[worst], layer.max_relative_error, order,
                       layer.at_kink == DirectionalLayer::AtKink::unjudged ? "not judged: z = 0 (a kink)"
                       : layer.at_kink == DirectionalLayer::AtKink::by_reference
                           ? fmt::format("{} (z = 0: entries against the reference's D)", layer.pass ? "ok" : "MISMATCH")
                       : layer.pass && layer.unresolved ? fmt::format("not judged: below J's resolution {:.2g}", layer.resolution)
                       : layer.pass && layer.in_noise   ? fmt::format("not judged: within J's noise ±{:.2g}", layer.resolution)
                                                        : layer.pass ? "ok" : "MISMATCH");
  }
  return out + verdict + "\n";
}

std::string report_detail::text_body(const CheckResult& r, const Subject& s) {
  const Tolerances& tol = r.tolerances;
  const Names& names = s.names;
  std::string out = header(s);
  for (const auto& said : r.side_effects) out += fmt::format("  mistake    {}\n", said);
  if (verdict_only(r)) return out + hint_lines(s);
  out += fmt::format("  method     {}, {} evaluations of J\n", r.method, r.evaluations);
  out += fmt::format("  tolerance  relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}{}\n",
                     tol.entry, tol.floor, tol.norm, r.cost ? fmt::format(", J ≤ {:g}", tol.cost) : "");
  if (r.cost)
    out += fmt::format("  cost       J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}, {}\n",
                       r.cost->implementation, r.cost->reference, r.cost->relative_error, cost_verdict(*r.cost, r.tolerances.cost));
  out += "\n";

  std::size_t width = 7;
  for (const auto& layer : r.layers) width = std::max(width, display_width(names.layer(layer.l)));
  out += fmt::format("  {:<{}} {:<9} {:>12} {:>12} {:>14}  {}\n", "layer", width, names.course() ? "D^(l)" : "shape",
                     "max rel.err", "mean rel.err", "‖n−a‖/‖n+a‖", "verdict");
  bool floored = false;
  for (const auto& layer : r.layers) {
    out += fmt::format("  {:<{}} {:<9} {:>12.2e} {:>12.2e} {:>13.2e}{:1}  {}\n", names.layer(layer.l), width,
                       fmt::format("{} × {}", layer.rows, layer.cols), layer.max_relative_error,
                       layer.mean_relative_error, layer.norm_figure, layer.norm_floored ? "†" : "",
                       layer_verdict(layer));
    floored = floored || layer.norm_floored;
  }
  if (floored || r.norm_floored)
    out += fmt::format("  † ‖n + a‖ is below the floor {:g}: the figure of a (nearly) zero gradient measures rounding "
                       "noise, so its entries are judged one by one, each within {:g} × its floor\n",
                       tol.floor, tol.entry);

  // The user's names first; the course's Octave beside the course's notation.
  std::size_t name_width = 14;
  for (const auto& e : r.worst) name_width = std::max(name_width, display_width(names.entry(e.where)));
  const auto entry_columns = [&](const EntryReport& e) {
    return fmt::format("  {:<{}} {}", names.entry(e.where), name_width,
                       names.course() ? fmt::format("{:<14} ", format_octave(e.where)) : "");
  };
  out += fmt::format("\n  worst entries (a = analytic, the gradient under check; n = numerical)\n  {:<{}} {}{:>20} {:>20} {:>10}\n",
                     "entry", name_width, names.course() ? fmt::format("{:<14} ", "Octave") : "", "analytic a",
                     "numerical n", "rel.err");
  for (const auto& e : r.worst)
    out += fmt::format("{}{:>20.12e} {:>20.12e} {:>10.2e}\n", entry_columns(e), e.analytic, e.numerical, e.relative_error);
  if (!r.not_finite.empty()) {
    constexpr std::size_t shown = 20;
    out += fmt::format("\n  not finite: {} entr{} NaN or ±∞ (each fails the check)\n", r.not_finite.size(),
                       r.not_finite.size() == 1 ? "y is" : "ies are");
    for (std::size_t k = 0; k < std::min(shown, r.not_finite.size()); ++k)
      out += fmt::format("{}{:>20.12e} {:>20.12e}\n", entry_columns(r.not_finite[k]), r.not_finite[k].analytic,
                         r.not_finite[k].numerical);
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
  return out + hint_lines(s);
}

std::string format_text(const CheckResult& r, const Subject& s) {
  const std::string verdict = verdict_line(r, s.names);
  return verdict + "\n" + text_body(r, s) + verdict + "\n";
}

std::string format_text(const CheckResult& result) {
  Subject subject;
  subject.names = Names(Names::Style::eigen);  // a C++ caller's std::vector<Eigen::MatrixXd>
  subject.title = "gradient of a cost-and-gradient function against central differences of its own J";
  std::string shapes;
  for (const auto& layer : result.layers) {
    shapes += fmt::format("{}{} {} × {}", shapes.empty() ? "" : ", ", subject.names.layer(layer.l), layer.rows, layer.cols);
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
