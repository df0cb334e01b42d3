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
  DirectionalResult result;
  Gaussian gaussian(options.seed);
  const double J0 = J(theta);
  result.evaluations = 1;
  // Residuals within a few hundred ulps of J are rounding, not information.
  const double noise = 256 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(J0));

  for (Index l = 1; l <= layout.matrices(); ++l) {
    DirectionalLayer layer;
    layer.l = l;
    const Index first = layout.offset(l), size = layout.rows(l) * layout.cols(l);
    for (int d = 0; d < options.directions; ++d) {
      Eigen::VectorXd v = Eigen::VectorXd::Zero(theta.size());
      for (Index k = 0; k < size; ++k) v(first + k) = gaussian();
      v /= v.norm();
      const double a = v.segment(first, size).dot(analytic.segment(first, size));
      const double n = (J(theta + options.step * v) - J(theta - options.step * v)) / (2 * options.step);
      result.evaluations += 2;
      layer.analytic.push_back(a);
      layer.numerical.push_back(n);
      layer.max_relative_error = worst_of(layer.max_relative_error, relative_error(a, n, options.tolerances.floor));
      if (d > 0) continue;

      // The Taylor test along the first direction.
      for (int i = 0; i <= options.taylor_halvings; ++i) {
        const double h = std::ldexp(options.taylor_start, -i);
        layer.taylor_steps.push_back(h);
        layer.taylor_residuals.push_back(std::abs(J(theta + h * v) - J0 - h * a));
        ++result.evaluations;
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
