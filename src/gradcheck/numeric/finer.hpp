#pragma once
/// @file
/// Values below the floor, judged where finer differences can measure them.
///
/// The floor (1e-4) judges small entries absolutely: |a − n| ≤ entry × floor passes. It is there
/// because a difference at ε carries truncation (ε²J‴/6 for the course's stencil) and rounding
/// (σ/ε for J's noise σ), about the floor's size when J is of order 1. When J is tiny (a fitted
/// network, a loss scaled by 1e-11) both shrink with it, and the floor would pass −D, 0 or 2D.
/// Such a value is differenced again at ε/10 and ε/100; where the quotients settle as ε shrinks,
/// their own changes bound the error of the last, and that bound, not 1e-4, is its floor.

#include "gradcheck/check/compare.hpp"
#include "gradcheck/model/unroll.hpp"
#include "gradcheck/numeric/finite_diff.hpp"

#include <Eigen/Core>

#include <functional>
#include <optional>
#include <vector>

namespace gradcheck {

/// A difference quotient at ε/10 and ε/100 of the step it was first taken at.
struct Finer {
  double n[2] = {0, 0};    ///< the quotient at ε/10, ε/100
  /// |J(θ + h) + J(θ − h) − 2J(θ)| / h at each step (every stencil has the points θ ± h), the
  /// one-sided slopes' gap: h·J″ where J is smooth, the slope's jump where J has a corner.
  double gap[2] = {0, 0};
};

/// What J's noise σ can move a difference quotient at `step` by: 16σ/step, far beyond its
/// standard deviation (≈ 0.7σ/step for central differences), so a value beyond it is not noise.
inline double noise_reach(double sigma, double step) { return 16 * sigma / step; }

/// J at points θ + step·e_index (or along direction `index`), one value per point.
using PointValues = std::function<std::vector<double>(const std::vector<Point>& at)>;

/// For each point (index, ε), the stencil's quotient at ε/10 and ε/100. All 2 × stencil-size
/// points per entry are asked in one call of J; J0 is J(θ).
std::vector<Finer> finer_quotients(const PointValues& J, const Stencil& stencil, const std::vector<Point>& at, double J0);

/// Richardson's extrapolation of the two: n₂ + (n₂ − n₁)/(10^order − 1), which cancels the
/// leading truncation term ε^order·c where J is smooth (the quotient at ε/100 alone can still
/// be off by 1e-3 relatively where J‴ is large, as behind a batch norm).
double extrapolated(const Finer& f, const Stencil& stencil);

/// Whether a corner of J at θ itself shows in `f` (steps ε/10 and ε/100 of `step`): the slopes'
/// gap as large at ε/100 as at ε/10 and above J's noise `sigma` there. A central difference
/// settles on the mean of the two slopes there, which no implementation need return.
bool corner_at_theta(const Finer& f, double step, double sigma);

/// Whether every value is one a float32 holds exactly, and not all are zero: a gradient computed
/// in single precision, whose rounding is 2^-24 of its terms rather than ε_mach.
bool single_precision(const Eigen::Ref<const Eigen::VectorXd>& values);

/// The judge of values below the floor, for one check: J's noise, the stencil, and the
/// analytic gradient's own precision.
class BelowFloor {
 public:
  /// `noise` is J's measured noise σ (at least ε_mach·|J0| is assumed); `analytic` all of the
  /// analytic values: their rounding is at most 100 u × max(|J0|, max |a|) (u = 2^-24 when every
  /// value is a float32, else ε_mach), which no floor goes below.
  BelowFloor(const Tolerances& tolerances, const Stencil& stencil, double noise, double J0,
             const Eigen::Ref<const Eigen::VectorXd>& analytic);

  /// Whether the floor alone passes analytic `a` against numerical `n` (measured at `step`): both
  /// below the floor, apart by more than the entry tolerance relatively, and by more than any
  /// floor a second look could give (J's noise at ε/100, the gradient's rounding) would pass.
  bool unsure(double a, double n, double step) const;

  /// Whether `n` at `step` and the same at ε/10 and ε/100 settle as the step shrinks: no corner
  /// shows, and each shrinking changes the quotient by a tenth or less of the last change (a
  /// hundredth where J is smooth and the stencil of order 2), beyond rounding.
  bool converges(double n, double step, const Finer& f) const;

  /// The measurement and its own floor, from `n` at `step` and the same at ε/10 and ε/100:
  /// when no corner shows and each shrinking of the step changes the quotient by a tenth or less
  /// of the last change (beyond rounding), the extrapolated quotient with floor
  /// (|n₂ − n₁| + |n₁ − n₀|/100 + rounding)/entry: a hundred times its truncation error and
  /// more. nullopt when they do not settle: the floor stays.
  struct Settled {
    double numerical, floor;
  };
  std::optional<Settled> settle(double n, double step, const Finer& f) const;

  /// Whether J does not move along the entry at all (its slope and its curvature within noise at
  /// ε/10 and ε/100): a gradient that is zero by structure (a bias before a batch norm, a dead
  /// unit), which a zero analytic value matches. Elsewhere a value below the resolution could
  /// be a stationary point of J, where −D and 0 pass as well as D.
  bool flat(double step, const Finer& f) const;

  /// The floor of an entry along which J is flat: J's slope there is no larger than |n| plus the
  /// rounding of the quotient at `step`, the finest any difference resolves (truncation is lost
  /// in noise too). A zero gradient passes it; a nonzero one that J does not show fails.
  double flat_floor(double n, double step) const;

  /// What J's noise can add to a quotient at this step: 8 Σ|w| σ / step.
  double rounding(double step) const;

  /// Whether a corner of J at θ shows in `f` (the one-sided slopes' gap as large at ε/100 as at
  /// ε/10, above noise); false for stencils other than the central one of order 2.
  bool corner(double step, const Finer& f) const { return central_ && corner_at_theta(f, step, sigma_); }

  /// A value that disagrees with analytic `a` looked at again: `n` at `step`, `f` at ε/10 and ε/100.
  /// - agrees: no corner at θ, and `a` matches the settled quotients' extrapolation, or the quotient
  ///   at ε/100 (where ε/10 crossed a corner that ε/100 does not, extrapolating spoils it);
  /// - measured: no corner, the quotients settle (or the two agree), on a value `a` does not match,
  ///   and J is smooth between the steps (the slopes' gap shrinks tenfold with them, as h·J″);
  /// - unsettled: a corner at θ, or quotients that do not settle.
  /// Where a kink lies between ε/1000 and ε/10 of θ, ε/10 and ε/100 can both straddle it and
  /// still look settled, or look like a corner: where the first look does not agree, the caller
  /// looks once more a decade finer (if deeper()), at ε/100 and ε/1000, and that look stands.
  struct Look {
    enum class Kind { agrees, measured, unsettled } kind = Kind::unsettled;
    double numerical = 0;
  };
  Look look_again(double a, double n, double step, const Finer& f) const;

  /// look_again() on every point p of `at` whose value disagrees (`analytic[p]` against
  /// `numerical[p]`, the quotient at at[p].step, `finer[p]` its finer ones), and where that does
  /// not agree and deeper() allows, once more a decade finer (ε/100, ε/1000), all such points in
  /// one call of J: that look stands. One Look per point, none for those that agree; the
  /// evaluations spent are added to `evaluations`.
  std::vector<std::optional<Look>> look_again(const PointValues& J, const std::vector<Point>& at,
                                              const std::vector<Finer>& finer, const std::vector<double>& analytic,
                                              const std::vector<double>& numerical, double J0,
                                              std::size_t& evaluations) const;

  /// Whether analytic `a` lies among J's one-sided slopes at ε/10 and ε/100 of `step` (`f`; for the
  /// central stencil they are n ± gap/2), widened by the tolerance, the rounding at ε/100 and a
  /// quarter of their spread (their drift with the step, h·J″). A right entry at a corner of J is
  /// one of the one-sided derivatives (or between them); one far outside both is wrong, not
  /// unjudged. True for other stencils, whose quotient is no mean of two slopes.
  bool among_slopes(double a, double step, const Finer& f) const;

  /// Whether J's noise allows the look a decade finer than ε/100 of `step`: its rounding at
  /// ε/1000 within the resolution at the floor (entry × floor).
  bool deeper(double step) const { return rounding(step / 1000) <= tolerances_.entry * tolerances_.floor; }

 private:

  Tolerances tolerances_;
  Stencil stencil_;
  double sigma_, weights_, central_, lowest_;
};

}  // namespace gradcheck
