#pragma once
/// @file
/// The fast mode: directional derivatives along random directions, layer by layer, and the
/// Taylor-remainder test.
///
/// A full check costs P × 2 evaluations of J; this mode costs a few per layer, whatever P is.
/// - Directional derivatives: for random unit directions v supported on one layer's Θ^(l),
///   vᵀD against (J(θ + εv) − J(θ − εv)) / 2ε. A failure is located to its layer.
/// - Taylor remainder: r(h) = |J(θ + hv) − J(θ) − h vᵀD| over h = h₀, h₀/2, …: it shrinks like
///   h² when D is right along v and like h when it is wrong (Farrell et al., dolfin-adjoint's
///   taylor_test). The observed order needs no tuned ε, and works for float32 implementations.
///   It assumes J smooth along v: where a kink lies within the steps (a trained ReLU net), r(h)
///   shrinks like h whatever D is, and the test is waived (DirectionalLayer::taylor_smooth).
/// Random projections can pass wrong gradients whose error is (nearly) orthogonal to every v
/// tried; README's catalog table says how often that happens for the classic mistakes.

#include "gradcheck/check/compare.hpp"
#include "gradcheck/model/unroll.hpp"
#include "gradcheck/numeric/finer.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace gradcheck {

/// How to probe.
struct DirectionalOptions {
  int directions = 3;          ///< random unit directions per layer
  double step = 1e-4;          ///< ε of the central difference along v (|v| = 1)
  std::uint64_t seed = 0;      ///< directions are drawn from this seed
  Tolerances tolerances;       ///< entry tolerance applies to each directional derivative
  double taylor_start = 1e-2;  ///< h₀ of the Taylor test
  int taylor_halvings = 10;    ///< h₀ … h₀/2^halvings
  /// Halvings from one Taylor step to the next: 2 (h₀, h₀/4, … h₀/1024: 6 steps a side) reads the
  /// same orders as 1 (11 steps) at the same smallest steps, with 24 evaluations of J instead of 44
  /// on a 2-layer network; the catch rates (README, "The fast mode") are the same or better.
  int taylor_stride = 2;
  double taylor_pass = 1.5;    ///< observed order at or above this is consistent with a right D
  /// J's measured noise σ. When set, directional derivatives below the floor are differenced
  /// again at ε/10 and ε/100 (finer.hpp): a tiny J is judged with the floor its settling allows,
  /// and a layer none of whose derivatives J resolves (a stationary point) is `unresolved`.
  std::optional<double> noise;
};

struct DirectionalLayer;

/// A layer's Taylor order as reports show it: "exact", "1.98", or "1.39 (kink)" where waived.
std::string taylor_shown(const DirectionalLayer& layer);

/// One layer's probes.
struct DirectionalLayer {
  Index l = 1;
  std::vector<double> analytic;         ///< vᵀD for each direction
  std::vector<double> numerical;        ///< the central difference along each direction
  double max_relative_error = 0;        ///< over the directions
  std::vector<double> taylor_steps;     ///< h of the Taylor test (first direction)
  std::vector<double> taylor_residuals; ///< |J(θ + hv) − J(θ) − h vᵀD|
  double taylor_order = 2;              ///< observed order at the smallest h above rounding (2 if exact)
  bool taylor_exact = false;            ///< every residual at rounding level: D is right to rounding along v
  /// The error of vᵀD the remainder implies, |δ| of r(h) = |δ h + c h²| at the steps the order is
  /// read at, and relative to max(|vᵀD|, floor): a low order fails the layer only where this is
  /// beyond the entry tolerance (vᵀD off by 1e-5 is order 1 at small h, yet right to 1e-5).
  double taylor_slope_error = 0;
  double taylor_error = 0;
  /// J smooth along v over the Taylor steps: its even part |J(θ + hv) + J(θ − hv) − 2J(θ)|, which
  /// no D enters, shrinks like h² (order 2 within 0.1) at the steps the order is read at. Where it does not (a ReLU or max-pool kink within h of θ),
  /// the remainder's low order says nothing of D, and the Taylor test is waived for the layer.
  bool taylor_smooth = true;
  /// J's measured noise swamps the remainders (judge_beyond_noise()): the Taylor test says nothing
  /// of D, and the layer is judged on its directional derivatives alone.
  bool taylor_in_noise = false;
  /// Some ReLU unit has z = 0 exactly and moves with this layer: J has no derivative along v, and
  /// the probes measure a corner. `by_reference`: judged entry by entry against the reference's D
  /// instead; `unjudged`: no verdict (through an implementation's own J, or entries that match
  /// neither side's D).
  enum class AtKink { no, by_reference, unjudged } at_kink = AtKink::no;
  /// Every vᵀD below what differences of J resolve and J not flat along them: θ is at a
  /// stationary point of J, where −D and 0 pass too; `pass` stays, and the check cannot judge.
  bool unresolved = false;
  /// Judged within J's noise (judge_beyond_noise()), not wrong beyond it, yet some |a − n| a
  /// sizeable part of what the noise moves a quotient by: neither MISMATCH nor ok.
  bool in_noise = false;
  double resolution = 0;  ///< the largest |a − n| the derivatives' floors pass, when unresolved or in_noise
  bool pass = true;
};

/// The Taylor test's verdict on a layer: order ≥ taylor_pass, exact, waived at a kink, or a lower
/// order whose implied error of vᵀD (taylor_error) is within the entry tolerance.
bool taylor_test_passes(const DirectionalLayer& layer, const DirectionalOptions& options);

/// The fast mode's findings. Data: the caller decides.
struct DirectionalResult {
  std::vector<DirectionalLayer> layers;
  std::size_t evaluations = 0;
  bool pass = true;
  /// An implementation checked against the reference: its J at θ, compared (`pass` includes it).
  std::optional<CostComparison> cost;
  /// Why no verdict can be given (J's noise, a layer on a kink); then `pass` is false.
  std::optional<std::string> cannot_judge;
  /// Judged beyond J's noise (judge_beyond_noise()): what the noise moves a quotient by, 16σ/ε.
  double beyond_noise = 0;
  /// An implementation's side effects (CheckResult::side_effects): any makes `pass` false.
  std::vector<std::string> side_effects;
  /// Where J differs from the reference's: the settings under which it would not (cost_settings.hpp).
  std::optional<Diagnosis> diagnosis;
};

/// "; J's noise moves a quotient by up to …, so only derivatives beyond it are judged …" for the
/// method line of a check judged beyond J's noise, "" otherwise.
std::string describe_beyond_noise(const DirectionalResult& result);

/// Probes the analytic gradient of any cost J (a callable double(const VectorXd&)) at θ.
DirectionalResult check_directional(const std::function<double(const Eigen::VectorXd&)>& J,
                                    const Eigen::VectorXd& theta, const Eigen::VectorXd& analytic,
                                    const Layout& layout, const DirectionalOptions& options = {});

/// J at many points near θ: J(θ + step·directions[index]) for each point.
using DirectionCosts =
    std::function<std::vector<double>(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions)>;

/// The same probes, every evaluation of J asked for at once (an implementation answers them in
/// one request, or a few).
DirectionalResult check_directional_at_points(const DirectionCosts& J, const Eigen::VectorXd& theta,
                                              const Eigen::VectorXd& analytic, const Layout& layout,
                                              const DirectionalOptions& options = {});

}  // namespace gradcheck
