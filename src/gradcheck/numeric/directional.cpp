#include "gradcheck/numeric/directional.hpp"

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

}  // namespace

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
      if (d == 0)
        for (int i = 0; i <= options.taylor_halvings; ++i) at.push_back({index, std::ldexp(options.taylor_start, -i)});
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
      layer.max_relative_error = worst_of(layer.max_relative_error, relative_error(a, n, options.tolerances.floor));
      if (d > 0) continue;

      // The Taylor test along the first direction.
      for (int i = 0; i <= options.taylor_halvings; ++i) {
        const double h = std::ldexp(options.taylor_start, -i);
        layer.taylor_steps.push_back(h);
        layer.taylor_residuals.push_back(std::abs(values[next++] - J0 - h * a));
      }
      // The order at the smallest pair of steps whose residuals both stand well above rounding.
      layer.taylor_exact = true;
      for (std::size_t i = 1; i < layer.taylor_residuals.size(); ++i) {
        const double coarse = layer.taylor_residuals[i - 1], fine = layer.taylor_residuals[i];
        if (coarse > 16 * noise && fine > 16 * noise) {
          layer.taylor_order = std::log2(coarse / fine);
          layer.taylor_exact = false;
        }
      }
    }
    layer.pass = layer.max_relative_error <= options.tolerances.entry &&
                 (layer.taylor_exact || layer.taylor_order >= options.taylor_pass);
    result.pass = result.pass && layer.pass;
    result.layers.push_back(std::move(layer));
  }
  return result;
}

}  // namespace gradcheck
