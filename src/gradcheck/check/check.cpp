#include "gradcheck/check/check.hpp"
#include "gradcheck/check/noise.hpp"
#include "gradcheck/check/rounded.hpp"
#include "gradcheck/diagnosis/diagnosis.hpp"
#include "gradcheck/numeric/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <cmath>

namespace gradcheck {
namespace {

/// Which ReLU units are active (z > 0), for every example and every ReLU layer, in one vector.
std::vector<bool> relu_pattern(const Problem& problem, const Weights<double>& theta) {
  const Architecture& arch = problem.architecture;
  const ForwardPass<double> pass = forward(problem, theta);
  std::vector<bool> pattern;
  for (Index l = 2; l < arch.layers(); ++l)
    if (kinked(arch.activation(l)))
      for (const double z : pass.z[static_cast<std::size_t>(l - 1)].reshaped()) pattern.push_back(z > 0);
  return pattern;
}

}  // namespace

std::vector<bool> kink_crossings(const Problem& problem, const Eigen::VectorXd& theta, const FiniteDifference& fd,
                                 const std::vector<Index>& coordinates) {
  const auto& hidden = problem.architecture.hidden;
  std::vector<bool> kinks(coordinates.size(), false);
  if (std::none_of(hidden.begin(), hidden.end(), kinked)) return kinks;

  const Layout layout(problem.architecture);
  const std::vector<bool> centre = relu_pattern(problem, reroll(layout, theta));
  Eigen::VectorXd moved = theta;
  for (std::size_t c = 0; c < coordinates.size(); ++c) {
    const Index k = coordinates[c];
    for (const double offset : stencil_of(fd).offsets) {
      moved(k) = theta(k) + offset * step_for(fd, theta(k));
      if (relu_pattern(problem, reroll(layout, moved)) != centre) {
        kinks[c] = true;
        break;
      }
    }
    moved(k) = theta(k);
  }
  return kinks;
}

std::vector<bool> kink_crossings(const Problem& problem, const Eigen::VectorXd& theta, const FiniteDifference& fd) {
  return kink_crossings(problem, theta, fd, shard_coordinates(theta.size(), 1, 1));
}


MeasuredValues measured_values(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical,
                               const Tolerances& tolerances, const std::vector<bool>& kinks) {
  MeasuredValues out{std::numeric_limits<double>::infinity(), 0};
  for (Index i = 0; i < analytic.size(); ++i) {
    const double a = analytic(i), n = numerical(i);
    if (!std::isfinite(a) || !std::isfinite(n) || (!kinks.empty() && kinks[static_cast<std::size_t>(i)])) continue;
    out.smallest = std::min(out.smallest, std::max(std::abs(a), std::abs(n)));
    if (!(relative_error(a, n, tolerances.floor) <= tolerances.entry)) out.mismatch = std::max(out.mismatch, std::abs(a - n));
  }
  return out;
}

std::string unsettled_layers(const DirectionalResult& result, const std::function<std::string(Index)>& name) {
  std::string corners;
  for (const DirectionalLayer& layer : result.layers) {
    if (!layer.pass && layer.at_kink != DirectionalLayer::AtKink::unjudged) return "";  // a mismatch beats it
    if (layer.at_kink == DirectionalLayer::AtKink::unjudged) corners += (corners.empty() ? "" : ", ") + name(layer.l);
  }
  if (corners.empty()) return "";
  return fmt::format("the directional derivatives along {} do not settle as ε shrinks (ε, ε/10, ε/100, ε/1000): J has a corner "
                     "(ReLU, max-pool, abs) within ε/100 of θ, where it has no derivative; check at another θ, or drop "
                     "--directional (the full check names the entries)", corners);
}

MeasuredValues measured_values(const DirectionalResult& result, const Tolerances& tolerances) {
  MeasuredValues out{std::numeric_limits<double>::infinity(), 0};
  for (const DirectionalLayer& layer : result.layers) {
    if (layer.at_kink == DirectionalLayer::AtKink::unjudged) continue;
    const MeasuredValues values = measured_values(
        Eigen::Map<const Eigen::VectorXd>(layer.analytic.data(), static_cast<Index>(layer.analytic.size())),
        Eigen::Map<const Eigen::VectorXd>(layer.numerical.data(), static_cast<Index>(layer.numerical.size())), tolerances);
    out.smallest = std::min(out.smallest, values.smallest);
    out.mismatch = std::max(out.mismatch, values.mismatch);
  }
  return out;
}

Tolerances within_rounding(const FiniteDifference& fd, double J, double noise, Tolerances tolerances,
                           std::string* method) {
  const double sigma = noise_of(J, noise);
  if (fd.scaled || !only_rounding(J, sigma)) return tolerances;
  const double floor = std::min(2 * sigma / (fd.step * tolerances.entry), ToleranceCaps::floor);
  if (!(floor > tolerances.floor)) return tolerances;
  tolerances.floor = floor;
  if (method) *method += fmt::format("; floor {:.2g}, below which J's rounding resolves nothing", floor);
  return tolerances;
}

namespace {

/// Whether J's noise σ (noise_of) moves a quotient at the floor, or at the smallest value
/// measured if larger, by more than half the entry tolerance.
bool noisy_at_floor(const FiniteDifference& fd, double sigma, const Tolerances& tolerances, const MeasuredValues& values) {
  return !(sigma / (fd.step * std::max(tolerances.floor, values.smallest)) <= tolerances.entry / 2);  // NaN is noisy
}

/// |a − n| where the floor judges it (both below the floor), 0 where it is judged relatively or
/// is not a number: what judge_beyond_noise() weighs against the noise's reach.
double floor_judged_gap(double a, double n, const Tolerances& t) {
  const double gap = std::abs(a - n);
  return std::max(std::abs(a), std::abs(n)) < t.floor && std::isfinite(gap) ? gap : 0;
}

/// Whether a layer not wrong beyond the noise strays, at `apart` (its largest floor_judged_gap),
/// past a quarter of the noise's reach t.entry × t.floor (4σ/ε, where a right one's rarely do):
/// within the noise, not judged, rather than ok.
bool within_noise_only(double apart, const Tolerances& t) { return apart > t.entry * t.floor / 4; }

/// Whether some value fails by more than the noise can move a quotient, 16σ/ε.
bool fails_beyond_noise(const FiniteDifference& fd, double sigma, const MeasuredValues& values) {
  return values.mismatch > noise_reach(sigma, fd.step);
}

}  // namespace

std::string cannot_judge(const FiniteDifference& fd, double J, double noise, const Tolerances& tolerances,
                         const MeasuredValues& values) {
  noise = noise_of(J, noise);
  const double at_floor = noise / (fd.step * std::max(tolerances.floor, values.smallest));
  if (!noisy_at_floor(fd, noise, tolerances, values) || fails_beyond_noise(fd, noise, values)) return "";
  if (!std::isfinite(noise))  // no advice on precision or dropout mends a J that is not a number
    return fmt::format("J is NaN or ±∞ at a point near θ (J = {:.3g} at θ; measuring its noise, θ + i·{:g}·v): a log(0) or "
                       "an overflow a small step from θ, so no difference near θ can be trusted; check at another θ, or "
                       "guard the log (log(max(h, 1e-300)))", J, fd.step);
  if (only_rounding(J, noise))
    return fmt::format("J = {:.3g} keeps its changes only to its own rounding, σ = {:.2g}, so differences of it resolve "
                       "entries of the gradient only above {:.2g}, and some entries lie below that; check a J of order "
                       "1 (fewer examples, their mean rather than their sum, no large constant added)",
                       J, noise, 2 * noise / (fd.step * tolerances.entry));
  return fmt::format("J is noisy: its measured noise σ = {:.2g} (J = {:.3g}; ECnoise's differences along a direction) "
                     "moves a difference quotient at the floor by σ/(ε·floor) = {:.2g}, above half the entry tolerance "
                     "{:g}, so a right entry could fail in it and a wrong one hide; compute J in float64 for the check "
                     "(numpy dtype=np.float64, PyTorch .double()) with nothing random in it (dropout off: model.eval())",
                     noise, J, at_floor, tolerances.entry);
}

/// The tolerances with the floor raised to what J's noise σ moves a quotient by, 16σ/ε over the
/// tolerance, where that noise matters at the floor; nullopt where it does not.
std::optional<Tolerances> within_noise(const FiniteDifference& fd, double J, double noise, const Tolerances& tolerances,
                                       const MeasuredValues& values) {
  noise = noise_of(J, noise);
  if (!noisy_at_floor(fd, noise, tolerances, values)) return std::nullopt;
  Tolerances t = tolerances;
  t.floor = std::max(t.floor, noise_reach(noise, fd.step) / t.entry);
  return t;
}

std::optional<Tolerances> beyond_noise(const FiniteDifference& fd, double J, double noise, const Tolerances& tolerances,
                                       const MeasuredValues& values) {
  if (!fails_beyond_noise(fd, noise_of(J, noise), values)) return std::nullopt;
  return within_noise(fd, J, noise, tolerances, values);
}

double rounding_allowance(double step) { return 1e-11 / step; }

Tolerances default_tolerances(const FiniteDifference& fd) {
  struct Row {
    Scheme scheme;
    int order;
    double fixed_entry, fixed_norm, scaled_entry, scaled_norm;
  };
  static constexpr Row table[] = {
      {Scheme::central, 2, 1e-4, 1e-5, 1e-6, 1e-8},     {Scheme::central, 4, 1e-7, 1e-9, 1e-7, 1e-9},
      {Scheme::central, 6, 1e-7, 1e-9, 1e-7, 1e-9},     {Scheme::richardson, 4, 1e-7, 1e-9, 1e-7, 1e-9},
      {Scheme::richardson, 6, 1e-7, 1e-9, 1e-8, 1e-10},
  };
  stencil_of(fd);  // throws for a stencil that does not exist
  Tolerances t;
  for (const Row& row : table) {
    if (row.scheme != fd.scheme || row.order != fd.order) continue;
    if (fd.scaled) {
      t.entry = row.scaled_entry;
      t.norm = row.scaled_norm;
    } else {
      // Truncation error grows as ε^order from the calibrated ε = 1e-4; rounding error,
      // ε_mach·|J|/ε relative to entries of D at the floor, is added on its own (measured for
      // central 2: 2.3e-7 at ε = 1e-5, far below the truncation error at 1e-4), whichever is larger.
      const double truncation = std::max(1.0, std::pow(fd.step / 1e-4, fd.order));
      t.entry = std::max(row.fixed_entry * truncation, rounding_allowance(fd.step));
      t.norm = std::max(row.fixed_norm * truncation, rounding_allowance(fd.step) / 10);
    }
  }
  return t;
}

std::pair<double, double> accepted_steps(const FiniteDifference& fd) {
  FiniteDifference probe = fd;
  probe.scaled = false;
  const auto within_caps = [&](double step) {
    probe.step = step;
    const Tolerances t = default_tolerances(probe);
    return t.entry <= ToleranceCaps::entry && t.norm <= ToleranceCaps::norm;
  };
  // Both ends by bisection in log ε around the calibrated 1e-4, which is always accepted.
  const auto edge = [&](double inside, double outside) {
    for (int k = 0; k < 60; ++k) {
      const double mid = std::sqrt(inside * outside);
      (within_caps(mid) ? inside : outside) = mid;
    }
    return inside;
  };
  return {edge(1e-4, 1e-300), edge(1e-4, 1.0)};
}

Tolerances sound_tolerances(const FiniteDifference& fd, std::optional<double> entry, std::optional<double> norm,
                            double floor) {
  if (!fd.scaled) {
    const auto [smallest, largest] = accepted_steps(fd);
    if (!(fd.step >= smallest * (1 - 1e-9) && fd.step <= largest * (1 + 1e-9)))
      throw std::invalid_argument(fmt::format(
          "--epsilon {:g} is too {} for {}: {} would need tolerances above {:g} per entry, where a planted mistake "
          "could pass; expected {:.3g} ≤ ε ≤ {:.3g} for this stencil (or --scaled-step)",
          fd.step, fd.step < smallest ? "small" : "large", describe(fd),
          fd.step < smallest ? "rounding error ε_mach·|J|/ε" : "truncation error, growing as ε^order,",
          ToleranceCaps::entry, smallest, largest));
  }
  if (!(floor <= ToleranceCaps::floor))
    throw std::invalid_argument(fmt::format("--floor {:g} is above {:g}: entries of D smaller than the floor are judged "
                                            "absolutely, so a mistake in them could pass; expected 0 < floor ≤ {:g}",
                                            floor, ToleranceCaps::floor, ToleranceCaps::floor));
  if (entry && !(*entry <= ToleranceCaps::entry))
    throw std::invalid_argument(fmt::format("--tolerance {:g} is above {:g}, where the catalog's planted mistakes start "
                                            "(≥ 2.2e-3 per entry): a wrong gradient could pass; expected 0 < tolerance ≤ {:g}",
                                            *entry, ToleranceCaps::entry, ToleranceCaps::entry));
  if (norm && !(*norm <= ToleranceCaps::norm))
    throw std::invalid_argument(fmt::format("--norm-tolerance {:g} is above {:g}, where the catalog's planted mistakes "
                                            "start (≥ 5.2e-4 on a layer's norm figure): a wrong gradient could pass; "
                                            "expected 0 < norm tolerance ≤ {:g}",
                                            *norm, ToleranceCaps::norm, ToleranceCaps::norm));
  Tolerances t = default_tolerances(fd);
  t.entry = std::min(entry.value_or(t.entry), ToleranceCaps::entry);
  t.norm = std::min(norm.value_or(t.norm), ToleranceCaps::norm);
  t.floor = floor;
  return t;
}

Tolerances for_an_implementation(Tolerances method, std::optional<double> entry, std::optional<double> norm) {
  const Tolerances calibrated = default_tolerances(FiniteDifference{});
  if (!entry) method.entry = std::max(method.entry, calibrated.entry);
  if (!norm) method.norm = std::max(method.norm, calibrated.norm);
  return method;
}

std::string cannot_judge(const FiniteDifference& fd, const Eigen::Ref<const Eigen::VectorXd>& theta) {
  if (fd.scaled || theta.size() == 0) return "";
  Eigen::Index k = 0;
  const double largest = theta.cwiseAbs().maxCoeff(&k);
  if (!(fd.step >= largest * 1e-10))
    return fmt::format("the step ε = {:g} is below |θ_{}| · 1e-10 = {:g}: θ ± ε keeps fewer than 6 significant digits "
                       "of the difference, so the numerical gradient is rounding noise; use --scaled-step, or ε ≥ {:.2g}",
                       fd.step, k, largest * 1e-10, largest * 1e-10);
  return "";
}

void require_resolvable(const FiniteDifference& fd, const Tolerances& tolerances) {
  if (fd.scaled) return;
  // A difference quotient's rounding, relative to an entry of D at the floor, for a J of order 1:
  // J(θ ± ε) each carry ε_mach·|J|/2 of it. A J far from 1 is the measured noise's business (the
  // implementation's own J), or cancels nowhere (the reference sums per-example changes).
  const double noise = std::numeric_limits<double>::epsilon() / (fd.step * tolerances.floor);
  if (noise <= tolerances.entry / 2) return;
  throw std::invalid_argument(fmt::format(
      "--tolerance {:g} with --floor {:g} at ε = {:g} asks for more than a difference quotient resolves: its rounding "
      "alone, ε_mach/(ε·floor) = {:.2g} of an entry at the floor, would fail a right gradient; expected --tolerance ≥ "
      "{:.2g}, or a larger --floor or --epsilon", tolerances.entry, tolerances.floor, fd.step, noise, 2 * noise));
}

Tolerances complex_step_tolerances() {
  Tolerances t;
  t.entry = 1e-9;
  t.norm = 1e-12;
  return t;
}

bool judge_beyond_noise(const Layout& layout, const Measurements& measured, const CheckOptions& options, double J,
                        double noise, bool sampled, CheckResult& result) {
  if (result.pass || !measured.complete) return false;
  const std::optional<Tolerances> t =
      beyond_noise(options.difference, J, noise, options.tolerances,
                   measured_values(measured.analytic, measured.numerical, options.tolerances, measured.kinks));
  if (!t) return false;
  CheckOptions again = options;
  again.tolerances = *t;
  Measurements m = measured;
  m.floors.clear();                                     // every entry against the raised floor
  m.stationary.assign(m.coordinates.size(), true);      // a layer the noise resolves nowhere: not judged
  m.method += fmt::format("; J's noise σ = {:.2g} moves a quotient by up to 16σ/ε = {:.2g}, so only differences beyond "
                          "it are judged", noise_of(J, noise), t->floor * t->entry);
  CheckResult r = judge(layout, m, again, sampled);
  if (r.pass) return false;  // never: the values that let the FAIL stand differ by more than that
  // A layer not wrong beyond the noise whose entries the raised floor judges stray within it: not
  // judged rather than ok. Entries above the floor are judged relatively, and ok means that.
  std::vector<double> apart(static_cast<std::size_t>(layout.matrices()) + 1, 0);
  for (std::size_t c = 0; c < m.coordinates.size(); ++c) {
    const auto i = static_cast<Index>(c);
    if (m.kinks.empty() || !m.kinks[c]) {
      double& layer = apart[static_cast<std::size_t>(layout.entry(m.coordinates[c]).l)];
      layer = std::max(layer, floor_judged_gap(m.analytic(i), m.numerical(i), *t));
    }
  }
  for (LayerReport& layer : r.layers)
    if (layer.pass && !layer.unresolved && within_noise_only(apart[static_cast<std::size_t>(layer.l)], *t))
      layer.in_noise = true, layer.resolution = t->entry * t->floor;
  result = std::move(r);
  return true;
}

namespace {

/// Each layer of a fast check judged on its directional derivatives alone, against `t` (the floor
/// raised to J's noise): MISMATCH where one differs beyond what the noise moves a quotient by;
/// within it, `ok` only where every |a − n| the floor judges is within a quarter of that reach (a
/// right one's quotients rarely stray a quarter: 4σ/ε), else not judged: within J's noise.
/// Returns whether a layer is wrong.
bool judge_layers_in_noise(DirectionalResult& result, const Tolerances& t) {
  const double reach = t.entry * t.floor;
  bool failing = false;
  for (DirectionalLayer& layer : result.layers) {
    if (layer.at_kink != DirectionalLayer::AtKink::no) continue;  // judged on its entries, or not at all
    bool wrong = false, resolved = false;
    double apart = 0;
    layer.max_relative_error = 0;
    for (std::size_t d = 0; d < layer.analytic.size(); ++d) {
      const double e = relative_error(layer.analytic[d], layer.numerical[d], t.floor);
      layer.max_relative_error = std::max(layer.max_relative_error, e);
      wrong = wrong || !(e <= t.entry);
      resolved = resolved || !(std::abs(layer.numerical[d]) <= reach);
      apart = std::max(apart, floor_judged_gap(layer.analytic[d], layer.numerical[d], t));
    }
    layer.taylor_in_noise = true;
    layer.pass = !wrong;
    layer.unresolved = !wrong && !resolved;
    layer.in_noise = !wrong && resolved && within_noise_only(apart, t);
    layer.resolution = layer.unresolved || layer.in_noise ? reach : 0;
    failing = failing || wrong;
  }
  return failing;
}

}  // namespace

bool judge_beyond_noise(DirectionalResult& result, const FiniteDifference& fd, double J, double noise,
                        const Tolerances& tolerances) {
  if (result.pass) return false;
  const std::optional<Tolerances> t = beyond_noise(fd, J, noise, tolerances, measured_values(result, tolerances));
  if (!t) return false;
  DirectionalResult again = result;
  if (!judge_layers_in_noise(again, *t)) return false;  // never: the values that let the FAIL stand differ by more than that
  again.pass = false;
  again.cannot_judge.reset();
  again.beyond_noise = t->entry * t->floor;
  result = std::move(again);
  return true;
}

void label_within_noise(DirectionalResult& result, const FiniteDifference& fd, double J, double noise,
                        const Tolerances& tolerances) {
  const std::optional<Tolerances> t = within_noise(fd, J, noise, tolerances, measured_values(result, tolerances));
  if (!t) return;
  DirectionalResult again = result;
  if (judge_layers_in_noise(again, *t)) return;  // never: nothing fails beyond the noise where it cannot judge
  again.beyond_noise = t->entry * t->floor;
  result = std::move(again);
}

CheckResult judge(const Layout& layout, const Measurements& measured, const CheckOptions& options, bool sampled) {
  const Index P = layout.parameters();
  const auto n = static_cast<Index>(measured.coordinates.size());
  if (measured.analytic.size() != n || measured.numerical.size() != n ||
      !(measured.kinks.empty() || static_cast<Index>(measured.kinks.size()) == n) ||
      !(measured.floors.empty() || static_cast<Index>(measured.floors.size()) == n))
    throw std::invalid_argument("measurements hold different numbers of coordinates and values");
  Eigen::VectorXd analytic = Eigen::VectorXd::Constant(P, std::numeric_limits<double>::quiet_NaN());
  Eigen::VectorXd numerical = analytic;
  std::vector<bool> kinks(static_cast<std::size_t>(P), false), seen(static_cast<std::size_t>(P), false);
  std::vector<double> floors;
  if (!measured.floors.empty()) floors.assign(static_cast<std::size_t>(P), options.tolerances.floor);
  if (!(measured.stationary.empty() || static_cast<Index>(measured.stationary.size()) == n))
    throw std::invalid_argument("measurements hold different numbers of coordinates and stationary flags");
  std::vector<bool> stationary(static_cast<std::size_t>(P), false);
  for (Index c = 0; c < n; ++c) {
    const Index k = measured.coordinates[static_cast<std::size_t>(c)];
    if (k < 0 || k >= P || seen[static_cast<std::size_t>(k)])
      throw std::invalid_argument("parameter " + std::to_string(k) + " is measured twice or does not exist (P = " +
                                  std::to_string(P) + ")");
    seen[static_cast<std::size_t>(k)] = true;
    analytic(k) = measured.analytic(c);
    numerical(k) = measured.numerical(c);
    kinks[static_cast<std::size_t>(k)] = !measured.kinks.empty() && measured.kinks[static_cast<std::size_t>(c)];
    stationary[static_cast<std::size_t>(k)] = !measured.stationary.empty() && measured.stationary[static_cast<std::size_t>(c)];
    if (!floors.empty()) {
      // Above the tolerances' floor only where flagged: a layer of those none resolves is not judged.
      const double floor = measured.floors[static_cast<std::size_t>(c)];
      if (!(floor > 0 && (floor <= options.tolerances.floor || (stationary[static_cast<std::size_t>(k)] && std::isfinite(floor)))))
        throw std::invalid_argument("the floor of parameter " + std::to_string(k) + " is " + std::to_string(floor) +
                                    "; expected 0 < floor ≤ the tolerances' floor, or a flagged entry's");
      floors[static_cast<std::size_t>(k)] = floor;
    }
  }
  if (n != P && !sampled && measured.complete)
    throw std::invalid_argument("measurements cover " + std::to_string(n) + " of the " + std::to_string(P) +
                                " parameters; expected every one");
  std::vector<bool> unchecked;
  if (n != P) unchecked.assign(seen.size(), false);
  for (std::size_t k = 0; k < unchecked.size(); ++k) unchecked[k] = !seen[k];
  CheckResult result = compare(layout, analytic, numerical, options.tolerances, kinks, options.worst, unchecked, floors);
  bool any_resolved = false;
  for (LayerReport& layer : result.layers) {
    bool flagged = false, resolved = false;
    for (Index k = layout.offset(layer.l); k < layout.offset(layer.l) + layer.rows * layer.cols; ++k) {
      if (result.skipped[static_cast<std::size_t>(k)]) continue;
      const double resolution = options.tolerances.entry * (floors.empty() ? options.tolerances.floor : floors[static_cast<std::size_t>(k)]);
      flagged = flagged || stationary[static_cast<std::size_t>(k)];
      resolved = resolved || !(std::abs(numerical(k)) <= resolution);
      layer.resolution = std::max(layer.resolution, resolution);
    }
    layer.unresolved = flagged && !resolved;
    any_resolved = any_resolved || resolved;
  }
  // Through the implementation's own J, a check none of whose entries J resolves judged nothing,
  // flat or not (J = 1 + 1e-12·f passes −D within its rounding).
  for (LayerReport& layer : result.layers) {
    layer.unresolved = layer.unresolved || (measured.own_J && !any_resolved && layer.rows * layer.cols > layer.kinks + layer.unchecked);
    if (!layer.unresolved) layer.resolution = 0;
  }
  result.method = measured.method;
  result.evaluations = measured.evaluations;
  result.complete = measured.complete;
  result.pass = result.pass && result.complete;
  return result;
}

/// Why entries on a kink forbid a PASS, from how many there are in each layer (counts[l]).
std::string on_kinks(const std::vector<Index>& counts, bool self, const Names& names, const std::string& why_unjudged) {
  std::string where, only;
  Index total = 0, layers = 0;
  for (std::size_t l = 1; l < counts.size(); ++l)
    if (counts[l] > 0) {
      only = names.layer(static_cast<Index>(l));
      where += fmt::format("{}{} in {}", where.empty() ? "" : ", ", counts[l], only), total += counts[l], ++layers;
    }
  if (total == 0) return "";
  where = layers == 1 ? "of " + only : "(" + where + ")";
  return fmt::format("{} entr{} {} sit on a ReLU kink: some z = 0 exactly at θ (a Θ initialised to zero?), where J "
                     "has no derivative, and {}; check at a θ off the kinks (a random θ)",
                     total, total == 1 ? "y" : "ies", where,
                     !why_unjudged.empty() ? why_unjudged
                     : self ? "differences of your J cannot judge them (reference mode judges them by the reference's D)"
                            : "yours match neither the reference's D with g′(0) = 0 nor with g′(0) = 1");
}

/// Why entries still flagged at a kink forbid a PASS: J has no derivative there (some z = 0
/// exactly at θ), or none could be measured on one side of it. Empty when none is left.
std::string unjudged_kinks(const Measurements& m, const Layout& layout, bool self, const Names& names,
                           const std::string& why_unjudged) {
  std::vector<Index> counts(static_cast<std::size_t>(layout.matrices()) + 1, 0);
  for (std::size_t c = 0; c < m.kinks.size(); ++c)
    if (m.kinks[c]) ++counts[static_cast<std::size_t>(layout.entry(m.coordinates[c]).l)];
  return on_kinks(counts, self, names, why_unjudged);
}

std::string nothing_moved(const Measurements& m, double J0, const std::string& instead) {
  if (m.numerical.size() == 0 || (m.numerical.array() != 0).any() || (m.analytic.array() != 0).any()) return "";
  return fmt::format("J = {:.12g} at θ and at every point measured near it, and every entry of the gradient is 0: a J that "
                     "does not move cannot tell a backprop from none (the course's starter code is so); check {}",
                     J0, instead);
}

/// (name, resolution) of each unresolved layer of a full or a fast check.
template <class Layers>
std::vector<std::pair<std::string, double>> unresolved(const Layers& layers, const std::function<std::string(Index)>& name) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& layer : layers)
    if (layer.unresolved) out.emplace_back(name(layer.l), layer.resolution);
  return out;
}

std::string at_stationary_point(const CheckResult& result, const std::function<std::string(Index)>& name,
                                const std::string& instead) {
  return at_stationary_point(unresolved(result.layers, name), instead);
}

std::string at_stationary_point(const DirectionalResult& result, const std::function<std::string(Index)>& name,
                                const std::string& instead) {
  return at_stationary_point(unresolved(result.layers, name), instead);
}

/// The unresolved layers' names, "D^(1), D^(2) and D^(3)", and the largest resolution among them.
static std::pair<std::string, double> listed(const std::vector<std::pair<std::string, double>>& unresolved) {
  std::string which;
  double resolution = 0;
  for (std::size_t i = 0; i < unresolved.size(); ++i) {
    which += (i == 0 ? "" : i + 1 == unresolved.size() ? " and " : ", ") + unresolved[i].first;
    resolution = std::max(resolution, unresolved[i].second);
  }
  return {which, resolution};
}

std::string at_stationary_point(const std::vector<std::pair<std::string, double>>& unresolved, const std::string& instead) {
  if (unresolved.empty()) return "";
  const auto [which, resolution] = listed(unresolved);
  return fmt::format("{} {} below what differences of your J resolve (any |a − n| ≤ {:.2g} passes), where −D or 0 would "
                     "pass as well: θ is at or near a stationary point of J (a fitted θ?), or J's changes are lost in its "
                     "rounding (a large constant in J?); check at {}", which, unresolved.size() == 1 ? "lies" : "lie",
                     resolution, instead);
}

std::string within_its_rounding(const CheckResult& result, const std::function<std::string(Index)>& name,
                                const std::string& precision) {
  const auto layers = unresolved(result.layers, name);
  if (layers.empty()) return "";
  const auto [which, resolution] = listed(layers);
  const bool one = layers.size() == 1;
  return fmt::format("{} {} within what rounding at your implementation's precision ({}) could move {} by (any |a − n| ≤ "
                     "{:.2g} passes), where −D or 0 would pass as well: θ is at or near a stationary point of J (a fitted "
                     "θ?), where D is tiny beside the numbers it is computed from; check at a random θ, or compute in "
                     "float64", which, one ? "lies" : "lie", precision, one ? "it" : "them", resolution);
}

double smallest_step(double noise, double J0, const Tolerances& tolerances) {
  const double sigma = std::max(noise, std::numeric_limits<double>::epsilon() * std::abs(J0));
  return 4 * sigma / (tolerances.floor * tolerances.entry);
}

void Measurements::keep_completed(Index completed) {
  if (completed >= static_cast<Index>(coordinates.size())) return;
  complete = false;
  coordinates.resize(static_cast<std::size_t>(completed));
  analytic.conservativeResize(completed);
  numerical.conservativeResize(completed);
  if (!kinks.empty()) kinks.resize(static_cast<std::size_t>(completed));
  if (!floors.empty()) floors.resize(static_cast<std::size_t>(completed));
  if (!stationary.empty()) stationary.resize(static_cast<std::size_t>(completed));
}

std::vector<Index> shard_coordinates(Index parameters, Index index, Index count) {
  if (count < 1 || index < 1 || index > count)
    throw std::invalid_argument("shard " + std::to_string(index) + "/" + std::to_string(count) +
                                " does not exist; expected i/N with 1 ≤ i ≤ N, e.g. 2/4");
  std::vector<Index> coordinates;
  for (Index k = index - 1; k < parameters; k += count) coordinates.push_back(k);
  return coordinates;
}

Measurements measure_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                               Mistake planted, const std::optional<std::vector<Index>>& coordinates) {
  validate(problem);
  validate(problem.architecture, theta);
  const Eigen::VectorXd D =
      unroll(planted == Mistake::none ? backprop(problem, theta).D : backprop_with(planted, problem, theta).D);
  Measurements measured;
  measured.coordinates = coordinates_or_all(coordinates, D.size());
  measured.analytic.resize(static_cast<Index>(measured.coordinates.size()));
  for (std::size_t c = 0; c < measured.coordinates.size(); ++c)
    measured.analytic(static_cast<Index>(c)) = D(measured.coordinates[c]);

  if (options.complex_step) {
    // No kinks to skip: relu(z + ih) takes the branch of z itself, as backprop's g′ does.
    ComplexStep complex = *options.complex_step;
    complex.threads = options.threads;
    complex.progress = options.difference.progress;
    complex.coordinates = measured.coordinates;
    complex.stop = options.difference.stop;
    const NumericalGradient numerical = complex_step_gradient(problem, theta, complex);
    measured.numerical = numerical.gradient;
    measured.evaluations = numerical.evaluations;
    measured.method = describe(complex);
    measured.keep_completed(numerical.completed);
    return measured;
  }
  IncrementalOptions incremental;
  incremental.difference = options.difference;
  incremental.threads = options.threads;
  incremental.coordinates = measured.coordinates;
  const NumericalGradient numerical = incremental_gradient(problem, theta, incremental, &measured.kinks);
  measured.numerical = numerical.gradient;
  measured.evaluations = numerical.evaluations;
  measured.method = describe(options.difference);
  measured.keep_completed(numerical.completed);
  return measured;
}


CheckResult check_own_J(const PointValues& J, const PointCosts& along, const Layout& layout, const Eigen::VectorXd& theta,
                        const Eigen::VectorXd& analytic, double J0, const std::vector<Index>& coordinates, bool sampled,
                        const CheckOptions& options, const std::function<std::string(Index)>& entry,
                        const std::function<std::string(Index)>& tensor, const std::string& instead, Measurements* kept) {
  Measurements measured;
  measured.coordinates = coordinates;
  measured.analytic.resize(static_cast<Index>(coordinates.size()));
  for (std::size_t c = 0; c < coordinates.size(); ++c) measured.analytic(static_cast<Index>(c)) = analytic(coordinates[c]);
  const NumericalGradient numerical = numerical_gradient_at_points(J, theta, options.difference, coordinates);
  measured.numerical = numerical.gradient;
  measured.evaluations = numerical.evaluations;
  measured.method = describe(options.difference) + " of the implementation's own J";
  measured.own_J = true;
  measured.keep_completed(numerical.completed);
  // Stopped part-way (a signal): what was measured is reported incomplete, with nothing more asked.
  const double noise =
      !measured.complete ? 0 : measured_noise(along, J0, layout.parameters(), options.difference.step, noise_lines(layout));
  CheckOptions judging = options;
  judging.tolerances = within_rounding(options.difference, J0, noise, options.tolerances, &measured.method);
  // Entries that disagree get a second look at smaller steps: a max-pool or ReLU corner crossed
  // at ε passes a right entry there; a corner at θ itself leaves the entry unjudged.
  if (measured.complete)
    measured.method += describe(second_look(J, measured, layout, theta, options.difference, noise, J0, judging.tolerances));
  CheckResult result = judge(layout, measured, judging, sampled);
  // What the second look leaves wrong at a trained θ: corners closer than ε/100, truncation beside
  // a gradient near 0. A closer look measures it where J is smooth and leaves it unjudged where not.
  if (!result.pass && measured.complete) {
    const CloserLook closer = closer_look(J, measured, theta, options.difference, noise, J0, judging.tolerances,
                                          closer_look_wanted(measured, layout, result, judging.tolerances));
    if (closer.settled + closer.corners > 0) {
      measured.method += describe(closer);
      result = judge(layout, measured, judging, sampled);
    }
  }
  std::vector<std::string> corners;
  for (std::size_t c = 0; c < measured.kinks.size(); ++c)
    if (measured.kinks[c]) corners.push_back(entry(measured.coordinates[c]));
  if (!corners.empty() && result.pass)
    result.cannot_judge =
        fmt::format("{} entr{} ({}{}) give differences that do not settle as ε shrinks: J has a corner (ReLU, max-pool, "
                    "abs) within ε of θ there, so no difference measures a derivative; check at another θ (--jitter moves θ "
                    "off the corners), or with a smaller --epsilon",
                    corners.size(), corners.size() == 1 ? "y" : "ies", corners.front(), corners.size() > 1 ? ", …" : ""),
    result.pass = false;
  if (const std::string why = nothing_moved(measured, J0, instead); !why.empty() && result.pass)
    result.cannot_judge = why, result.pass = false;
  if (const std::string why = at_stationary_point(result, tensor, instead); !why.empty() && result.pass)
    result.cannot_judge = why, result.pass = false;
  if (const std::string why = cannot_judge(options.difference, J0, noise, judging.tolerances,
                                           measured_values(measured.analytic, measured.numerical, judging.tolerances, measured.kinks));
      !why.empty())
    result.cannot_judge = why, result.pass = false;
  else
    judge_beyond_noise(layout, measured, judging, J0, noise, sampled, result);
  // Parameters rounded to float32 inside the implementation quantize every step (ε off by 1.7e-4
  // relatively) while J, computed in float64 from them, can look quiet: probed only where a
  // FAIL would stand on such quotients.
  if (!result.pass && !result.cannot_judge && measured.complete) {
    std::vector<std::size_t> mismatching;
    for (std::size_t c = 0; c < measured.coordinates.size(); ++c)
      if ((measured.kinks.empty() || !measured.kinks[c]) &&
          !(result.entry_errors(measured.coordinates[c]) <= result.tolerances.entry))
        mismatching.push_back(c);
    if (const std::string why = parameters_rounded(J, measured, theta, J0, result.tolerances, options.difference.step,
                                                   mismatching, entry);
        !why.empty())
      result.cannot_judge = why, result.pass = false;
  }
  if (kept) *kept = std::move(measured);
  return result;
}

CheckResult check(const CostAndGradient& f, const Weights<double>& theta, const CheckOptions& options) {
  if (theta.empty()) throw std::invalid_argument("Θ has no layers; expected Θ^(1) … Θ^(L−1)");
  std::vector<Index> sizes{theta.front().cols() - 1};
  for (std::size_t l = 0; l < theta.size(); ++l) {
    if (theta[l].cols() != sizes.back() + 1)
      throw std::invalid_argument("Θ^(" + std::to_string(l + 1) + ") has " + std::to_string(theta[l].cols()) +
                                  " columns; expected s_" + std::to_string(l + 1) + " + 1 = " +
                                  std::to_string(sizes.back() + 1) + " (the rows of Θ^(" + std::to_string(l) + ") + 1)");
    sizes.push_back(theta[l].rows());
  }
  const Layout layout(sizes);
  Weights<double> gradient;
  const double J0 = f(theta, &gradient);
  if (gradient.size() != theta.size())
    throw std::invalid_argument("the gradient has " + std::to_string(gradient.size()) + " matrices; expected " +
                                std::to_string(theta.size()) + ", one per Θ^(l)");
  for (std::size_t l = 0; l < theta.size(); ++l)
    if (gradient[l].rows() != theta[l].rows() || gradient[l].cols() != theta[l].cols())
      throw std::invalid_argument("the gradient of Θ^(" + std::to_string(l + 1) + ") is " +
                                  std::to_string(gradient[l].rows()) + " × " + std::to_string(gradient[l].cols()) +
                                  "; expected Θ^(" + std::to_string(l + 1) + ")'s shape " +
                                  std::to_string(theta[l].rows()) + " × " + std::to_string(theta[l].cols()));
  const Eigen::VectorXd flat = unroll(theta);
  const auto J = [&](const Eigen::VectorXd& at) { return f(reroll(layout, at), nullptr); };
  const auto at_coordinates = [&](const std::vector<Point>& at) {
    std::vector<double> values;
    Eigen::VectorXd moved = flat;
    for (const Point& p : at) {
      moved(p.index) = flat(p.index) + p.step;
      values.push_back(J(moved));
      moved(p.index) = flat(p.index);
    }
    return values;
  };
  const auto along = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
    std::vector<double> values;
    for (const Point& p : at) values.push_back(J(flat + p.step * directions[static_cast<std::size_t>(p.index)]));
    return values;
  };
  std::vector<Index> every(static_cast<std::size_t>(flat.size()));
  for (Index k = 0; k < flat.size(); ++k) every[static_cast<std::size_t>(k)] = k;
  return check_own_J(at_coordinates, along, layout, flat, unroll(gradient), J0, every, false, options,
                     [&](Index k) { return format(layout.entry(k)); }, [](Index l) { return "Θ^(" + std::to_string(l) + ")"; },
                     "another Θ, away from a minimum");
}

CheckResult check_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                            Mistake planted) {
  CheckResult result = judge(Layout(problem.architecture), measure_reference(problem, theta, options, planted), options);
  if (planted == Mistake::none) return result;
  // A planted copy is judged like an implementation under test: its J too, and what went wrong.
  const Gradient<double> mutant = backprop_with(planted, problem, theta);
  CostComparison J;
  J.implementation = mutant.J;
  J.reference = cost(problem, theta);
  J.relative_error = relative_error(J.implementation, J.reference, 1e-12);
  J.pass = J.relative_error <= options.tolerances.cost;
  result.cost = J;
  result.pass = result.pass && J.pass;
  result.diagnosis = diagnose(problem, theta, mutant.D, mutant.J, result);
  return result;
}

}  // namespace gradcheck
