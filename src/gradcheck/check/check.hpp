#pragma once
/// @file
/// A gradient check: an analytic gradient against finite differences of its cost.

#include "gradcheck/model/backprop.hpp"
#include "gradcheck/check/compare.hpp"
#include "gradcheck/check/noise.hpp"
#include "gradcheck/model/names.hpp"
#include "gradcheck/numeric/complex_step.hpp"
#include "gradcheck/numeric/directional.hpp"
#include "gradcheck/numeric/finite_diff.hpp"
#include "gradcheck/numeric/finer.hpp"
#include "gradcheck/numeric/incremental.hpp"
#include "gradcheck/diagnosis/mutants.hpp"
#include "gradcheck/model/network.hpp"
#include "gradcheck/model/problem.hpp"
#include "gradcheck/model/unroll.hpp"

#include <Eigen/Core>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace gradcheck {

/// How to check: the finite difference, the tolerances, how many worst entries to keep, and
/// how many threads the reference's numerical gradient may use.
struct CheckOptions {
  FiniteDifference difference;
  Tolerances tolerances;
  std::size_t worst = 5;
  unsigned threads = 1;
  /// When set, check_reference() compares against complex-step derivatives instead of
  /// `difference` (exact to rounding; one complex forward pass per parameter).
  std::optional<ComplexStep> complex_step;
};

/// Tolerances that follow from the accuracy of a finite difference. Calibrated on correct
/// gradients of 6,000 random networks (2–6 layers, every activation and output/cost pair), each
/// tolerance 5× to 100× above the largest error seen there, and far below what the planted
/// mistakes of mutants.hpp produce (≥ 1e-3):
///
///   stencil            step         worst seen (entry, norm)   tolerance (entry, norm)
///   central 2          ε = 1e-4     2.3e-5, 1.6e-8             1e-4, 1e-5
///   central 2          scaled       8.3e-8, 6.0e-10            1e-6, 1e-8
///   central 4, 6       either       4.0e-9, 3.8e-11            1e-7, 1e-9
///   richardson 4       either       6.1e-9, 7.1e-11            1e-7, 1e-9
///   richardson 6       ε = 1e-4     1.5e-8, 1.5e-10            1e-7, 1e-9
///   richardson 6       scaled       2.1e-10, 2.8e-12           1e-8, 1e-10
///
/// For a fixed ε other than 1e-4 both grow by max(1, (ε/1e-4)^order) (truncation error grows as
/// ε^order), or become rounding_allowance(ε) (a tenth of it for the norm) where that is larger.
/// The floor stays 1e-4.
Tolerances default_tolerances(const FiniteDifference& fd);

/// The loosest tolerances any check may use. Above them a planted mistake could pass: where the
/// catalog's mistakes change D materially they score ≥ 2.2e-3 per entry and ≥ 5.2e-4 on a layer's
/// norm figure (README, "How a check is judged"), while correct gradients reach 2.3e-5 and 1.6e-8
/// under the course's method. A floor above 1e-3 would judge entries up to that size absolutely,
/// hiding mistakes in the small entries of a layer.
struct ToleranceCaps {
  static constexpr double entry = 1e-3, norm = 1e-4, floor = 1e-3;
};

/// The steps ε a fixed-step finite difference of this kind accepts: those whose derived
/// tolerances (default_tolerances) stay within ToleranceCaps. Outside, truncation error (ε too
/// large) or rounding error ε_mach·|J|/ε (ε too small) could hide a planted mistake.
std::pair<double, double> accepted_steps(const FiniteDifference& fd);

/// The tolerances of a check: `entry` and `norm` when given, else derived from the method;
/// throws std::invalid_argument, naming the option, the value and the accepted range, when the
/// step or a tolerance would let a planted mistake pass.
Tolerances sound_tolerances(const FiniteDifference& fd, std::optional<double> entry, std::optional<double> norm,
                            double floor);

/// The tolerances an implementation is judged with against the reference: the method's, but none
/// tighter than central differences' calibrated 1e-4 per entry and 1e-5 on the norm unless given.
/// The tighter ones of --order 4 or 6 and --scaled-step (1e-7 … 1e-10) measure the reference's
/// agreement with itself; an implementation right in float32, or at θ and X rounded to float32,
/// differs from it by 1e-7 and more, and the catalog's mistakes start at 2.2e-3.
Tolerances for_an_implementation(Tolerances method, std::optional<double> entry, std::optional<double> norm);

/// Why the numerical gradient at θ cannot be trusted with `fd` ("" when it can): a fixed step
/// lost in θ_k's rounding (ε below |θ_k|·1e-10 keeps fewer than 6 significant digits of the
/// difference).
std::string cannot_judge(const FiniteDifference& fd, const Eigen::Ref<const Eigen::VectorXd>& theta);

/// Refuses (std::invalid_argument, naming the values and the smallest accepted) tolerances tighter
/// than a difference quotient's rounding: ε_mach/(ε·floor) above half the entry tolerance (e.g.
/// --tolerance 1e-15), where a right entry would fail. Scaled steps are judged by cannot_judge.
void require_resolvable(const FiniteDifference& fd, const Tolerances& tolerances);

/// What the noise gate weighs J's noise against, over the values a check measured.
struct MeasuredValues {
  double smallest = 0;  ///< the smallest max(|a|, |n|) (0: none known, weighed at the floor)
  double mismatch = 0;  ///< the largest |a − n| among values that fail the entry tolerance
};
/// The same over a full check's values (entries flagged in `kinks`, when given, left out: unjudged).
MeasuredValues measured_values(const Eigen::Ref<const Eigen::VectorXd>& analytic, const Eigen::Ref<const Eigen::VectorXd>& numerical,
                               const Tolerances& tolerances, const std::vector<bool>& kinks = {});
/// The same over a fast check's directional derivatives.
MeasuredValues measured_values(const DirectionalResult& result, const Tolerances& tolerances);

/// The reason a check of an implementation's own J cannot judge, or "": when the measured noise
/// σ of J (at least half an ulp of J) could move a difference quotient at the floor by half the
/// entry tolerance, σ/(ε·floor). Weighed against the values measured: where even the smallest
/// stands high enough above the noise that σ/ε moves it by less than half the tolerance,
/// relatively, the noise cannot matter (a float64 J with large logits, σ = 7e-13, gradients of
/// order 10); where some value fails by far more than the noise can move it (16σ/ε), that FAIL
/// stands (a sign flipped on entries of 0.1 beside a J of 1e6).
std::string cannot_judge(const FiniteDifference& fd, double J, double noise, const Tolerances& tolerances,
                         const MeasuredValues& values = {});

/// Where cannot_judge() lets a FAIL stand on J too noisy for the floor: the tolerances under which
/// only the values beyond the noise fail, the floor raised to 16σ/(ε·entry) (every value then
/// passes within 16σ/ε, what the noise can move a quotient), so a right tensor beside the wrong one
/// is not called MISMATCH in the noise; std::nullopt where J is not that noisy. Those values still
/// fail under them: each differs by more than 16σ/ε.
std::optional<Tolerances> beyond_noise(const FiniteDifference& fd, double J, double noise, const Tolerances& tolerances,
                                       const MeasuredValues& values);

/// The tolerances a check through an implementation's own J judges with: `tolerances`, with the
/// floor raised where J's own rounding would move a quotient at the floor by more than half the
/// entry tolerance, to 2σ/(ε·entry), at most ToleranceCaps::floor. Only for a J whose noise σ is
/// its float64 rounding (σ ≤ 8 ε_mach |J|: a sum over 5,000 examples, J ≈ 2e4): the differences of
/// such a J resolve nothing finer, while a noisy J (float32, dropout) is refused by cannot_judge.
/// Entries below the raised floor are judged absolutely against it, and a layer none of whose
/// entries stands above it is unresolved (judge()). A raised floor is said in `method`, if given.
Tolerances within_rounding(const FiniteDifference& fd, double J, double noise, Tolerances tolerances,
                           std::string* method = nullptr);

/// Why a fast check's layers left unjudged at a corner of J (AtKink::unjudged) forbid a verdict,
/// naming each with `name(l)`; "" when there are none, or when another layer fails (a FAIL stands).
std::string unsettled_layers(const DirectionalResult& result, const std::function<std::string(Index)>& name);

/// The relative error that rounding adds to a fixed step's quotients, 1e-11/ε (J of order 1,
/// entries of D at the floor 1e-4): default_tolerances adds it to the truncation allowance.
double rounding_allowance(double step);

/// Tolerances for complex-step derivatives: entry 1e-9, norm 1e-12 (worst seen on correct
/// gradients of the same 6,000 networks: 2.7e-12 and 1.2e-15; what remains is backprop's rounding).
Tolerances complex_step_tolerances();

/// What a check measures before judging: for each coordinate checked, the analytic and the
/// numerical value and whether the numerical one straddles a ReLU kink. A shard of a check is
/// one of these over part of the coordinates; merging shards is concatenating them.
struct Measurements {
  std::vector<Index> coordinates;  ///< flat indices k, in the order of the values below
  Eigen::VectorXd analytic;
  Eigen::VectorXd numerical;
  std::vector<bool> kinks;         ///< empty, or one flag per coordinate
  std::size_t evaluations = 0;     ///< calls of J (or complex passes) spent
  std::string method;              ///< how the numerical values were made
  bool complete = true;            ///< false when the work was stopped before every coordinate was measured
  /// Empty (tolerances.floor for all), or one floor per coordinate: an entry judged against the
  /// reference's exact D has its own, from the rounding that could move it. Above tolerances.floor
  /// only where flagged `stationary`.
  std::vector<double> floors;
  /// Empty, or one flag per coordinate: looked at again below the floor, and J moves along it
  /// (not flat); or, against the reference, the implementation's rounding could move it by more
  /// than the floor allows. A layer with such an entry and none above its resolution,
  /// |n| > entry × floor, is not judged: θ is at a stationary point of J, where differences (or
  /// the implementation's precision) cannot tell D from −D.
  std::vector<bool> stationary;
  /// The numerical values are differences of the implementation's own J (self or model mode):
  /// a check none of whose entries J resolves (|n| > entry × floor) judges nothing, flat or not.
  bool own_J = false;

  /// Keeps the first `completed` coordinates, those a stopped numerical gradient finished;
  /// marks the measurements incomplete when that is fewer than all.
  void keep_completed(Index completed);
};

/// Judges measurements that cover every parameter exactly once, in any order, or with
/// `sampled`, some of them once (the rest counted as unchecked); throws std::invalid_argument
/// otherwise. Incomplete measurements are judged as sampled, and the result is incomplete: it
/// does not pass, whatever the entries measured show.
CheckResult judge(const Layout& layout, const Measurements& measured, const CheckOptions& options, bool sampled = false);

/// A FAIL that cannot_judge() lets stand on J too noisy for the floor, judged again under
/// beyond_noise(): only the values beyond the noise fail, each entry against the raised floor, and
/// a layer none of whose values rises above it is "not judged" (J = 1e8 + f with b1 wrong called
/// W1, W2 and b2 MISMATCH too, and named a right entry the worst). Returns false, leaving `result`
/// as it is, where J is not that noisy or the check did not fail.
bool judge_beyond_noise(const Layout& layout, const Measurements& measured, const CheckOptions& options, double J,
                        double noise, bool sampled, CheckResult& result);
/// The same for a fast check: each layer judged again on its directional derivatives alone (a
/// noisy J's remainders say nothing of D, and its Taylor test is not used: "noise"), a layer none
/// of whose derivatives rises above the noise "not judged". With J = 1e8 + f and b1 wrong, every
/// tensor was MISMATCH, and a smooth tanh's "(kink)".
bool judge_beyond_noise(DirectionalResult& result, const FiniteDifference& fd, double J, double noise,
                        const Tolerances& tolerances);

/// Where J's noise leaves a fast check unjudged (cannot_judge()), its layers labelled as
/// judge_beyond_noise() labels them: rel.err against the raised floor, the Taylor column `noise`,
/// and `not judged: within J's noise` where |a − n| is a sizeable part of the noise's reach.
/// The verdict is untouched.
void label_within_noise(DirectionalResult& result, const FiniteDifference& fd, double J, double noise,
                        const Tolerances& tolerances);

/// Why entries on a ReLU kink forbid a PASS, from how many there are in each layer (counts[l],
/// counts[0] unused), for a check through the implementation's own J (`self`) or against the
/// reference; "" when there are none.
/// `why_unjudged`, when given, replaces what the check says of them (merge, which compares none).
std::string on_kinks(const std::vector<Index>& counts, bool self, const Names& names = Names(),
                     const std::string& why_unjudged = "");

/// The same for the entries still flagged at a kink in `m`: J has no derivative there (some z = 0
/// exactly at θ), or none could be measured on one side of it.
std::string unjudged_kinks(const Measurements& m, const Layout& layout, bool self, const Names& names = Names(),
                           const std::string& why_unjudged = "");

/// Why differences of a J that did not move cannot judge: every measured quotient and every
/// analytic entry exactly 0 (a J that does not depend on θ, such as the course's starter code's
/// J = 0 with its gradient of zeros). Empty when something moved.
std::string nothing_moved(const Measurements& m, double J0, const std::string& instead);

/// Why layers flagged `unresolved` forbid a PASS, naming each with `name(l)` and ending "check at
/// `instead`"; "" when none is.
std::string at_stationary_point(const CheckResult& result, const std::function<std::string(Index)>& name,
                                const std::string& instead);
/// The same for a fast check's unresolved layers.
std::string at_stationary_point(const DirectionalResult& result, const std::function<std::string(Index)>& name,
                                const std::string& instead);
/// The same from (layer name, resolution) pairs.
std::string at_stationary_point(const std::vector<std::pair<std::string, double>>& unresolved, const std::string& instead);
/// Why layers flagged `unresolved` in a check against the reference forbid a PASS: the
/// implementation's rounding at `precision` ("float32", say) could move them by more than they
/// are. "" when none is.
std::string within_its_rounding(const CheckResult& result, const std::function<std::string(Index)>& name,
                                const std::string& precision);

/// The smallest step whose quotient's rounding, about σ/h, stays under a quarter of the entry
/// tolerance at the floor; σ is J's measured noise, at least ε_mach·|J0|.
double smallest_step(double noise, double J0, const Tolerances& tolerances);

/// J at points θ + step·e_index, one value per point.
using CoordinateCosts = PointValues;

/// For each of some coordinates, whether a difference at ε/10 or ε/100 around θ crosses a kink.
using KinkCrossings = std::function<std::vector<bool>(const std::vector<Index>& coordinates)>;

/// What a second look did.
struct SecondLook {
  std::size_t disagreed = 0;    ///< entries that disagreed, looked at again
  std::size_t below_floor = 0;  ///< entries below the floor, now judged with their own floor
  std::size_t cornered = 0;     ///< entries disagreeing beyond a noisy J's reach, a corner crossed at ε may explain
  /// Of the entries left unjudged at a corner at θ, those whose analytic value lies outside both
  /// one-sided slopes: wrong where one kink lies there, yet right (ReLU′(0) = 0) where several
  /// units tie at θ along the entry (a zero-initialised layer), so still unjudged, and said.
  std::size_t outside_slopes = 0;
};

/// A second look, at the same difference at ε/10 and ε/100, all asked at once, for two kinds of
/// entries:
/// - With `disagreeing`, those whose difference disagrees with the analytic value (when J's noise
///   allows steps that small). Where the two agree with each other, or the smaller with the
///   analytic value, the smaller's quotient becomes the measurement: a corner (ReLU, max-pool)
///   crossed at ε, or truncation, no longer fails a right entry, and a wrong one still fails.
///   Where they do not settle, or the two one-sided slopes differ by as much at ε/100 as at ε/10
///   (a corner at θ itself), the entry is flagged as a kink, unjudged.
/// - Those below the floor that the floor alone passes (finer.hpp's BelowFloor): where the
///   quotients settle, the smallest step's is the measurement, with its own floor in m.floors.
///   A tiny J no longer passes −D, 0 or 2D. Where they do not, the floor stays.
///   Where J's noise forbids ε/100, those that disagree beyond the noise and whose one-sided slopes'
///   gap at ε allows a corner crossed there are flagged as kinks (corners_crossed in check.cpp).
/// `crossing`, when given, names coordinates a kink makes unfit for smaller steps (not looked at).
/// - Every entry below the floor of a layer none of whose differences stand above entry × floor:
///   settled as above, or J flat along it, or flagged in m.stationary.
SecondLook second_look(const CoordinateCosts& J, Measurements& m, const Layout& layout, const Eigen::VectorXd& theta,
                       const FiniteDifference& fd, double noise, double J0, const Tolerances& t,
                       bool disagreeing = true, const KinkCrossings& crossing = {});

/// "; 3 entries that disagreed looked at again …" for the method line, "" when nothing was.
std::string describe(const SecondLook& looked);

/// What a closer look did (closer_look()).
struct CloserLook {
  std::size_t settled = 0;  ///< entries whose one-sided slopes agree down to the finest step: measured there
  std::size_t corners = 0;  ///< entries at a corner of J within the finest step, the analytic value among its slopes: unjudged
};

/// A closer look at the entries `which` (indices into m), for what the second look leaves wrong
/// at a trained θ: entries that still disagree, and those of a layer failing its norm figure
/// alone (truncation ε²J‴/6 beside a gradient near 0, or a corner crossed near the end of ε).
/// J at θ ± h for h = ε, ε/10, ε/100, ε/1000 (those J's noise σ leaves usable: 16σ/h within a
/// quarter of the entry's tolerance), and the one-sided slopes s₊(h) = (J(θ+h) − J(θ))/h,
/// s₋(h) = (J(θ) − J(θ−h))/h. Where J is smooth their gap is h·|J″| and shrinks tenfold with h:
/// - smooth down to the finest step: the quotient there becomes the measurement (its truncation
///   a hundredth of ε's or less), judged as any other (a wrong entry fails there);
/// - not smooth within the finest step (a ReLU, max-pool or abs corner closer than it): J has no
///   derivative any difference can measure there. The entry is flagged a kink, unjudged, when the
///   analytic value lies within what the slopes allow (between the smallest and the largest of
///   them, widened by their largest gap and the tolerance); elsewhere it keeps its measurement
///   and fails. Costs 2 evaluations per step per entry, all in one call of J.
CloserLook closer_look(const CoordinateCosts& J, Measurements& m, const Eigen::VectorXd& theta, const FiniteDifference& fd,
                       double noise, double J0, const Tolerances& t, const std::vector<std::size_t>& which);

/// The entries a closer look is for, after judge() gave `result` on `m`: those still disagreeing
/// (not flagged a kink), and every entry at or above the floor of a layer failing its norm figure
/// with no entry failing; the largest |a − n| first, at most `most`.
std::vector<std::size_t> closer_look_wanted(const Measurements& m, const Layout& layout, const CheckResult& result,
                                            const Tolerances& t, std::size_t most = 4096);

/// "; 12 entries looked at closer …" for the method line, "" when nothing was.
std::string describe(const CloserLook& looked);

/// A check through an implementation's own J, with nothing else known of it (model mode, and
/// check() for C++ code): differences at ε over `coordinates`, J's noise measured, a second look
/// at ε/10 and ε/100 for entries that disagree or lie below the floor, then judged. A corner that
/// does not settle, a stationary point (`instead` says where to check) or a J too noisy for the
/// floor gives `cannot_judge`, never a PASS: at a fitted θ, or J scaled by 1e-9, −D passed the
/// floor alone. `J` answers coordinate points, `along` direction points; `entry(k)` names the flat
/// coordinate k and `tensor(l)` layer l in messages. `kept`, when given, receives the measurements
/// the verdict rests on (after the second look), for a diagnosis to read.
CheckResult check_own_J(const PointValues& J, const PointCosts& along, const Layout& layout, const Eigen::VectorXd& theta,
                        const Eigen::VectorXd& analytic, double J0, const std::vector<Index>& coordinates, bool sampled,
                        const CheckOptions& options, const std::function<std::string(Index)>& entry,
                        const std::function<std::string(Index)>& tensor, const std::string& instead,
                        Measurements* kept = nullptr);

/// The coordinates of shard `index` of `count` (1 ≤ index ≤ count): k ≡ index − 1 (mod count).
/// Interleaved, so every shard gets its share of every layer and of the costly ones.
std::vector<Index> shard_coordinates(Index parameters, Index index, Index count);

/// Checks the analytic gradient of any cost J: R^P → R (a callable double(const VectorXd&))
/// at θ against its finite differences. Costs P × (stencil size) evaluations of J.
template <class Cost>
CheckResult check_gradient(Cost&& J, const Eigen::VectorXd& theta, const Eigen::VectorXd& analytic,
                           const Layout& layout, const CheckOptions& options, const std::vector<bool>& kinks = {}) {
  const NumericalGradient numerical = numerical_gradient(std::forward<Cost>(J), theta, options.difference);
  Measurements measured{{}, analytic, numerical.gradient, kinks, numerical.evaluations, describe(options.difference), true, {}, {}, false};
  for (Index k = 0; k < theta.size(); ++k) measured.coordinates.push_back(k);
  return judge(layout, measured, options);
}

/// The reference network's J as a function of the unrolled parameters.
inline auto reference_cost(const Problem& problem) {
  return [&problem, layout = Layout(problem.architecture)](const Eigen::VectorXd& flat) {
    return cost(problem, reroll(layout, flat));
  };
}

/// An implementation as C++ code sees it: returns J at Θ and, when `gradient` is not null,
/// writes D^(l) = ∂J/∂Θ^(l) there (one matrix per layer, shaped like Θ^(l)).
using CostAndGradient = std::function<double(const Weights<double>& theta, Weights<double>* gradient)>;

/// The one call for another project's own tests (Boost.Test, GoogleTest…): checks the gradient of
/// `f` at Θ against central differences of f's own J, every parameter, as model mode does (J's
/// noise measured, entries below the floor or at a ReLU corner looked at again at smaller steps;
/// `cannot_judge` where the numbers cannot tell), and returns the result:
///
///     const gradcheck::CheckResult r = gradcheck::check(my_cost_and_gradient, theta);
///     BOOST_TEST(r.pass);  // or print gradcheck::format_text(r, subject)
///
/// The layer sizes are read off Θ (Θ^(l) is s_(l+1) × (s_l + 1)). Throws std::invalid_argument
/// when the shapes do not chain or f's gradient has other shapes.
CheckResult check(const CostAndGradient& f, const Weights<double>& theta, const CheckOptions& options = {});

/// For each parameter k, whether some point of the finite difference at θ + o ε e_k lies across
/// a ReLU kink from θ: the sign pattern of a ReLU layer's z^(l) differs there. Such an entry's
/// finite difference measures a corner, not a derivative. All false when no layer is ReLU.
std::vector<bool> kink_crossings(const Problem& problem, const Eigen::VectorXd& theta, const FiniteDifference& fd);

/// The same for the listed coordinates only: one flag per coordinate, in their order.
std::vector<bool> kink_crossings(const Problem& problem, const Eigen::VectorXd& theta, const FiniteDifference& fd,
                                 const std::vector<Index>& coordinates);

/// The measurements of the reference backprop (or of its copy with `planted`) against the
/// reference's numerical gradient, over `coordinates` (all P when nullopt).
Measurements measure_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                               Mistake planted = Mistake::none,
                               const std::optional<std::vector<Index>>& coordinates = std::nullopt);

/// The reference backprop checked against finite differences of the reference J, made by
/// incremental evaluation (incremental.hpp) on options.threads threads, or against complex-step
/// derivatives when options.complex_step is set: the main job of `gradcheck check`. With `planted` other than Mistake::none, the backprop checked is the
/// copy with that mistake (J stays right), which the check must fail.
CheckResult check_reference(const Problem& problem, const Weights<double>& theta, const CheckOptions& options,
                            Mistake planted = Mistake::none);

}  // namespace gradcheck
