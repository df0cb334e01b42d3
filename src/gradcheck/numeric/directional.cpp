#include "gradcheck/numeric/directional.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gradcheck {
namespace {

/// Standard normal draws by Box–Muller from a 64-bit engine: the same directions on every platform.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : engine_(seed) {}
  double operator()() {
    const double u = (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1)
    const double w = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * 3.14159265358979323846 * w);
  }

 private:
  std::mt19937_64 engine_;
};

/// Directional derivatives below the floor, differenced again at ε/10 and ε/100 (finer.hpp):
/// those that settle get their own floor; a layer none of whose derivatives stands above its
/// resolution, with J not flat along some, is marked unresolved. Returns the evaluations spent.
std::size_t look_below_floor(const DirectionCosts& J, const std::vector<Eigen::VectorXd>& directions, double J0,
                             const Eigen::VectorXd& analytic, const DirectionalOptions& options,
                             std::vector<DirectionalLayer>& layers, std::vector<std::vector<double>>& floors) {
  const Tolerances& t = options.tolerances;
  const Stencil& stencil = central_stencil(2);
  const BelowFloor below(t, stencil, *options.noise, J0, analytic);
  std::vector<Point> at;
  std::vector<std::pair<std::size_t, std::size_t>> which;  // (layer, direction) of each point
  Index index = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const DirectionalLayer& layer = layers[l];
    const bool resolved = std::any_of(layer.numerical.begin(), layer.numerical.end(),
                                      [&](double n) { return std::abs(n) > t.entry * t.floor; });
    for (std::size_t d = 0; d < layer.analytic.size(); ++d, ++index) {
      const double a = layer.analytic[d], n = layer.numerical[d];
      const bool finite = std::isfinite(a) && std::isfinite(n);
      const bool small = finite && std::max(std::abs(a), std::abs(n)) < t.floor;
      // Disagreeing: looked at again where J's noise allows ε/100 (a corner crossed at ε, truncation).
      const bool disagrees = finite && !(relative_error(a, n, t.floor) <= t.entry) &&
                             below.rounding(options.step / 100) <= t.entry * t.floor;
      if (disagrees || below.unsure(a, n, options.step) || (small && !resolved))
        at.push_back({index, options.step}), which.emplace_back(l, d);
    }
  }
  if (at.empty()) return 0;
  const std::vector<Finer> finer = finer_quotients(
      [&](const std::vector<Point>& points) { return J(points, directions); }, stencil, at, J0);
  std::size_t evaluations = 2 * stencil.offsets.size() * at.size();
  // As a full check's second look (BelowFloor::look_again): a derivative that disagrees is looked
  // at again at ε/10 and ε/100 and, where that does not agree, a decade finer; a corner at θ
  // leaves the layer unjudged (central differences settle on the mean of two slopes there).
  std::vector<double> a, n;
  for (const auto& [l, d] : which) a.push_back(layers[l].analytic[d]), n.push_back(layers[l].numerical[d]);
  const std::vector<std::optional<BelowFloor::Look>> looks = below.look_again(
      [&](const std::vector<Point>& points) { return J(points, directions); }, at, finer, a, n, J0, evaluations);
  std::vector<bool> stationary(layers.size(), false);
  for (std::size_t p = 0; p < at.size(); ++p) {
    const auto [l, d] = which[p];
    if (looks[p]) {
      if (looks[p]->kind == BelowFloor::Look::Kind::unsettled) layers[l].at_kink = DirectionalLayer::AtKink::unjudged;
      else layers[l].numerical[d] = looks[p]->numerical;
      continue;
    }
    if (below.flat(options.step, finer[p])) {
      floors[l][d] = below.flat_floor(layers[l].numerical[d], options.step);
      continue;
    }
    if (const auto settled = below.settle(layers[l].numerical[d], options.step, finer[p]))
      layers[l].numerical[d] = settled->numerical, floors[l][d] = settled->floor;
    stationary[l] = true;
  }
  std::vector<bool> resolved(layers.size(), false);
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (std::size_t d = 0; d < layers[l].numerical.size(); ++d)
      resolved[l] = resolved[l] || !(std::abs(layers[l].numerical[d]) <= t.entry * floors[l][d]);
  // A check none of whose derivatives J resolves judged nothing, flat or not.
  const bool none = std::none_of(resolved.begin(), resolved.end(), [](bool r) { return r; });
  for (std::size_t l = 0; l < layers.size(); ++l) {
    DirectionalLayer& layer = layers[l];
    layer.unresolved = (stationary[l] || none) && !resolved[l];
    for (std::size_t d = 0; layer.unresolved && d < layer.numerical.size(); ++d)
      layer.resolution = std::max(layer.resolution, t.entry * floors[l][d]);
  }
  return evaluations;
}

}  // namespace

bool taylor_test_passes(const DirectionalLayer& layer, const DirectionalOptions& options) {
  return layer.taylor_exact || layer.taylor_order >= options.taylor_pass || !layer.taylor_smooth ||
         layer.taylor_error <= options.tolerances.entry;
}

std::string describe_beyond_noise(const DirectionalResult& result) {
  if (!(result.beyond_noise > 0)) return "";
  return fmt::format("; J's noise moves a quotient by up to 16σ/ε = {:.2g}, so only derivatives beyond it are judged, "
                     "and the Taylor test is not used", result.beyond_noise);
}

std::string taylor_shown(const DirectionalLayer& layer) {
  if (layer.taylor_in_noise) return "noise";
  if (layer.taylor_exact) return "exact";
  if (!layer.taylor_smooth) return fmt::format("{:.2f} (kink)", layer.taylor_order);
  if (layer.taylor_order < DirectionalOptions{}.taylor_pass && layer.taylor_error > 0)  // what it implies of vᵀD
    return fmt::format("{:.2f} ({:.0e})", layer.taylor_order, layer.taylor_error);
  return fmt::format("{:.2f}", layer.taylor_order);
}

DirectionalResult check_directional(const std::function<double(const Eigen::VectorXd&)>& J,
                                    const Eigen::VectorXd& theta, const Eigen::VectorXd& analytic,
                                    const Layout& layout, const DirectionalOptions& options) {
  const auto at_points = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
    std::vector<double> values;
    for (const Point& p : at)
      values.push_back(p.step == 0 ? J(theta) : J(theta + p.step * directions[static_cast<std::size_t>(p.index)]));
    return values;
  };
  return check_directional_at_points(at_points, theta, analytic, layout, options);
}

DirectionalResult check_directional_at_points(const DirectionCosts& J, const Eigen::VectorXd& theta,
                                              const Eigen::VectorXd& analytic, const Layout& layout,
                                              const DirectionalOptions& options) {
  // The directions first, drawn in a fixed order; then every point along them, asked at once:
  // J(θ), then per direction θ ∓ εv, and along each layer's first direction the Taylor steps.
  Gaussian gaussian(options.seed);
  std::vector<Eigen::VectorXd> directions;
  std::vector<Point> at{{0, 0.0}};
  for (Index l = 1; l <= layout.matrices(); ++l) {
    const Index first = layout.offset(l), size = layout.rows(l) * layout.cols(l);
    for (int d = 0; d < options.directions; ++d) {
      Eigen::VectorXd v = Eigen::VectorXd::Zero(theta.size());
      for (Index k = 0; k < size; ++k) v(first + k) = gaussian();
      v /= v.norm();
      const auto index = static_cast<Index>(directions.size());
      directions.push_back(std::move(v));
      at.push_back({index, options.step});
      at.push_back({index, -options.step});
      if (d == 0)  // the Taylor steps, then the same on the other side (J's even part: is it smooth?)
        for (const double side : {1.0, -1.0})
          for (int i = 0; i <= options.taylor_halvings; i += options.taylor_stride)
            at.push_back({index, side * std::ldexp(options.taylor_start, -i)});
    }
  }
  const std::vector<double> values = J(at, directions);
  if (values.size() != at.size()) throw std::logic_error("check_directional: J answered the wrong number of points");

  DirectionalResult result;
  result.evaluations = values.size();
  const double J0 = values[0];
  // Residuals within a few hundred ulps of J are rounding, not information.
  const double noise = 256 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(J0));
  std::size_t next = 1, direction = 0;
  for (Index l = 1; l <= layout.matrices(); ++l) {
    DirectionalLayer layer;
    layer.l = l;
    const Index first = layout.offset(l), size = layout.rows(l) * layout.cols(l);
    for (int d = 0; d < options.directions; ++d, ++direction) {
      const Eigen::VectorXd& v = directions[direction];
      const double a = v.segment(first, size).dot(analytic.segment(first, size));
      const double n = (values[next] - values[next + 1]) / (2 * options.step);
      next += 2;
      layer.analytic.push_back(a);
      layer.numerical.push_back(n);
      if (d > 0) continue;

      // The Taylor test along the first direction.
      const auto steps = static_cast<std::size_t>(options.taylor_halvings / options.taylor_stride) + 1;
      const double q = std::ldexp(1.0, options.taylor_stride);  // each step is the last over q
      std::vector<double> even;
      for (std::size_t i = 0; i < steps; ++i) {
        const double h = std::ldexp(options.taylor_start, -static_cast<int>(i) * options.taylor_stride);
        layer.taylor_steps.push_back(h);
        layer.taylor_residuals.push_back(std::abs(values[next + i] - J0 - h * a));
        even.push_back(std::abs(values[next + i] + values[next + steps + i] - 2 * J0));
      }
      next += 2 * steps;
      // The order at the smallest pair of steps whose residuals both stand well above rounding.
      const auto smallest_pair = [&](const std::vector<double>& r) -> std::optional<std::size_t> {
        std::optional<std::size_t> last;
        for (std::size_t i = 1; i < r.size(); ++i)
          if (r[i - 1] > 16 * noise && r[i] > 16 * noise) last = i;
        return last;
      };
      const auto order = [&](const std::vector<double>& r) -> std::optional<double> {
        const auto i = smallest_pair(r);
        return i ? std::optional<double>(std::log2(r[*i - 1] / r[*i]) / options.taylor_stride) : std::nullopt;
      };
      const std::optional<double> smoothness = order(even);
      const std::optional<std::size_t> pair = smallest_pair(layer.taylor_residuals);
      layer.taylor_exact = !pair;
      if (pair) {
        // r(h) = |δ h + c h²| with δ the error of vᵀD: from r(qh) and r(h), δ = (q²r(h) − r(qh)) / (q² − q)h
        // (q = 2: (4r(h) − r(2h)) / 2h).
        const std::vector<double>& r = layer.taylor_residuals;
        const double h = layer.taylor_steps[*pair];
        layer.taylor_order = std::log2(r[*pair - 1] / r[*pair]) / options.taylor_stride;
        layer.taylor_slope_error = std::abs(q * q * r[*pair] - r[*pair - 1]) / ((q * q - q) * h);
      }
      // Smooth, it is h²·vᵀHv/… to many digits at these steps: order 2 within 0.1. A kink near
      // the smallest step passes through orders from 1 to 3 (a trained ReLU net: 1.64).
      layer.taylor_smooth = !smoothness || std::abs(*smoothness - 2) <= 0.1;
    }
    result.layers.push_back(std::move(layer));
  }
  std::vector<std::vector<double>> floors;
  for (const DirectionalLayer& layer : result.layers) floors.emplace_back(layer.analytic.size(), options.tolerances.floor);
  if (options.noise) result.evaluations += look_below_floor(J, directions, J0, analytic, options, result.layers, floors);
  for (std::size_t l = 0; l < result.layers.size(); ++l) {
    DirectionalLayer& layer = result.layers[l];
    for (std::size_t d = 0; d < layer.analytic.size(); ++d)
      layer.max_relative_error =
          worst_of(layer.max_relative_error, relative_error(layer.analytic[d], layer.numerical[d], floors[l][d]));
    // The Taylor order fails a layer only where the error of vᵀD it implies is beyond the tolerance
    // the entries are held to (× (1 + 1e-5) is order 1 at the smallest steps, and right to 1e-5).
    if (!layer.analytic.empty())
      layer.taylor_error = layer.taylor_slope_error / std::max(std::abs(layer.analytic[0]), floors[l][0]);
    layer.pass = layer.at_kink != DirectionalLayer::AtKink::unjudged && layer.max_relative_error <= options.tolerances.entry &&
                 taylor_test_passes(layer, options);
    result.pass = result.pass && layer.pass;
  }
  return result;
}

}  // namespace gradcheck
