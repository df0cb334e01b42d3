#pragma once
/// @file
/// Judging an analytic gradient a against a numerical one n, entry by entry and layer by layer.

#include "gradcheck/model/unroll.hpp"

#include <cmath>
#include <Eigen/Core>

#include <cstddef>
#include <optional>
#include <string>
#include <string>
#include <vector>

namespace gradcheck {

/// The thresholds a check is judged by. Printed in every report.
///
/// The defaults suit the course's central differences with ε = 1e-4, whose truncation error is
/// about ε²/6 · |∂³J/∂θ³|: relatively large where ∂J/∂θ is small (near a stationary point).
/// Measured over 40,000 random networks (2–6 layers of 1–8 units, every activation and
/// output/cost pair, m ≤ 16, λ ≤ 5): correct gradients reached a per-entry relative error of
/// 1.4e-5 and a layer norm figure of 8.9e-8 (1.4e-7 in a RapidCheck search), while the planted
/// mistakes of mutants.hpp, wherever they changed D materially, scored at least 2.2e-3 per entry
/// and 5.2e-4 on the norm figure. Both defaults sit well inside that gap.
struct Tolerances {
  /// Largest per-entry relative error that passes.
  double entry = 1e-4;
  /// Largest value of the course's figure ‖n − a‖ / ‖n + a‖ that passes, per layer and overall.
  /// The figure is judged with the floor too: ‖n − a‖ ≤ norm × max(‖n + a‖, floor), so a
  /// gradient that is (nearly) zero as a whole is not failed for rounding noise.
  double norm = 1e-5;
  /// Scale below which entries are compared absolutely: relative_error() divides by at least
  /// this, so |a − n| ≤ entry × floor always passes. It absorbs the numerical gradient's own
  /// error on entries that are (nearly) zero.
  double floor = 1e-4;
  /// Largest relative error of an implementation's J against the reference J that passes
  /// (external implementations only; float32 ones land near 1e-7).
  double cost = 1e-6;
};

/// The one definition of relative error used everywhere:
///   a == n (exactly, both zero or the same infinity)  → 0
///   a or n NaN                                         → NaN (never passes)
///   a or n infinite, a ≠ n                             → +∞
///   otherwise                                          → |a − n| / max(|a|, |n|, floor)
double relative_error(double analytic, double numerical, double floor);

/// The larger of two relative errors, NaN counting as the largest of all.
double worst_of(double x, double y);

/// The course's figure ‖n − a‖ / ‖n + a‖ (0 when both are zero, NaN when either holds NaN).
double norm_figure(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical);

/// The verdict on the norm figure: ‖n − a‖ ≤ tolerances.norm × max(‖n + a‖, tolerances.floor).
bool norm_passes(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical,
                 const Tolerances& tolerances);

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
  bool norm_floored = false;        ///< ‖n + a‖ < floor: the figure was judged against the floor
  Index mismatches = 0;             ///< entries whose relative error exceeds the tolerance (or is NaN)
  Index kinks = 0;                  ///< entries skipped: their finite difference straddles a ReLU kink
  Index unchecked = 0;              ///< entries not measured (a sampled check)
  std::vector<EntryReport> worst;   ///< largest relative errors first
  /// Through an implementation's own J: every entry below what its differences resolve, and J
  /// not flat along them (θ at a stationary point of J), so −D or 0 would pass too: not judged.
  bool unresolved = false;
  /// Judged beyond J's noise (judge_beyond_noise()), not wrong beyond it, yet some |a − n| a
  /// sizeable part of what the noise moves a quotient by: neither MISMATCH nor ok.
  bool in_noise = false;
  double resolution = 0;            ///< the largest |a − n| the entries' floors pass, when unresolved or in_noise
  /// Why this layer's (a model's tensor's) gradient could not be compared at all, in the user's
  /// words ("the gradient is a scalar; expected shape (5,)"), or "": such a layer fails.
  std::string unusable;
  bool pass = true;
};

/// An implementation's J against the reference's.
struct CostComparison {
  double implementation = 0;
  double reference = 0;
  double relative_error = 0;
  /// What rounding at a float32 implementation's precision could move its J by (0 for float64):
  /// 100u times the sizes it is computed from. Near a fitted θ, J ~ 1e-7 is off by 4e-5 of itself.
  double rounding = 0;
  bool pass = true;

  /// Within `tolerance` (relative), or within the rounding.
  bool judge(double tolerance) const {
    return relative_error <= tolerance || std::abs(implementation - reference) <= rounding;
  }
};

/// What the mistake most likely is, and the evidence (diagnosis.hpp makes these).
struct Diagnosis {
  enum class Kind { right, recognised, unrecognised };
  Kind kind = Kind::right;
  std::vector<std::string> mistakes;  ///< keys of the matching catalog entries, best first (recognised)
  std::string summary;                ///< "bias column regularized", or "unrecognised discrepancy"
  std::string where;                  ///< which layers and quantities, where the error starts
  std::string evidence;               ///< why: the match against the catalog, or the pattern seen
  /// What the sentences above claim, for tests that hold them to the numbers: the layers said to be
  /// wrong and said to be right, and whether the gradient as a whole is said to be right.
  std::vector<Index> wrong_layers, right_layers;
  bool gradient_said_right = false;
};

/// The whole comparison. Data only: the caller decides what to do with the verdict.
struct CheckResult {
  std::vector<LayerReport> layers;
  double norm_figure = 0;           ///< overall ‖n − a‖ / ‖n + a‖, the course's figure
  bool norm_floored = false;        ///< ‖n + a‖ < floor overall
  double max_relative_error = 0;
  Index kinks = 0;
  Index unchecked = 0;              ///< entries not measured (a sampled check)
  std::optional<CostComparison> cost;  ///< J against the reference J, when an implementation was asked
  std::optional<Diagnosis> diagnosis;  ///< when the reference could judge what went wrong
  std::vector<EntryReport> worst;   ///< over all layers, largest relative errors first
  std::vector<EntryReport> not_finite;  ///< every judged entry whose a or n is NaN or ±∞, in flat order
  Eigen::VectorXd entry_errors;     ///< every parameter's relative error, flat index order
  std::vector<bool> skipped;        ///< per parameter: not judged (a ReLU kink, or not sampled)
  /// Entries measured: every parameter but those a sample or a stop left out.
  Index measured() const { return entry_errors.size() - unchecked; }
  Tolerances tolerances;
  std::string method;               ///< how the numerical gradient was made, with its step
  std::size_t evaluations = 0;      ///< calls of J
  bool complete = true;             ///< false when the check was stopped (Ctrl-C) before measuring every entry
  /// Set when the implementation under test failed before a verdict could be reached (it crashed,
  /// hung, raised an error, answered something that is not a reply): what happened, in one line.
  /// Such a result has no layers, never passes, and is reported as an error (exit 3).
  std::optional<std::string> failure;
  /// Set when the numerical gradient cannot be trusted at these options and numbers (e.g. a step
  /// lost in θ's rounding): why, and what to change. Such a result never passes (exit 5).
  std::optional<std::string> cannot_judge;
  /// What the implementation's calls changed of their inputs (its adapter's "changed": "nnCostFunction
  /// changes nn_params in place: …"). A side effect is a mistake: any makes the check FAIL, whatever
  /// the gradient, and the verdict says it first.
  std::vector<std::string> side_effects;
  /// What a PASS does not cover, said in its verdict (e.g. "λ = 0 only: regularization not exercised");
  /// for a check incomplete before any entry was measured, why ("this run has not finished").
  std::string caveat;
  bool pass = true;
  /// The gradient's own verdict, for an implementation whose J is compared too (`cost` set):
  /// `pass` is this and J's verdict together.
  bool gradient_pass = true;
};

/// CheckResult::not_finite split by side: the entries whose analytic value is NaN or ±∞ (the
/// gradient under check), and those whose numerical one is (J itself), each in flat order.
struct NotFiniteSides {
  std::vector<EntryReport> analytic, numerical;
};
NotFiniteSides not_finite_sides(const CheckResult& result);

/// Compares analytic and numerical gradients laid out as `layout`. Entries flagged in `kinks`
/// or in `unchecked` (if given, one flag per parameter) are excluded from the figures and the
/// verdict and counted. `floors`, if given, holds each parameter's own floor (at most
/// tolerances.floor): a layer's norm figure and the overall one are judged with the largest.
/// A layer passes when its largest relative error ≤ tolerances.entry and norm_passes() holds over
/// its entries at or above their floor (those below are judged absolutely, entry by entry; the
/// printed figure is the course's, over every entry); the check passes when every layer and the
/// overall verdict on the norm pass.
CheckResult compare(const Layout& layout, const Eigen::Ref<const Eigen::VectorXd>& analytic,
                    const Eigen::Ref<const Eigen::VectorXd>& numerical, const Tolerances& tolerances,
                    const std::vector<bool>& kinks = {}, std::size_t worst = 5,
                    const std::vector<bool>& unchecked = {}, const std::vector<double>& floors = {});

}  // namespace gradcheck
