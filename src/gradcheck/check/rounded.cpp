// Parameters rounded inside the implementation: J deaf to a step far below float32's grid.

#include "gradcheck/check/rounded.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace gradcheck {

namespace {

/// How many of `probed` leave J exactly J0 at θ ± scale·|θ_k| (two values each in `values`).
std::size_t deaf_to(const std::vector<double>& values, std::size_t probed, double J0, std::size_t first, std::size_t* which) {
  std::size_t deaf = 0;
  for (std::size_t p = 0; p < probed; ++p)
    if (values[first + 2 * p] == J0 && values[first + 2 * p + 1] == J0) {
      if (deaf++ == 0 && which) *which = p;
    }
  return deaf;
}

}  // namespace

std::string parameters_rounded(const CoordinateCosts& J, Measurements& m, const Eigen::VectorXd& theta, double J0,
                               const Tolerances& t, double step, const std::vector<std::size_t>& mismatching,
                               const std::function<std::string(Index)>& entry, std::size_t most) {
  if (!std::isfinite(J0) || mismatching.empty()) return "";
  const double tiny = std::ldexp(1.0, -30), coarse = std::ldexp(1.0, -21);  // below float32's half ulp; above it
  const double resolved = 1024 * std::numeric_limits<double>::epsilon() * std::max(std::abs(J0), std::numeric_limits<double>::min());
  const auto move = [&](std::size_t c) {
    return std::abs(m.numerical(static_cast<Index>(c))) * std::abs(theta(m.coordinates[c])) * tiny;
  };
  std::vector<std::size_t> probed;
  for (std::size_t c = 0; c < m.coordinates.size(); ++c)
    if (std::isfinite(m.numerical(static_cast<Index>(c))) && move(c) > resolved) probed.push_back(c);
  if (probed.empty()) return "";
  std::stable_sort(probed.begin(), probed.end(), [&](std::size_t x, std::size_t y) { return move(x) > move(y); });
  if (probed.size() > most) probed.resize(most);
  std::vector<Point> at;
  for (const double scale : {tiny, coarse})
    for (const std::size_t c : probed)
      for (const double sign : {-1.0, 1.0}) at.push_back({m.coordinates[c], sign * scale * std::abs(theta(m.coordinates[c]))});
  const std::vector<double> values = J(at);
  if (values.size() != at.size()) throw std::logic_error("parameters_rounded: J answered the wrong number of points");
  m.evaluations += at.size();
  std::size_t first = 0;
  const std::size_t deaf = deaf_to(values, probed.size(), J0, 0, &first);
  if (deaf == 0 || 2 * deaf < probed.size()) return "";
  const bool coarser = 2 * deaf_to(values, probed.size(), J0, 2 * probed.size(), nullptr) >= probed.size();
  const double u = std::ldexp(1.0, coarser ? -8 : -24);
  for (const std::size_t c : mismatching) {
    const double a = m.analytic(static_cast<Index>(c)), n = m.numerical(static_cast<Index>(c));
    const double grid = 4 * u * (std::abs(theta(m.coordinates[c])) + step) / step * std::abs(n);
    if (!(std::abs(a - n) <= grid + t.entry * std::max({std::abs(a), std::abs(n), t.floor}))) return "";
  }
  const std::size_t c = probed[first];
  return fmt::format(
      "the implementation rounds its parameters to {} (or coarser): J does not move at all when {} moves by 2^-30 of its "
      "value ({:.3g}), though its slope ({:.3g}) says J should move by {:.2g}, over a thousand ulps of J (so {} of {} entries "
      "probed); a step ε then lands on that grid (ε rounded to float32 is off by up to 1e-4 relatively), and every mismatch "
      "here lies within what that explains; keep the parameters in float64 (numpy: float64 arrays, PyTorch: model.double()) "
      "for the check",
      coarser ? "half or bfloat16" : "float32", entry(m.coordinates[c]), theta(m.coordinates[c]),
      m.numerical(static_cast<Index>(c)), move(c), deaf, probed.size());
}

}  // namespace gradcheck
