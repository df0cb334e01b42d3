// The second look: entries that disagree or lie below the floor, differenced again at smaller steps.

#include "gradcheck/check/check.hpp"
#include "gradcheck/check/noise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradcheck {

std::string describe(const SecondLook& looked) {
  const auto entries = [](std::size_t n) { return n == 1 ? std::string("1 entry") : fmt::format("{} entries", n); };
  std::string out;
  if (looked.disagreed) out += fmt::format("; {} that disagreed looked at again at ε/10 and ε/100 (and ε/1000 where those did not agree)", entries(looked.disagreed));
  if (looked.below_floor)
    out += fmt::format("; {} below the floor judged at ε/100 with the floor their settling allows", entries(looked.below_floor));
  if (looked.cornered)
    out += fmt::format("; {} that disagreed beyond J's noise not judged: J's one-sided slopes jump within ε of θ there, "
                       "as a corner crossed would explain", entries(looked.cornered));
  if (looked.outside_slopes)
    out += fmt::format("; of the entries at a corner, {} {} an analytic value outside both one-sided slopes: wrong where one "
                       "kink lies at θ, right only where several units tie there (ReLU′(0) = 0 at a zero-initialised layer); "
                       "--jitter judges them", looked.outside_slopes, looked.outside_slopes == 1 ? "has" : "have");
  return out;
}

namespace {

/// Of entries that disagree beyond J's noise σ where that noise forbids the look at ε/100, those
/// a corner crossed within ε may explain, flagged as kinks (unjudged); returns how many. A right
/// entry whose difference at ε crosses a corner at distance d < ε, with the slopes jumping by Δ,
/// is off by |Δ|(ε − d)/2ε, and the one-sided slopes' gap there, |J(θ+ε) + J(θ−ε) − 2J(θ)|/ε, is
/// |Δ|(ε − d)/ε, twice that. A smooth J's gap is ε·|J″|, far below any error beyond the noise: a
/// wrong entry keeps its FAIL. Where the gap allows a corner, the entry is unjudged if the quotient
/// at ε/10 agrees with it within that step's noise, or the gap at ε/10 is no tenth of the gap at
/// ε (a corner within ε/10).
std::size_t corners_crossed(const CoordinateCosts& J, Measurements& m, const Stencil& stencil, const Eigen::VectorXd& theta,
                            const FiniteDifference& fd, double sigma, double J0, const Tolerances& t,
                            const std::vector<std::size_t>& disagreeing) {
  if (disagreeing.empty()) return 0;
  std::vector<Point> at;  // ten times the step: finer_quotients' "ε/10" and "ε/100" are ε and ε/10
  for (const std::size_t c : disagreeing) at.push_back({m.coordinates[c], 10 * step_for(fd, theta(m.coordinates[c]))});
  const std::vector<Finer> f = finer_quotients(J, stencil, at, J0);
  m.evaluations += 2 * stencil.offsets.size() * at.size();
  if (m.kinks.empty()) m.kinks.assign(m.coordinates.size(), false);
  std::size_t flagged = 0;
  for (std::size_t p = 0; p < disagreeing.size(); ++p) {
    const auto i = static_cast<Index>(disagreeing[p]);
    const double a = m.analytic(i), n = m.numerical(i), step = at[p].step / 10;
    const double reach = noise_reach(sigma, step), finer_reach = noise_reach(sigma, step / 10);
    if (!(f[p].gap[0] + reach >= std::abs(a - n))) continue;  // no corner this size within ε
    const bool agrees_finer =
        std::abs(a - f[p].n[1]) <= finer_reach + t.entry * std::max({std::abs(a), std::abs(f[p].n[1]), t.floor});
    const bool corner_within_tenth = f[p].gap[1] > f[p].gap[0] / 5 + finer_reach;
    if (agrees_finer || corner_within_tenth) m.kinks[static_cast<std::size_t>(i)] = true, ++flagged;
  }
  return flagged;
}

}  // namespace

SecondLook second_look(const CoordinateCosts& J, Measurements& m, const Layout& layout, const Eigen::VectorXd& theta,
                       const FiniteDifference& fd, double noise, double J0, const Tolerances& t, bool disagreeing,
                       const KinkCrossings& crossing) {
  const auto disagrees = [&](double a, double n) { return !(relative_error(a, n, t.floor) <= t.entry); };
  const auto judged = [&](std::size_t c) {
    return (m.kinks.empty() || !m.kinks[c]) && std::isfinite(m.analytic(static_cast<Index>(c))) &&
           std::isfinite(m.numerical(static_cast<Index>(c)));
  };
  const Stencil& stencil = stencil_of(fd);
  const BelowFloor below(t, stencil, noise, J0, m.analytic);
  // A layer none of whose differences at ε stands above the floor's resolution (entry × floor)
  // is looked at whole: finer steps may resolve it (a tiny J), or show J flat along it (a zero
  // gradient by structure), or neither (a stationary point of J, which no difference judges).
  std::vector<bool> resolved(static_cast<std::size_t>(layout.matrices()) + 1, false);
  for (std::size_t c = 0; c < m.coordinates.size(); ++c)
    if (judged(c) && std::abs(m.numerical(static_cast<Index>(c))) > t.entry * t.floor)
      resolved[static_cast<std::size_t>(layout.entry(m.coordinates[c]).l)] = true;
  // The disagreeing are looked at only where J's noise allows ε/100 at the floor; where it does
  // not, those that disagree beyond the noise are looked at for a corner crossed at ε.
  const bool finer = step_for(fd, 0) / 100 >= smallest_step(noise, J0, t);
  const double sigma = noise_of(J0, noise);
  std::vector<std::size_t> looked, cornered;
  for (std::size_t c = 0; c < m.coordinates.size(); ++c) {
    if (!judged(c)) continue;
    const auto i = static_cast<Index>(c);
    const double a = m.analytic(i), n = m.numerical(i);
    const bool small = std::max(std::abs(a), std::abs(n)) < t.floor;
    const double step = step_for(fd, theta(m.coordinates[c]));
    if ((disagreeing && finer && disagrees(a, n)) || below.unsure(a, n, step) ||
        (small && !resolved[static_cast<std::size_t>(layout.entry(m.coordinates[c]).l)]))
      looked.push_back(c);
    else if (disagreeing && !finer && disagrees(a, n) && std::abs(a - n) > noise_reach(sigma, step))
      cornered.push_back(c);
  }
  SecondLook out;
  out.cornered = corners_crossed(J, m, stencil, theta, fd, sigma, J0, t, cornered);
  if (crossing && !looked.empty()) {  // a kink within ε of θ: no smaller step settles there
    std::vector<Index> coordinates;
    for (const std::size_t c : looked) coordinates.push_back(m.coordinates[c]);
    const std::vector<bool> crossed = crossing(coordinates);
    std::vector<std::size_t> kept;
    for (std::size_t p = 0; p < looked.size(); ++p)
      if (!crossed[p]) kept.push_back(looked[p]);
    looked = std::move(kept);
  }
  if (looked.empty()) return out;

  std::vector<Point> at;
  for (const std::size_t c : looked) at.push_back({m.coordinates[c], step_for(fd, theta(m.coordinates[c]))});
  const std::vector<Finer> finer_n = finer_quotients(J, stencil, at, J0);
  m.evaluations += 2 * stencil.offsets.size() * at.size();
  if (m.kinks.empty()) m.kinks.assign(m.coordinates.size(), false);
  if (m.floors.empty()) m.floors.assign(m.coordinates.size(), t.floor);
  if (m.stationary.empty()) m.stationary.assign(m.coordinates.size(), false);
  std::vector<double> a, n;
  for (const std::size_t c : looked) a.push_back(m.analytic(static_cast<Index>(c))), n.push_back(m.numerical(static_cast<Index>(c)));
  // Those that disagree: looked at again (a decade finer where that does not agree); a corner at θ leaves them unjudged.
  const std::vector<std::optional<BelowFloor::Look>> looks = below.look_again(J, at, finer_n, a, n, J0, m.evaluations);
  for (std::size_t p = 0; p < looked.size(); ++p) {
    const std::size_t c = looked[p];
    const auto i = static_cast<Index>(c);
    const Finer& f = finer_n[p];
    if (!looks[p]) {  // agrees, below the floor: judged with its own floor, if it settles
      if (below.flat(at[p].step, f)) {
        m.floors[c] = below.flat_floor(m.numerical(i), at[p].step), ++out.below_floor;
      } else {
        if (const auto settled = below.settle(m.numerical(i), at[p].step, f))
          m.numerical(i) = settled->numerical, m.floors[c] = settled->floor, ++out.below_floor;
        m.stationary[c] = true;
      }
      continue;
    }
    ++out.disagreed;
    // Unsettled at a corner: unjudged. Outside both one-sided slopes is no proof of a mistake:
    // where several units tie at θ along the entry (a zero-initialised conv layer), ReLU′(0) = 0
    // drops them all, and PyTorch's own gradient lies outside both. Counted, so the report says so.
    if (looks[p]->kind == BelowFloor::Look::Kind::unsettled) {
      m.kinks[c] = true;
      if (!below.among_slopes(a[p], at[p].step, f)) ++out.outside_slopes;
    } else {
      m.numerical(i) = looks[p]->numerical;
    }
  }
  return out;
}


namespace {

/// Whether J looks smooth between steps h and h/10: the one-sided slopes' gap, h·|J″| where J is
/// smooth, shrinks tenfold with the step (0.15 allows J‴'s share), beyond what noise moves it.
bool smooth_between(double gap, double finer_gap, double finer_reach) { return finer_gap <= 0.15 * gap + finer_reach; }

/// How many of the central quotients q[0 … levels−1] (steps step, step/10, …) converge at first
/// order, 0 where they do not: each change a tenth of the last (within 2×), over three steps at
/// least, counted while the changes stand above what J's noise σ moves them (finer steps, which
/// the judge would not trust for the value itself, still show the order). A smooth J's converge at
/// second order (a hundredth); one whose second derivative jumps at θ, at first. Two steps, one
/// change, cannot tell that from a corner crossed by the coarser step: 0.
int first_order(const double* q, int levels, double sigma, double step) {
  int used = 2;
  for (int k = 2; k < levels; ++k) {
    const double before = q[k - 2] - q[k - 1], after = q[k - 1] - q[k];
    if (!std::isfinite(after) || !(std::abs(after) > 2 * noise_reach(sigma, step / std::pow(10.0, k)))) break;
    const double ratio = after / before;
    if (ratio < 0.05 || ratio > 0.2) return 0;
    used = k + 1;
  }
  return used >= 3 ? used : 0;
}

}  // namespace

CloserLook closer_look(const CoordinateCosts& J, Measurements& m, const Eigen::VectorXd& theta, const FiniteDifference& fd,
                       double noise, double J0, const Tolerances& t, const std::vector<std::size_t>& which) {
  CloserLook out;
  if (which.empty()) return out;
  constexpr int levels = 4;  // ε, ε/10, ε/100, ε/1000
  const double sigma = noise_of(J0, noise);
  std::vector<Point> at;
  for (const std::size_t c : which) {
    const double step = step_for(fd, theta(m.coordinates[c]));
    for (int i = 0; i < levels; ++i)
      for (const double sign : {-1.0, 1.0}) at.push_back({m.coordinates[c], sign * step / std::pow(10.0, i)});
  }
  const std::vector<double> values = J(at);
  if (values.size() != at.size()) throw std::logic_error("closer_look: J answered the wrong number of points");
  m.evaluations += at.size();
  if (m.kinks.empty()) m.kinks.assign(m.coordinates.size(), false);
  for (std::size_t p = 0; p < which.size(); ++p) {
    const std::size_t c = which[p];
    const auto i = static_cast<Index>(c);
    const double a = m.analytic(i), n = m.numerical(i);
    const double allowed = t.entry * std::max({std::abs(a), std::abs(n), t.floor});
    const double step = step_for(fd, theta(m.coordinates[c]));
    double q[levels], gap[levels], low = std::numeric_limits<double>::infinity(), high = -low, widest = 0;
    int usable = 0;
    for (int k = 0; k < levels; ++k) {
      const double h = step / std::pow(10.0, k);
      if (k > 0 && noise_reach(sigma, h) > allowed / 4) break;  // J's noise swamps this step and finer ones
      const double minus = values[p * 2 * levels + 2 * static_cast<std::size_t>(k)];
      const double plus = values[p * 2 * levels + 2 * static_cast<std::size_t>(k) + 1];
      const double right = (plus - J0) / h, left = (J0 - minus) / h;
      if (!std::isfinite(right) || !std::isfinite(left)) break;
      q[k] = (right + left) / 2, gap[k] = std::abs(right - left);
      low = std::min({low, left, right}), high = std::max({high, left, right}), widest = std::max(widest, gap[k]);
      usable = k + 1;
    }
    if (usable < 2) continue;  // nothing finer than ε to go by
    const int last = usable - 1;
    const auto smooth = [&](int k) { return smooth_between(gap[k - 1], gap[k], noise_reach(sigma, step / std::pow(10.0, k))); };
    if (smooth(last)) {
      // Smooth within the finest step: its quotient, whose truncation is 1/100 of ε's or less.
      // Not extrapolated with a coarser one: a corner that one crossed near its end leaves a gap
      // that looks smooth, and spoils the extrapolation. Except where J″ jumps at θ (relu², a
      // squared hinge): there the quotients converge only at first order, h·(J″₊ − J″₋)/4, and
      // their first-order limit is J′.
      double all[levels];
      for (int k = 0; k < levels; ++k) {
        const double h = step / std::pow(10.0, k);
        all[k] = (values[p * 2 * levels + 2 * static_cast<std::size_t>(k) + 1] - values[p * 2 * levels + 2 * static_cast<std::size_t>(k)]) / (2 * h);
      }
      const int used = std::abs(a - q[last]) > allowed ? first_order(all, levels, sigma, step) : 0;
      m.numerical(i) = used ? all[used - 1] - (all[used - 2] - all[used - 1]) / 9 : q[last];
      if (!m.floors.empty()) m.floors[c] = std::min(m.floors[c], t.floor);
      ++out.settled;
    } else if (a >= low - widest - allowed && a <= high + widest + allowed) {
      m.kinks[c] = true;
      ++out.corners;
    }
  }
  return out;
}

std::vector<std::size_t> closer_look_wanted(const Measurements& m, const Layout& layout, const CheckResult& result,
                                            const Tolerances& t, std::size_t most) {
  std::vector<bool> norm_only(static_cast<std::size_t>(layout.matrices()) + 1, false);
  for (const LayerReport& layer : result.layers) norm_only[static_cast<std::size_t>(layer.l)] = !layer.pass && layer.mismatches == 0;
  std::vector<std::size_t> wanted;
  for (std::size_t c = 0; c < m.coordinates.size(); ++c) {
    const auto i = static_cast<Index>(c);
    const double a = m.analytic(i), n = m.numerical(i);
    if ((!m.kinks.empty() && m.kinks[c]) || !std::isfinite(a) || !std::isfinite(n)) continue;
    const double floor = m.floors.empty() ? t.floor : m.floors[c];
    const bool disagrees = !(relative_error(a, n, floor) <= t.entry);
    const bool in_norm = norm_only[static_cast<std::size_t>(layout.entry(m.coordinates[c]).l)] &&
                         !(std::max(std::abs(a), std::abs(n)) < floor);
    if (disagrees || in_norm) wanted.push_back(c);
  }
  const auto apart = [&](std::size_t c) { return std::abs(m.analytic(static_cast<Index>(c)) - m.numerical(static_cast<Index>(c))); };
  std::stable_sort(wanted.begin(), wanted.end(), [&](std::size_t x, std::size_t y) { return apart(x) > apart(y); });
  if (wanted.size() > most) wanted.resize(most);
  return wanted;
}

std::string describe(const CloserLook& looked) {
  const auto entries = [](std::size_t n) { return n == 1 ? std::string("1 entry") : fmt::format("{} entries", n); };
  std::string out;
  if (looked.settled)
    out += fmt::format("; {} looked at closer, at ε down to ε/1000, J smooth there: measured by the finest quotient", entries(looked.settled));
  if (looked.corners)
    out += fmt::format("; {} not judged: J's one-sided slopes still jump within ε/1000 of θ (a corner: ReLU, max-pool, "
                       "abs), the analytic value among them", entries(looked.corners));
  return out;
}

}  // namespace gradcheck
