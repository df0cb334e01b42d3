// J's noise at θ: ECnoise along lines through θ, the quietest that moves J counting.

#include "gradcheck/check/noise.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace gradcheck {
namespace {

/// ECnoise's estimate from J at eight equally spaced points: the largest spread of the 4th to
/// 6th differences. Overwrites f.
double noise_of(std::vector<double> f) {
  const auto points = static_cast<int>(f.size());
  double noise = 0;
  double gamma = 1;  // γ_k = (k!)² / (2k)!, which makes a k-th difference of noise σ have variance σ²/γ_k
  for (int k = 1; k <= 6; ++k) {
    for (int i = 0; i < points - k; ++i) f[static_cast<std::size_t>(i)] = f[static_cast<std::size_t>(i + 1)] - f[static_cast<std::size_t>(i)];
    gamma *= static_cast<double>(k) / (2.0 * (2 * k - 1));
    if (k < 4) continue;
    double sum = 0;
    for (int i = 0; i < points - k; ++i) sum += f[static_cast<std::size_t>(i)] * f[static_cast<std::size_t>(i)];
    if (!std::isfinite(sum)) return std::numeric_limits<double>::infinity();
    noise = std::max(noise, std::sqrt(gamma * sum / (points - k)));
  }
  return noise;
}

}  // namespace

double measured_noise(const PointCosts& J, double J0, Index parameters, double h, const std::vector<Span>& lines) {
  constexpr int points = 8;
  std::vector<Eigen::VectorXd> directions;
  std::vector<Point> at;
  for (const Span& line : lines.empty() ? std::vector<Span>{{0, parameters}} : lines) {
    if (line.first < 0 || line.count < 1 || line.first + line.count > parameters)
      throw std::logic_error("measured_noise: a line outside the parameters");
    Eigen::VectorXd v = Eigen::VectorXd::Zero(parameters);
    std::uint64_t state = 0x9E3779B97F4A7C15u;  // a fixed ±1 pattern: the measurement repeats
    for (Index p = line.first; p < line.first + line.count; ++p) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      v(p) = (state & 1u) ? 1.0 : -1.0;
    }
    for (int i = 1; i < points; ++i) at.push_back({static_cast<Index>(directions.size()), i * h});
    directions.push_back(std::move(v));
  }
  const std::vector<double> values = J(at, directions);
  if (values.size() != at.size()) throw std::logic_error("measured_noise: the wrong number of J values");
  // A line along which J does not change at all says nothing; of the others the quietest counts:
  // noise (single precision, dropout) shows along every line, a kink crossed along only some.
  double quietest = std::numeric_limits<double>::infinity();
  for (std::size_t line = 0; line < directions.size(); ++line) {
    std::vector<double> f{J0};
    f.insert(f.end(), values.begin() + static_cast<std::ptrdiff_t>(line * (points - 1)),
             values.begin() + static_cast<std::ptrdiff_t>((line + 1) * (points - 1)));
    if (std::all_of(f.begin(), f.end(), [&](double x) { return x == f.front(); })) continue;
    quietest = std::min(quietest, noise_of(std::move(f)));
  }
  const bool finite = std::all_of(values.begin(), values.end(), [](double x) { return std::isfinite(x); });
  return std::isinf(quietest) && finite ? 0 : quietest;  // J constant along every line: no noise seen
}

std::vector<Span> noise_lines(const Layout& layout) {
  const Index tensors = layout.matrices(), P = layout.parameters();
  if (tensors < 2) return P < 2 ? std::vector<Span>{} : std::vector<Span>{{0, P}, {0, P / 2}, {P / 2, P - P / 2}};
  std::vector<Span> lines{{0, P}};
  const Index probed = std::min(tensors, noise_probe_tensors);
  Index previous = 0;
  for (Index i = 0; i < probed; ++i) {
    const Index l = 1 + (probed == 1 ? 0 : i * (tensors - 1) / (probed - 1));  // the first and the last among them
    if (l == previous) continue;
    lines.push_back({layout.offset(l), layout.rows(l) * layout.cols(l)});
    previous = l;
  }
  return lines;
}

double noise_of(double J, double measured) {
  return std::isfinite(J) ? std::max(measured, std::numeric_limits<double>::epsilon() * std::abs(J) / 2) : measured;
}

bool only_rounding(double J, double sigma) {
  return std::isfinite(J) && sigma <= 8 * std::numeric_limits<double>::epsilon() * std::abs(J);
}

}  // namespace gradcheck
