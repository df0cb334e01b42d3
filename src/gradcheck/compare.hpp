#pragma once
/// @file
/// Judging an analytic gradient a against a numerical one n, entry by entry and layer by layer.

#include "gradcheck/unroll.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <vector>

namespace gradcheck {

/// The thresholds a check is judged by. Printed in every report.
struct Tolerances {
  /// Largest per-entry relative error that passes.
  double entry = 1e-6;
  /// Largest value of the course's figure ‖n − a‖ / ‖n + a‖ that passes, per layer and overall.
  double norm = 1e-7;
  /// Scale below which entries are compared absolutely: relative_error() divides by at least
  /// this, so |a − n| ≤ entry × floor always passes. It absorbs the numerical gradient's own
  /// error on entries that are (nearly) zero.
  double floor = 1e-4;
};

/// The one definition of relative error used everywhere:
///   a == n (exactly, both zero or the same infinity)  → 0
///   a or n NaN                                         → NaN (never passes)
///   a or n infinite, a ≠ n                             → +∞
///   otherwise                                          → |a − n| / max(|a|, |n|, floor)
double relative_error(double analytic, double numerical, double floor);

/// The course's figure ‖n − a‖ / ‖n + a‖ (0 when both are zero, NaN when either holds NaN).
double norm_figure(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical);

/// One parameter's comparison.
struct EntryReport {
  Index k = 0;          ///< 0-based flat index (Octave's nn_params(k + 1))
  ParamIndex where;     ///< Θ^(l)_ij
  double analytic = 0;  ///< the implementation's D^(l)_ij
  double numerical = 0; ///< the finite-difference estimate
  double relative_error = 0;
};

/// One layer's comparison: D^(l) against the numerical gradient over Θ^(l).
struct LayerReport {
  Index l = 1;
  Index rows = 0, cols = 0;         ///< shape of D^(l)
  double max_relative_error = 0;    ///< over entries not at a kink
  double mean_relative_error = 0;   ///< over entries not at a kink
  double norm_figure = 0;           ///< ‖n − a‖ / ‖n + a‖ over this layer's entries not at a kink
  Index mismatches = 0;             ///< entries whose relative error exceeds the tolerance (or is NaN)
  Index kinks = 0;                  ///< entries skipped: their finite difference straddles a ReLU kink
  std::vector<EntryReport> worst;   ///< largest relative errors first
  bool pass = true;
};

/// The whole comparison. Data only: the caller decides what to do with the verdict.
struct CheckResult {
  std::vector<LayerReport> layers;
  double norm_figure = 0;           ///< overall ‖n − a‖ / ‖n + a‖, the course's figure
  double max_relative_error = 0;
  Index kinks = 0;
  std::vector<EntryReport> worst;   ///< over all layers, largest relative errors first
  Tolerances tolerances;
  double step = 0;                  ///< ε used for the numerical gradient
  int order = 2;                    ///< order of the finite-difference stencil
  std::size_t evaluations = 0;      ///< calls of J
  bool pass = true;
};

/// Compares analytic and numerical gradients laid out as `layout`. Entries flagged in `kinks`
/// (if given, one flag per parameter) are excluded from the figures and the verdict and counted.
/// A layer passes when its largest relative error ≤ tolerances.entry and its norm figure ≤
/// tolerances.norm; the check passes when every layer and the overall norm figure pass.
CheckResult compare(const Layout& layout, const Eigen::Ref<const Eigen::VectorXd>& analytic,
                    const Eigen::Ref<const Eigen::VectorXd>& numerical, const Tolerances& tolerances,
                    const std::vector<bool>& kinks = {}, std::size_t worst = 5);

}  // namespace gradcheck
