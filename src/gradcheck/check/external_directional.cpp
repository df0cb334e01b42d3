// The fast mode through an implementation (external.hpp): its gradient along a few random
// directions per layer and the Taylor test, against the reference's J or its own.

#include "gradcheck/check/external.hpp"
#include "gradcheck/check/external_parts.hpp"

#include "gradcheck/diagnosis/cost_settings.hpp"
#include "gradcheck/io/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradcheck {

using namespace external_parts;

namespace {

/// Fast mode: a layer some unit with z = 0 exactly moves with has no directional derivative, so
/// its probes measure a corner. The reference judges it entry by entry (either side's D where
/// J has no derivative); through the implementation's own J it gets no verdict.
void judge_layers_at_kinks(DirectionalResult& r, const Layout& layout, const Eigen::VectorXd& analytic,
                           const ExactGradient& exact, bool self, const Tolerances& t, const Names& names) {
  std::vector<Index> counts(static_cast<std::size_t>(layout.matrices()) + 1, 0);
  bool failing = false;
  for (DirectionalLayer& layer : r.layers) {
    const auto agrees = [&](Index k, double d) { return relative_error(analytic(k), d, t.floor) <= t.entry; };
    Index undefined = 0;
    bool wrong = false, undecided = false;
    for (Index k = layout.offset(layer.l); k < layout.offset(layer.l) + layout.rows(layer.l) * layout.cols(layer.l); ++k) {
      if (exact.defined(k)) {
        wrong = wrong || !agrees(k, exact.left(k));
      } else {
        ++undefined;
        undecided = undecided || !(agrees(k, exact.left(k)) || agrees(k, exact.right(k)));
      }
    }
    if (undefined == 0) continue;
    using AtKink = DirectionalLayer::AtKink;
    layer.at_kink = self || (undecided && !wrong) ? AtKink::unjudged : AtKink::by_reference;
    layer.pass = layer.at_kink == AtKink::by_reference && !wrong;
    if (layer.at_kink == AtKink::unjudged) counts[static_cast<std::size_t>(layer.l)] = undefined;
  }
  r.pass = std::all_of(r.layers.begin(), r.layers.end(), [](const DirectionalLayer& l) { return l.pass; }) &&
           (!r.cost || r.cost->pass);
  for (const DirectionalLayer& layer : r.layers) failing = failing || (!layer.pass && layer.at_kink != DirectionalLayer::AtKink::unjudged);
  if (const std::string why = on_kinks(counts, self, names); !why.empty() && !failing) r.cannot_judge = why;
}

}  // namespace

DirectionalResult check_external_directional(Channel& child, const Problem& problem, const Weights<double>& theta,
                                             const ExternalOptions& options, const DirectionalOptions& directional,
                                             PrintedOutput* printed, std::size_t& requests) {
  validate(problem);
  validate(problem.architecture, theta);
  const Layout layout(problem.architecture);
  Session session(child, problem, printed, options.protocol);
  const Reply first = session.ask(theta, Want::both);
  if (options.self) require_finite_J(first.J, child.command());
  const Eigen::VectorXd flat = unroll(theta), analytic = unroll(first.gradient);
  // The fast mode has no entries to list a NaN among: it is the implementation's failure, as in
  // the full mode's report (exit 3).
  if (const Index bad = static_cast<Index>(std::find_if(analytic.begin(), analytic.end(), [](double d) { return !std::isfinite(d); }) -
                                           analytic.begin());
      bad < analytic.size())
    throw ImplementationError(fmt::format("{}: NaN or ±∞ in {} of its gradient's entries, first at {} = {}, in reply to "
                                          "request 1", child.command(), (!analytic.array().isFinite()).count(),
                                          format(layout.entry(bad)), analytic(bad)));
  const Problem course = course_equivalent(problem);
  const double a = cost_scale(problem);
  DirectionalResult result;
  double noise = 0;
  DirectionalOptions probes = directional;
  if (options.self) {
    const auto J = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      return session.costs(at, directions);
    };
    noise = measured_noise(J, first.J, layout.parameters(), options.check.difference.step, noise_lines(problem, layout));
    probes.noise = noise;
    probes.tolerances = within_rounding(options.check.difference, first.J, noise, probes.tolerances);
    result = check_directional_at_points(J, flat, analytic, layout, probes);
  } else {
    const auto J = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      std::vector<double> values;
      for (const Point& p : at)
        values.push_back(a * cost(course, reroll(layout, p.step == 0 ? flat : Eigen::VectorXd(flat + p.step * directions[static_cast<std::size_t>(p.index)]))));
      return values;
    };
    // The reference's J is as noisy as its rounding: measured the same way, for the derivatives below the floor.
    probes.noise = measured_noise(J, a * cost(course, theta), layout.parameters(), options.check.difference.step,
                                  noise_lines(problem, layout));
    result = check_directional_at_points(J, flat, analytic, layout, probes);
    result.cost = compare_cost(first.J, problem, theta, options.check.tolerances,
                               J_rounding(unit_rounding(analytic), first.J, course, theta, a));
    result.pass = result.pass && result.cost->pass;
    if (!result.cost->pass && options.name_settings) {
      Diagnosis d;  // no catalog in the fast mode: only the settings can name a J that differs
      d.kind = Diagnosis::Kind::unrecognised;
      d.summary = "unrecognised discrepancy";
      d.where = fmt::format("J is {:.12g}, the reference's {:.12g}", result.cost->implementation, result.cost->reference);
      explain_settings(d, problem, theta, *result.cost, options.check.tolerances.cost);
      result.diagnosis = d;
    }
  }
  const auto& hidden = problem.architecture.hidden;
  if (std::any_of(hidden.begin(), hidden.end(), kinked))
    judge_layers_at_kinks(result, layout, analytic, exact_gradient(course, theta, a), options.self, probes.tolerances, options.names);
  const auto D_l = [&](Index l) { return options.names.gradient(l); };
  if (const std::string why = unsettled_layers(result, D_l);
      !why.empty() && !result.cannot_judge)
    result.cannot_judge = why, result.pass = false;
  if (const std::string why = at_stationary_point(
          result, D_l,
          options.self ? "a random θ, or against the reference (drop --self)" : "a random θ, or in the full mode (drop --directional), which judges small entries by the reference's exact D");
      !why.empty() && result.pass)
    result.cannot_judge = why, result.pass = false;
  if (const std::string why = options.self ? cannot_judge(options.check.difference, first.J, noise, probes.tolerances,
                                                         measured_values(result, probes.tolerances))
                                           : "";
      !why.empty()) {
    result.cannot_judge = why, result.pass = false;
    label_within_noise(result, options.check.difference, first.J, noise, probes.tolerances);
  } else if (options.self) {
    judge_beyond_noise(result, options.check.difference, first.J, noise, probes.tolerances);
  }
  result.side_effects = session.side_effects();
  if (!result.side_effects.empty()) result.pass = false;
  requests = session.requests();
  return result;
}

}  // namespace gradcheck
