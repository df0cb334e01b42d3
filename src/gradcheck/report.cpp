#include "gradcheck/report.hpp"

#include <fmt/format.h>

#include <cmath>

namespace gradcheck {
namespace {

std::string layer_verdict(const LayerReport& layer) {
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
  return out;
}

}  // namespace

std::string format_text(const DirectionalResult& r, const DirectionalOptions& o, const Subject& s) {
  std::string out = header(s);
  out += fmt::format("  method     {} random unit directions v per layer: vᵀD against (J(θ + εv) − J(θ − εv)) / 2ε, "
                     "ε = {:g}; Taylor test r(h) = |J(θ + hv) − J(θ) − h vᵀD|, h = {:g} … {:g}; {} evaluations of J\n",
                     o.directions, o.step, o.taylor_start, std::ldexp(o.taylor_start, -o.taylor_halvings), r.evaluations);
  out += fmt::format("  tolerance  relative error of vᵀD ≤ {:g} (floor {:g}); Taylor order ≥ {:g} (2 when D is right, "
                     "1 when wrong)\n\n",
                     o.tolerances.entry, o.tolerances.floor, o.taylor_pass);
  out += fmt::format("  {:<7} {:>16} {:>16} {:>12} {:>13}  {}\n", "layer", "vᵀD (analytic)", "numerical", "rel.err",
                     "Taylor order", "verdict");
  for (const auto& layer : r.layers) {
    // Show the direction with the largest disagreement.
    std::size_t worst = 0;
    for (std::size_t d = 1; d < layer.analytic.size(); ++d)
      if (std::abs(layer.analytic[d] - layer.numerical[d]) > std::abs(layer.analytic[worst] - layer.numerical[worst]))
        worst = d;
    const std::string order = layer.taylor_exact ? "exact" : fmt::format("{:.2f}", layer.taylor_order);
    out += fmt::format("  {:<7} {:>16.9e} {:>16.9e} {:>12.2e} {:>13}  {}\n", fmt::format("Θ^({})", layer.l),
                       layer.analytic.empty() ? 0.0 : layer.analytic[worst],
                       layer.numerical.empty() ? 0.0 : layer.numerical[worst], layer.max_relative_error, order,
                       layer.pass ? "ok" : "MISMATCH");
  }
  if (r.pass) {
    out += "PASS: vᵀD matches the numerical directional derivative in every layer (a fast check: a full check "
           "compares every entry)\n";
  } else {
    std::string failing;
    for (const auto& layer : r.layers)
      if (!layer.pass) failing += fmt::format("{}Θ^({})", failing.empty() ? "" : ", ", layer.l);
    out += fmt::format("FAIL: gradient mismatch in {} (run without --directional to see the entries)\n", failing);
  }
  return out;
}

std::string format_text(const CheckResult& r, const Subject& s) {
  const Tolerances& tol = r.tolerances;
  std::string out = header(s);
  out += fmt::format("  method     {}, {} evaluations of J\n", r.method, r.evaluations);
  out += fmt::format("  tolerance  relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}{}\n",
                     tol.entry, tol.floor, tol.norm, r.cost ? fmt::format(", J ≤ {:g}", tol.cost) : "");
  if (r.cost)
    out += fmt::format("  cost       J = {:.12g} (implementation), {:.12g} (reference): relative error {:.2e}, {}\n",
                       r.cost->implementation, r.cost->reference, r.cost->relative_error, r.cost->pass ? "ok" : "MISMATCH");
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
    out += fmt::format("  † ‖n + a‖ is below the floor {:g}: judged as ‖n − a‖ ≤ {:g} × {:g}, since the figure of a "
                       "(nearly) zero gradient measures rounding noise\n",
                       tol.floor, tol.norm, tol.floor);

  out += "\n  worst entries (a = analytic, the D^(l)_ij under check; n = numerical)\n";
  out += fmt::format("  {:<14} {:<14} {:>20} {:>20} {:>10}\n", "entry", "Octave", "analytic a", "numerical n", "rel.err");
  for (const auto& e : r.worst)
    out += fmt::format("  {:<14} {:<14} {:>20.12e} {:>20.12e} {:>10.2e}\n", format(e.where), format_octave(e.where),
                       e.analytic, e.numerical, e.relative_error);
  if (r.unchecked > 0)
    out += fmt::format("\n  note: {} of {} entries were not sampled (a sampled check covers only some entries per layer)\n",
                       r.unchecked, s.parameters);
  if (r.kinks > 0)
    out += fmt::format("\n  note: {} entr{} skipped: the finite difference straddles a ReLU kink (some z = 0 "
                       "between θ − ε and θ + ε), so it measures a corner, not a derivative\n",
                       r.kinks, r.kinks == 1 ? "y" : "ies");

  out += fmt::format("\n  relative difference ‖n − a‖ / ‖n + a‖ = {:.3e} (the course's figure)\n", r.norm_figure);
  std::string failing;
  for (const auto& layer : r.layers)
    if (!layer.pass) failing += fmt::format("{}Θ^({})", failing.empty() ? "" : ", ", layer.l);
  const bool cost_fails = r.cost && !r.cost->pass;
  if (r.pass) {
    out += r.cost ? "PASS: J and D^(l) match the reference in every layer\n"
                  : "PASS: D^(l) matches the numerical gradient in every layer\n";
  } else if (failing.empty() && cost_fails && r.norm_figure <= tol.norm) {
    out += "FAIL: J differs from the reference J, while the gradient matches the numerical gradient\n";
  } else {
    out += fmt::format("FAIL: gradient mismatch in {}{}{}\n", failing.empty() ? "the overall norm figure" : failing,
                       r.worst.empty() ? "" : fmt::format("; worst entry {}", format(r.worst.front().where)),
                       cost_fails ? "; J differs from the reference J too" : "");
  }
  return out;
}

}  // namespace gradcheck
