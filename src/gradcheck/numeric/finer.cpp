#include "gradcheck/numeric/finer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradcheck {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();

bool central_2(const Stencil& s) { return s.offsets.size() == 2 && s.offsets[0] == -1 && s.offsets[1] == 1; }

}  // namespace

bool single_precision(const Eigen::Ref<const Eigen::VectorXd>& values) {
  bool nonzero = false;
  for (const double v : values) {
    if (!std::isfinite(v) || std::abs(v) > std::numeric_limits<float>::max() ||
        static_cast<double>(static_cast<float>(v)) != v)
      return false;
    nonzero = nonzero || v != 0;
  }
  return nonzero;
}

std::vector<Finer> finer_quotients(const PointValues& J, const Stencil& stencil, const std::vector<Point>& at, double J0) {
  std::vector<Point> points;
  for (const Point& p : at)
    for (const double shrink : {10.0, 100.0})
      for (const double offset : stencil.offsets) points.push_back({p.index, offset * p.step / shrink});
  const std::vector<double> values = J(points);
  if (values.size() != points.size()) throw std::logic_error("finer_quotients: J answered the wrong number of points");
  const auto offset = [&](double o) {
    return static_cast<std::size_t>(std::find(stencil.offsets.begin(), stencil.offsets.end(), o) - stencil.offsets.begin());
  };
  const std::size_t minus = offset(-1), plus = offset(1), size = stencil.offsets.size();
  std::vector<Finer> out(at.size());
  std::size_t next = 0;
  for (std::size_t p = 0; p < at.size(); ++p)
    for (std::size_t s = 0; s < 2; ++s, next += size) {
      const double h = at[p].step / (s == 0 ? 10.0 : 100.0);
      double sum = 0;
      for (std::size_t i = 0; i < size; ++i) sum += stencil.weights[i] * values[next + i];
      out[p].n[s] = sum / h;
      out[p].gap[s] = minus < size && plus < size ? std::abs(values[next + minus] + values[next + plus] - 2 * J0) / h : 0;
    }
  return out;
}

double extrapolated(const Finer& f, const Stencil& stencil) {
  return f.n[1] + (f.n[1] - f.n[0]) / (std::pow(10.0, stencil.order) - 1);
}

bool corner_at_theta(const Finer& f, double step, double sigma) {
  return f.gap[1] > f.gap[0] / 3 && f.gap[1] > noise_reach(sigma, step / 100);
}

BelowFloor::BelowFloor(const Tolerances& tolerances, const Stencil& stencil, double noise, double J0,
                       const Eigen::Ref<const Eigen::VectorXd>& analytic)
    : tolerances_(tolerances), stencil_(stencil), sigma_(std::max(noise, eps * std::abs(J0))), weights_(0), central_(central_2(stencil)) {
  for (const double w : stencil.weights) weights_ += std::abs(w);
  double largest = std::abs(J0);
  for (const double a : analytic)
    if (std::isfinite(a)) largest = std::max(largest, std::abs(a));
  const double u = single_precision(analytic) ? 0x1.0p-24 : eps;
  // Never 0: a J that does not move at all (J = 0, a gradient of zeros) still gets a floor a
  // relative error can divide by.
  lowest_ = std::max(100 * u * largest / tolerances.entry, std::numeric_limits<double>::min());
}

double BelowFloor::rounding(double step) const { return 8 * weights_ * sigma_ / step; }

bool BelowFloor::unsure(double a, double n, double step) const {
  if (!std::isfinite(a) || !std::isfinite(n) || !(std::max(std::abs(a), std::abs(n)) < tolerances_.floor)) return false;
  const double apart = std::abs(a - n);
  // No second look can bring the floor below the rounding at this step or the gradient's own:
  // an entry within those passes whatever it finds, and is not asked for.
  return apart > tolerances_.entry * std::max(std::abs(a), std::abs(n)) &&
         apart > std::max(rounding(step), tolerances_.entry * lowest_) && lowest_ < tolerances_.floor;
}

bool BelowFloor::converges(double n, double step, const Finer& f) const {
  if (!std::isfinite(n) || !std::isfinite(f.n[0]) || !std::isfinite(f.n[1])) return false;
  if (corner(step, f)) return false;
  return std::abs(f.n[0] - f.n[1]) <= std::abs(n - f.n[0]) / 10 + rounding(step / 100);
}

std::optional<BelowFloor::Settled> BelowFloor::settle(double n, double step, const Finer& f) const {
  if (!converges(n, step, f)) return std::nullopt;
  const double bound = std::abs(f.n[0] - f.n[1]) + std::abs(n - f.n[0]) / 100 + rounding(step / 100);
  return Settled{extrapolated(f, stencil_), std::min(std::max(bound / tolerances_.entry, lowest_), tolerances_.floor)};
}

BelowFloor::Look BelowFloor::look_again(double a, double n, double step, const Finer& f) const {
  const auto agrees = [&](double x) { return relative_error(a, x, tolerances_.floor) <= tolerances_.entry; };
  if (!std::isfinite(f.n[0]) || !std::isfinite(f.n[1]) || corner(step, f)) return {};
  const bool settled = converges(n, step, f) || relative_error(f.n[0], f.n[1], tolerances_.floor) <= tolerances_.entry;
  const double x = extrapolated(f, stencil_);
  if (settled && agrees(x)) return {Look::Kind::agrees, x};
  if (agrees(f.n[1])) return {Look::Kind::agrees, f.n[1]};
  // A measurement that fails `a` also needs J smooth between the two steps: the slopes' gap, h·J″
  // where J is smooth, a tenth at ε/100 of what it was at ε/10. A kink between them leaves more
  // (a trained max-pool net: 0.2 of it, the kink 3e-8 from θ, and ε/10, ε/100 settled across it).
  const bool smooth = f.gap[1] <= 0.15 * f.gap[0] + noise_reach(sigma_, step / 100);
  if (settled && smooth) return {Look::Kind::measured, x};
  return {};
}

std::vector<std::optional<BelowFloor::Look>> BelowFloor::look_again(const PointValues& J, const std::vector<Point>& at,
                                                                   const std::vector<Finer>& finer,
                                                                   const std::vector<double>& analytic,
                                                                   const std::vector<double>& numerical, double J0,
                                                                   std::size_t& evaluations) const {
  std::vector<std::optional<Look>> looks(at.size());
  std::vector<std::size_t> again;  // points whose first look did not agree, where J's noise allows ε/1000
  for (std::size_t p = 0; p < at.size(); ++p) {
    if (relative_error(analytic[p], numerical[p], tolerances_.floor) <= tolerances_.entry) continue;
    looks[p] = look_again(analytic[p], numerical[p], at[p].step, finer[p]);
    if (looks[p]->kind != Look::Kind::agrees && deeper(at[p].step)) again.push_back(p);
  }
  if (again.empty()) return looks;
  // A kink between ε/1000 and ε/10 of θ that both first steps straddled (a trained ReLU or
  // max-pool net) lies outside this look.
  std::vector<Point> finer_at;
  for (const std::size_t p : again) finer_at.push_back({at[p].index, at[p].step / 10});
  const std::vector<Finer> finest = finer_quotients(J, stencil_, finer_at, J0);
  evaluations += 2 * stencil_.offsets.size() * finer_at.size();
  for (std::size_t q = 0; q < again.size(); ++q)
    looks[again[q]] = look_again(analytic[again[q]], finer[again[q]].n[0], finer_at[q].step, finest[q]);
  return looks;
}

bool BelowFloor::among_slopes(double a, double step, const Finer& f) const {
  if (!central_ || !std::isfinite(a)) return true;
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (std::size_t s = 0; s < 2; ++s) {
    if (!std::isfinite(f.n[s]) || !std::isfinite(f.gap[s])) return true;
    low = std::min(low, f.n[s] - f.gap[s] / 2), high = std::max(high, f.n[s] + f.gap[s] / 2);
  }
  const double margin = tolerances_.entry * std::max({std::abs(a), std::abs(low), std::abs(high), tolerances_.floor}) +
                        rounding(step / 100) + (high - low) / 4;
  return a >= low - margin && a <= high + margin;
}

double BelowFloor::flat_floor(double n, double step) const {
  return std::min(std::max((std::abs(n) + rounding(step)) / tolerances_.entry, lowest_), tolerances_.floor);
}

bool BelowFloor::flat(double step, const Finer& f) const {
  for (std::size_t s = 0; s < 2; ++s) {
    const double h = step / (s == 0 ? 10.0 : 100.0);
    if (!(std::abs(f.n[s]) <= rounding(h) && f.gap[s] <= rounding(h))) return false;
  }
  return true;
}

}  // namespace gradcheck
