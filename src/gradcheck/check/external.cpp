#include "gradcheck/check/external.hpp"
#include "gradcheck/check/external_parts.hpp"

#include "gradcheck/diagnosis/cost_settings.hpp"
#include "gradcheck/diagnosis/diagnosis.hpp"
#include "gradcheck/numeric/finer.hpp"
#include "gradcheck/numeric/incremental.hpp"
#include "gradcheck/io/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <numeric>
#include <random>

namespace gradcheck {
namespace external_parts {

/// The unit rounding of an implementation: 2^-24 where its gradient's entries are numbers a
/// float32 holds (single_precision()), else ε_mach. Not its J's: numpy's float32 sum over m
/// examples, divided by m, is a float64.
double unit_rounding(const Eigen::VectorXd& analytic) {
  return single_precision(analytic) ? 0x1.0p-24 : std::numeric_limits<double>::epsilon();
}

/// What rounding at a float32 implementation's precision `u` could move its J by (`a` J's scale):
/// 100u times |J| and what every z^(l) rounded moves it by, through δ (term_sizes of the
/// residuals). 0 for float64, judged by the tolerance alone.
double J_rounding(double u, double J, const Problem& course, const Weights<double>& theta, double a) {
  if (u == std::numeric_limits<double>::epsilon()) return 0;
  return 100 * u * (std::abs(J) + a * unroll(theta).cwiseAbs().dot(unroll(term_sizes(course, theta, true))));
}

/// The implementation's J against the reference J at θ, in the implementation's conventions:
/// J_yours = a · J_course(λ'); within the tolerance or the `rounding` of J_rounding().
CostComparison compare_cost(double implementation, const Problem& problem, const Weights<double>& theta,
                            const Tolerances& tolerances, double rounding) {
  CostComparison J;
  J.implementation = implementation;
  J.reference = cost_scale(problem) * cost(course_equivalent(problem), theta);
  J.relative_error = relative_error(J.implementation, J.reference, 1e-12);
  J.rounding = rounding;
  J.pass = J.judge(tolerances.cost);
  return J;
}

/// Where the noise measurement moves Θ: a network with ReLU kinks has none after its output
/// layer's weights, so only those move (a kink crossed would pass for noise).
std::vector<Span> noise_lines(const Problem& problem, const Layout& layout) {
  const auto& hidden = problem.architecture.hidden;
  if (std::none_of(hidden.begin(), hidden.end(), kinked)) return {};
  const Index last = layout.matrices();
  return {{layout.offset(last), layout.rows(last) * layout.cols(last)}};
}

ExactGradient exact_gradient(const Problem& course, const Weights<double>& theta, double a) {
  return {a * unroll(backprop(course, theta, KinkSide::left).D), a * unroll(backprop(course, theta, KinkSide::right).D)};
}

}  // namespace external_parts

using namespace external_parts;

namespace {

/// Reference mode: an entry whose difference straddles a kink measures a corner, but backprop
/// takes the branch of z itself, so the reference's exact D judges it instead. Where J has no
/// derivative, either side's D is right; any other value stays unjudged (flagged a kink).
void judge_kinks_by_backprop(Measurements& m, const ExactGradient& exact, const Tolerances& t) {
  for (std::size_t c = 0; c < m.kinks.size(); ++c) {
    if (!m.kinks[c]) continue;
    const Index k = m.coordinates[c];
    const double yours = m.analytic(static_cast<Index>(c));
    const auto agrees = [&](double d) { return relative_error(yours, d, t.floor) <= t.entry; };
    if (exact.defined(k) || agrees(exact.left(k)))
      m.numerical(static_cast<Index>(c)) = exact.left(k);
    else if (agrees(exact.right(k)))
      m.numerical(static_cast<Index>(c)) = exact.right(k);
    else
      continue;
    m.kinks[c] = false;
  }
}

/// Reference mode: an entry of D below the floor is one finite differences cannot measure (their
/// truncation ε²J‴/6 and rounding are about the floor's size), and the floor passes any value
/// there, −D and 0 included. The reference's exact D judges such an entry instead, with its own
/// floor: what rounding at the implementation's precision `u` could move it by (100u times the
/// size of the numbers it is computed from), or 100 times the error its J shows (`J_error`:
/// float32 inside, or a J in a form that cancels), over the entry tolerance. The J error raises
/// it no higher than the floor. Rounding may: a float32 gradient at a fitted θ (D ~ 1e-11, its
/// terms ~ 1) is off by more than the floor allows, and FAILed right. Such an entry is flagged
/// (`stationary`): a layer with one and none resolved judges nothing, −D and 0 passing as well.
void judge_small_by_backprop(Measurements& m, const ExactGradient& exact, const Eigen::VectorXd& sizes, double u,
                             double J_error, const Tolerances& t) {
  m.floors.assign(m.coordinates.size(), t.floor);
  m.stationary.assign(m.coordinates.size(), false);
  for (std::size_t c = 0; c < m.coordinates.size(); ++c) {
    const auto i = static_cast<Index>(c);
    const Index k = m.coordinates[c];
    if ((!m.kinks.empty() && m.kinks[c]) || !(std::max(std::abs(m.analytic(i)), std::abs(m.numerical(i))) < t.floor))
      continue;
    const bool left = exact.defined(k) || relative_error(m.analytic(i), exact.left(k), t.floor) <= t.entry;
    m.numerical(i) = left ? exact.left(k) : exact.right(k);
    const double rounding = 100 * u * sizes(k) / t.entry;
    const double by_J = J_error >= 0 ? std::min(100 * J_error / t.entry, t.floor) : 0;  // a NaN J raises nothing
    m.floors[c] = std::max({by_J, rounding, 1e-12 * t.floor});
    m.stationary[c] = rounding > t.floor;
  }
}

/// Self mode: the entries whose difference straddled a kink, differenced again through the
/// implementation's J at ε/10, ε/100 … with every point on θ's side of every kink (the reference
/// shares the architecture, so it knows where they are), no smaller than J's noise allows. Where
/// J has no derivative, no step does: those stay flagged.
void remeasure_kinks(const std::function<std::vector<double>(const std::vector<Point>&)>& J, Measurements& m, const Problem& course, const Eigen::VectorXd& flat,
                     const ExactGradient& exact, const FiniteDifference& fd, double noise, double J0,
                     const Tolerances& t) {
  const double smallest = smallest_step(noise, J0, t);
  FiniteDifference smaller = fd;
  smaller.progress = nullptr;
  for (double shrink = 10; shrink <= 1e4; shrink *= 10) {
    std::vector<std::size_t> pending;
    for (std::size_t c = 0; c < m.kinks.size(); ++c)
      if (m.kinks[c] && exact.defined(m.coordinates[c])) pending.push_back(c);
    smaller.scaled = false;
    smaller.step = step_for(fd, 0) / shrink;
    if (pending.empty() || smaller.step < smallest) return;
    std::vector<Index> on_one_side;
    for (const std::size_t c : pending) on_one_side.push_back(m.coordinates[c]);
    const std::vector<bool> crossing = kink_crossings(course, flat, smaller, on_one_side);
    std::vector<std::size_t> ready;
    on_one_side.clear();
    for (std::size_t p = 0; p < pending.size(); ++p)
      if (!crossing[p]) ready.push_back(pending[p]), on_one_side.push_back(m.coordinates[pending[p]]);
    if (ready.empty()) continue;
    const NumericalGradient again = numerical_gradient_at_points(J, flat, smaller, on_one_side);
    m.evaluations += again.evaluations;
    for (Index r = 0; r < again.completed; ++r) {
      m.numerical(static_cast<Index>(ready[static_cast<std::size_t>(r)])) = again.gradient(r);
      m.kinks[ready[static_cast<std::size_t>(r)]] = false;
    }
  }
}

/// The catalog's name for a side effect (`changes-inputs`): the diagnosis, where the gradient is
/// right; after the gradient's own mistakes, where it is not.
void name_side_effects(CheckResult& r) {
  Diagnosis& d = r.diagnosis ? *r.diagnosis : r.diagnosis.emplace();
  const std::string said = r.side_effects.front();
  if (d.kind == Diagnosis::Kind::right) {
    d.kind = Diagnosis::Kind::recognised;
    d.summary = "the function changes its inputs in place (a side effect)";
    d.where = said.substr(0, said.find(':'));
    d.evidence = said;
    d.mistakes = {"changes-inputs"};
    return;
  }
  d.mistakes.push_back("changes-inputs");
  d.evidence += "; besides, " + said;
}

}  // namespace
std::vector<Index> sample_coordinates(const Layout& layout, Index count, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<Index> picked;
  for (Index l = 1; l <= layout.matrices(); ++l) {
    std::vector<Index> layer(static_cast<std::size_t>(layout.rows(l) * layout.cols(l)));
    std::iota(layer.begin(), layer.end(), layout.offset(l));
    // A partial Fisher–Yates shuffle with our own draws: the same sample on every platform.
    const auto take = std::min<std::size_t>(layer.size(), static_cast<std::size_t>(std::max<Index>(count, 0)));
    for (std::size_t c = 0; c < take; ++c) {
      const std::size_t swap_with = c + static_cast<std::size_t>(engine() % (layer.size() - c));
      std::swap(layer[c], layer[swap_with]);
    }
    picked.insert(picked.end(), layer.begin(), layer.begin() + static_cast<std::ptrdiff_t>(take));
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

ExternalResult check_external(Channel& child, const Problem& problem, const Weights<double>& theta,
                              const ExternalOptions& options, PrintedOutput* printed) {
  validate(problem);
  validate(problem.architecture, theta);
  const Layout layout(problem.architecture);
  Session session(child, problem, printed, options.protocol);
  Measurements measured;
  const bool sampled = options.coordinates || (options.self && options.sample_per_layer);
  measured.coordinates = options.coordinates ? *options.coordinates
                         : options.self && options.sample_per_layer
                             ? sample_coordinates(layout, *options.sample_per_layer, options.sample_seed)
                             : shard_coordinates(layout.parameters(), 1, 1);

  // Kinks are a property of the architecture, which the implementation shares: find them with
  // the reference, whose numerical gradient reference mode also needs.
  IncrementalOptions reference;
  reference.difference = options.check.difference;
  reference.threads = options.check.threads;
  reference.coordinates = measured.coordinates;
  if (options.self) reference.difference.progress = nullptr;  // the implementation's requests are the long part
  // The reference speaks the course's conventions: J_yours = a · J_course(λ'), so its numerical
  // gradient is a times the course's at λ'.
  const Problem course = course_equivalent(problem);
  const double a = cost_scale(problem);
  // The reference's numerical gradient needs nothing from the implementation: it is measured while
  // the implementation starts and answers request 1 (at ex4's size, 0.5 s of 2 s). Stopped (the
  // user's stop, polled here, or request 1 failing) it finishes the parameter it is on, no more.
  const StopFlag* user_stop = reference.difference.stop;
  StopFlag abandon{false};
  reference.difference.stop = &abandon;
  auto pending = std::async(std::launch::async, [&] { return incremental_gradient(course, theta, reference, &measured.kinks); });
  Reply first;
  try {
    first = session.ask(theta, Want::both);
    if (options.self) require_finite_J(first.J, child.command());
  } catch (...) {
    abandon = true;
    pending.wait();
    throw;
  }
  while (pending.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready)
    if (stop_requested(user_stop)) abandon = true;
  NumericalGradient theirs_or_ours = pending.get();
  theirs_or_ours.gradient *= a;
  const Eigen::VectorXd flat = unroll(theta), analytic = unroll(first.gradient);
  measured.analytic.resize(static_cast<Index>(measured.coordinates.size()));
  for (std::size_t c = 0; c < measured.coordinates.size(); ++c)
    measured.analytic(static_cast<Index>(c)) = analytic(measured.coordinates[c]);

  double noise = 0;  // of the implementation's J, measured in self mode
  const auto J = [&](const std::vector<Point>& at) { return session.costs(at); };
  if (options.self) {
    // The implementation's own J, differenced.
    const NumericalGradient numerical =
        numerical_gradient_at_points(J, flat, options.check.difference, measured.coordinates);
    measured.numerical = numerical.gradient;
    measured.evaluations = numerical.evaluations;
    measured.method = describe(options.check.difference) + " of the implementation's own J";
    measured.own_J = true;
    measured.keep_completed(std::min(numerical.completed, theirs_or_ours.completed));
    // Stopped part-way (a signal): what was measured is reported incomplete, with nothing more asked.
    if (measured.complete) noise = measured_noise([&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      return session.costs(at, directions);
    }, first.J, layout.parameters(), options.check.difference.step, noise_lines(problem, layout));
  } else {
    measured.numerical = theirs_or_ours.gradient;
    measured.evaluations = theirs_or_ours.evaluations;
    measured.method = describe(options.check.difference) + " of the reference J";
    measured.keep_completed(theirs_or_ours.completed);
  }
  CheckOptions judging = options.check;
  if (options.self) {
    judging.tolerances = within_rounding(options.check.difference, first.J, noise, options.check.tolerances, &measured.method);
  }
  const Tolerances& t = judging.tolerances;
  const auto& hidden = problem.architecture.hidden;
  const bool kinks = std::any_of(hidden.begin(), hidden.end(), kinked);
  const ExactGradient exact = exact_gradient(course, theta, a);
  const double u = unit_rounding(analytic);  // the implementation's precision
  const CostComparison J_compared =
      compare_cost(first.J, problem, theta, options.check.tolerances, J_rounding(u, first.J, course, theta, a));
  // The method says the same for every shard of a check, whatever each one met.
  if (options.self) {
    if (measured.complete) remeasure_kinks(J, measured, course, flat, exact, options.check.difference, noise, first.J, t);
    if (kinks) measured.method += "; where it straddles a ReLU kink, again at a smaller ε on one side of it";
    // Entries below the floor that a tiny J lets finer differences judge, never one whose
    // difference at ε straddles a kink (z moves linearly over ε: the finer ones lie within it).
    const KinkCrossings crossing = [&](const std::vector<Index>& coordinates) {
      return kinks ? kink_crossings(course, flat, options.check.difference, coordinates)
                   : std::vector<bool>(coordinates.size(), false);
    };
    if (measured.complete)
      second_look(J, measured, layout, flat, options.check.difference, noise, first.J, t, false, crossing);
    measured.method += "; entries below the floor again at ε/10 and ε/100, judged with the floor their settling allows";
  } else {
    judge_kinks_by_backprop(measured, exact, options.check.tolerances);
    // The implementation's precision, and its J's error in absolute terms. Not J's relative error:
    // a J near 0 computed in a form that cancels (θᵀAᵀAθ − 2θᵀAᵀy + yᵀy) is off by 5e-10 of itself
    // in float64, and that made a floor under which −D passed.
    judge_small_by_backprop(measured, exact, a * unroll(term_sizes(course, theta)), u, std::abs(J_compared.implementation - J_compared.reference),
                            options.check.tolerances);
    measured.method += fmt::format("; entries below the floor {:g}{}, against the reference's exact D (backprop)",
                                   options.check.tolerances.floor, kinks ? " or straddling a ReLU kink" : "");
  }
  ExternalResult out;
  out.result = judge(layout, measured, judging, sampled);
  if (const std::string why = unjudged_kinks(measured, layout, options.self, options.names); !why.empty() && out.result.pass)
    out.result.cannot_judge = why, out.result.pass = false;
  if (const std::string why = options.self ? nothing_moved(measured, first.J, "against the reference (drop --self)") : "";
      !why.empty() && out.result.pass)
    out.result.cannot_judge = why, out.result.pass = false;
  const auto D_l = [&](Index l) { return options.names.gradient(l); };
  if (const std::string why =
          options.self ? at_stationary_point(out.result, D_l, "a random θ, or against the reference (drop --self), which judges small entries by its exact D")
                       : within_its_rounding(out.result, D_l, u == std::numeric_limits<double>::epsilon() ? "float64" : "float32: its gradient's entries are numbers a float32 holds");
      !why.empty() && out.result.pass)
    out.result.cannot_judge = why, out.result.pass = false;
  if (const std::string why = options.self ? cannot_judge(options.check.difference, first.J, noise, t,
                                                         measured_values(measured.analytic, measured.numerical, t, measured.kinks))
                                           : "";
      !why.empty())
    out.result.cannot_judge = out.unjudgeable = why, out.result.pass = false;
  else if (options.self && !options.coordinates)  // a shard keeps the tolerances its merge re-judges with
    judge_beyond_noise(layout, measured, judging, first.J, noise, sampled, out.result);
  if (!options.self) {
    out.result.cost = J_compared;
    out.result.gradient_pass = out.result.pass;
    out.result.pass = out.result.pass && out.result.cost->pass;
  }
  // The catalog is the course's: the implementation's answers go to it in the course's scale.
  Weights<double> in_course = first.gradient;
  for (auto& D : in_course) D /= a;
  Problem as_checked = course;  // the course's numbers, the implementation's words
  as_checked.conventions = problem.conventions;
  out.result.diagnosis = diagnose(as_checked, theta, in_course,
                                  options.self ? std::nullopt : std::optional<double>(first.J / a), out.result,
                                  options.names);
  if (!options.self && options.name_settings && out.result.diagnosis)  // J differs: would other settings give it?
    explain_settings(*out.result.diagnosis, problem, theta, J_compared, options.check.tolerances.cost);
  // The catalog and the patterns are the course's J's. Through the implementation's own J, where
  // its differences are far from the reference's, that J is another function (scaled by 1e-20,
  // say) and they say nothing of it: such a J's mistakes were named "gradient never computed".
  if (options.self && out.result.diagnosis && out.result.diagnosis->kind != Diagnosis::Kind::right) {
    const Index n = measured.numerical.size();
    const Eigen::VectorXd ours = theirs_or_ours.gradient.head(n);
    const double apart = (measured.numerical - ours).norm() / ours.norm();
    if (!(apart <= 1e-3)) {
      Diagnosis& d = *out.result.diagnosis;
      d.kind = Diagnosis::Kind::unrecognised;
      d.mistakes.clear();
      d.summary = "unrecognised discrepancy";
      d.evidence = fmt::format("your J is not the course's J for this problem (its differences are {:.2g} from the "
                               "reference's, relatively), so no mistake of the catalog, all of them the course's, is named",
                               apart);
    }
  }
  // A call that changed its inputs is wrong whatever its gradient: the check fails, saying so.
  out.result.side_effects = session.side_effects();
  if (!out.result.side_effects.empty()) {
    out.result.pass = false;
    name_side_effects(out.result);
  }
  out.measured = std::move(measured);
  out.requests = session.requests();
  return out;
}

}  // namespace gradcheck
