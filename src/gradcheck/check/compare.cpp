#include "gradcheck/check/compare.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace gradcheck {
namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Sort key: NaN is the worst possible relative error.
double badness(const EntryReport& e) { return std::isnan(e.relative_error) ? infinity : e.relative_error; }

bool worse(const EntryReport& x, const EntryReport& y) {
  if (badness(x) != badness(y)) return badness(x) > badness(y);
  if (std::isnan(x.relative_error) != std::isnan(y.relative_error)) return std::isnan(x.relative_error);
  return x.k < y.k;
}

void keep_worst(std::vector<EntryReport>& entries, std::size_t count) {
  const auto keep = std::min(count, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(keep), entries.end(), worse);
  entries.resize(keep);
}

bool passes(double relative_error, double tolerance) { return relative_error <= tolerance; }  // NaN fails


}  // namespace

double worst_of(double x, double y) { return std::isnan(x) || std::isnan(y) ? nan : std::max(x, y); }

double relative_error(double analytic, double numerical, double floor) {
  if (analytic == numerical) return 0;
  if (std::isnan(analytic) || std::isnan(numerical)) return nan;
  if (std::isinf(analytic) || std::isinf(numerical)) return infinity;
  return std::abs(analytic - numerical) / std::max({std::abs(analytic), std::abs(numerical), floor});
}

// Norms are taken with stableNorm(): a plain sum of squares overflows once entries pass 1e154
// (λ = 1e300 does it), and ∞/∞ would turn the figure into NaN.
double norm_figure(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical) {
  const double difference = (numerical - analytic).stableNorm();
  const double sum = (numerical + analytic).stableNorm();
  if (std::isnan(difference) || std::isnan(sum)) return nan;
  if (difference == 0) return 0;
  return difference / sum;  // sum = 0 with difference ≠ 0 (a = −n): +∞
}

bool norm_passes(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical,
                 const Tolerances& tolerances) {
  const double difference = (numerical - analytic).stableNorm();
  return difference <= tolerances.norm * std::max((numerical + analytic).stableNorm(), tolerances.floor);  // NaN fails
}

NotFiniteSides not_finite_sides(const CheckResult& result) {
  NotFiniteSides sides;
  for (const EntryReport& e : result.not_finite) {
    if (!std::isfinite(e.analytic)) sides.analytic.push_back(e);
    if (!std::isfinite(e.numerical)) sides.numerical.push_back(e);
  }
  return sides;
}

CheckResult compare(const Layout& layout, const Eigen::Ref<const Eigen::VectorXd>& analytic,
                    const Eigen::Ref<const Eigen::VectorXd>& numerical, const Tolerances& tolerances,
                    const std::vector<bool>& kinks, std::size_t worst, const std::vector<bool>& unchecked,
                    const std::vector<double>& floors) {
  assert(analytic.size() == layout.parameters() && numerical.size() == layout.parameters());
  assert(kinks.empty() || static_cast<Index>(kinks.size()) == layout.parameters());
  assert(unchecked.empty() || static_cast<Index>(unchecked.size()) == layout.parameters());
  const auto at_kink = [&](Index k) { return !kinks.empty() && kinks[static_cast<std::size_t>(k)]; };
  const auto skipped = [&](Index k) { return !unchecked.empty() && unchecked[static_cast<std::size_t>(k)]; };
  const auto floor_of = [&](Index k) { return floors.empty() ? tolerances.floor : floors[static_cast<std::size_t>(k)]; };
  assert(floors.empty() || static_cast<Index>(floors.size()) == layout.parameters());

  CheckResult result;
  result.tolerances = tolerances;
  result.entry_errors = Eigen::VectorXd::Zero(layout.parameters());
  result.skipped.assign(static_cast<std::size_t>(layout.parameters()), false);
  std::vector<double> all_a, all_n, all_big_a, all_big_n;
  Tolerances overall = tolerances;
  overall.floor = 0;
  for (Index l = 1; l <= layout.matrices(); ++l) {
    LayerReport layer;
    layer.l = l;
    layer.rows = layout.rows(l);
    layer.cols = layout.cols(l);
    std::vector<double> a, n;
    // The norm verdict is over the entries at or above their floor (or not finite). Those below
    // are judged absolutely, one by one, within entry × floor: folding their allowed error into
    // ‖n − a‖ against norm × floor, a tenth of one entry's, failed right gradients whose every
    // entry passed (J's rounding over a few small entries; a tiny J's settled quotients).
    std::vector<double> big_a, big_n;
    double sum = 0;
    Tolerances judged = tolerances;  // the norm figure's floor: the largest of the layer's entries'
    judged.floor = 0;
    for (Index k = layout.offset(l); k < layout.offset(l) + layer.rows * layer.cols; ++k) {
      if (skipped(k) || at_kink(k)) {
        ++(skipped(k) ? layer.unchecked : layer.kinks);
        result.skipped[static_cast<std::size_t>(k)] = true;
        continue;
      }
      EntryReport e{k, layout.entry(k), analytic(k), numerical(k), relative_error(analytic(k), numerical(k), floor_of(k))};
      judged.floor = std::max(judged.floor, floor_of(k));
      result.entry_errors(k) = e.relative_error;
      if (!std::isfinite(e.analytic) || !std::isfinite(e.numerical)) result.not_finite.push_back(e);
      a.push_back(e.analytic);
      n.push_back(e.numerical);
      if (!(std::max(std::abs(e.analytic), std::abs(e.numerical)) < floor_of(k)))
        big_a.push_back(e.analytic), big_n.push_back(e.numerical);
      sum += e.relative_error;
      if (!passes(e.relative_error, tolerances.entry)) ++layer.mismatches;
      layer.max_relative_error = worst_of(layer.max_relative_error, e.relative_error);
      layer.worst.push_back(e);
    }
    const auto checked = static_cast<double>(a.size());
    layer.mean_relative_error = checked > 0 ? sum / checked : 0;
    const Eigen::Map<Eigen::VectorXd> layer_a(a.data(), static_cast<Index>(a.size()));
    const Eigen::Map<Eigen::VectorXd> layer_n(n.data(), static_cast<Index>(n.size()));
    layer.norm_figure = norm_figure(layer_a, layer_n);
    if (floors.empty() || a.empty()) judged.floor = tolerances.floor;
    layer.norm_floored = (layer_a + layer_n).stableNorm() < judged.floor;
    const Eigen::Map<Eigen::VectorXd> big_layer_a(big_a.data(), static_cast<Index>(big_a.size()));
    const Eigen::Map<Eigen::VectorXd> big_layer_n(big_n.data(), static_cast<Index>(big_n.size()));
    layer.pass = layer.mismatches == 0 && norm_passes(big_layer_a, big_layer_n, judged);
    overall.floor = std::max(overall.floor, judged.floor);
    all_big_a.insert(all_big_a.end(), big_a.begin(), big_a.end());
    all_big_n.insert(all_big_n.end(), big_n.begin(), big_n.end());

    result.worst.insert(result.worst.end(), layer.worst.begin(), layer.worst.end());
    keep_worst(layer.worst, worst);
    all_a.insert(all_a.end(), a.begin(), a.end());
    all_n.insert(all_n.end(), n.begin(), n.end());
    result.kinks += layer.kinks;
    result.unchecked += layer.unchecked;
    result.pass = result.pass && layer.pass;
    result.max_relative_error = worst_of(result.max_relative_error, layer.max_relative_error);
    result.layers.push_back(std::move(layer));
  }
  keep_worst(result.worst, worst);
  const Eigen::Map<Eigen::VectorXd> overall_a(all_a.data(), static_cast<Index>(all_a.size()));
  const Eigen::Map<Eigen::VectorXd> overall_n(all_n.data(), static_cast<Index>(all_n.size()));
  result.norm_figure = norm_figure(overall_a, overall_n);
  result.norm_floored = (overall_a + overall_n).stableNorm() < overall.floor;
  const Eigen::Map<Eigen::VectorXd> big_a(all_big_a.data(), static_cast<Index>(all_big_a.size()));
  const Eigen::Map<Eigen::VectorXd> big_n(all_big_n.data(), static_cast<Index>(all_big_n.size()));
  result.pass = result.pass && norm_passes(big_a, big_n, overall);
  return result;
}

}  // namespace gradcheck
