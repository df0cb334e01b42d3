#pragma once
/// @file
/// The noise of an implementation's own J at θ: measured along lines through θ (ECnoise), and
/// never read off a line that crosses a kink of J.

#include "gradcheck/model/unroll.hpp"
#include "gradcheck/numeric/finite_diff.hpp"

#include <Eigen/Core>

#include <functional>
#include <vector>

namespace gradcheck {

/// J at many points near θ: J(θ + step·directions[index]) for each point (directional.hpp's DirectionCosts).
using PointCosts =
    std::function<std::vector<double>(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions)>;

/// A run of flat parameter indices: first … first + count − 1.
struct Span {
  Index first = 0, count = 0;
};

/// The noise in an implementation's J at θ, measured as Moré and Wild's ECnoise does: J at
/// θ + i·h·v, i = 0 … 7, along a fixed direction v of ±1 entries, and the spread of the 4th to
/// 6th differences of those eight values (a smooth J adds h^k·J^(k) to the kth, far below
/// rounding; noise adds its own size). `J0` is J(θ). It finds a J computed in single or mixed
/// precision, or with randomness left in (dropout), whatever the language.
///
/// v moves the parameters of each of `lines` (every parameter when empty), one line per span,
/// all asked in one request; the quietest line that moves J counts. A ReLU kink crossed along a
/// line looks like noise there, so a caller that knows where kinks cannot be (the output layer's
/// weights) moves those only, and one that does not asks several lines.
double measured_noise(const PointCosts& J, double J0, Index parameters, double h, const std::vector<Span>& lines = {});

/// The most tensors noise_lines() probes one by one (besides the line along every parameter):
/// 7 points each, all in one request.
constexpr Index noise_probe_tensors = 8;

/// Where J's noise is measured (measured_noise's lines) when nothing is known of where its kinks
/// lie: along every parameter, and along each tensor alone (noise_probe_tensors of them at the
/// most, spread from the first to the last). True noise (float32, dropout) shows along every line;
/// a kink (ReLU, max-pool) only along the lines that cross it, and a tensor past the last kink
/// (an output layer, wherever it stands in the order) crosses none. Probing the last tensor alone
/// read kinks as noise where that tensor lay before a ReLU (a conv net's conv.bias). With one
/// tensor, along each half of it too.
std::vector<Span> noise_lines(const Layout& layout);

/// J's noise for judging: at least its own rounding, half an ulp. ECnoise sees no noise where J
/// moves by less than an ulp along its line (a J of 1e5 whose gradient is 1e-7), yet every
/// quotient is quantized by it.
double noise_of(double J, double measured);

/// Whether σ is no more than a float64 J's rounding (a sum of many terms rounds by a few ulps).
bool only_rounding(double J, double sigma);

}  // namespace gradcheck
