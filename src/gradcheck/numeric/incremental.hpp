#pragma once
/// @file
/// Finite differences of the reference J by incremental evaluation.
///
/// Perturbing Θ^(l)_ij by d changes only z^(l+1)_i, by d [1 a^(l)]_j per example. So instead of
/// a whole forward pass per evaluation, the change is propagated upward from there: a change in
/// one unit of layer l+1, a rank-one change in layer l+2, full changes above. Every step works on
/// the *differences* (Δa, Δz, ΔJ_t), each computed in a form free of cancellation, e.g. for the
/// logistic cost softplus(z + d) − softplus(z) = log1p(σ(z) expm1(d)). The quotient is formed from
/// the summed changes Σ_t J_t(θ + o ε e_k) − J_t(θ), never by subtracting two whole J's; for a
/// central stencil the changes at ±oε have opposite signs, so weighting them adds magnitudes.
///
/// Cost per evaluation for a parameter of layer l: O(m) for the unit, O(m s_(l+2)) for the
/// rank-one change, then O(m s_q s_(q+1)) per layer above; for the course's 400-25-10 network it is
/// O(m K) instead of a forward pass's O(m (400·25 + 25·10)).

#include "gradcheck/numeric/finite_diff.hpp"
#include "gradcheck/model/network.hpp"
#include "gradcheck/model/problem.hpp"
#include "gradcheck/model/unroll.hpp"

#include <Eigen/Core>

#include <optional>
#include <vector>

namespace gradcheck {

/// The reference network at fixed Θ, ready to difference J one parameter at a time.
class IncrementalCost {
 public:
  /// Makes the baseline forward pass. `problem` and `theta` must outlive this object.
  IncrementalCost(const Problem& problem, const Weights<double>& theta);

  /// Σ_s w_s J(θ + o_s ε e_k) / ε for the stencil (w, o): the finite-difference estimate of
  /// ∂J/∂θ_k. Sets `kink` when some evaluation point puts a ReLU unit on the other side of its
  /// kink from θ (then the quotient measures a corner). Thread-safe: reads shared state only.
  double derivative(Index k, const Stencil& stencil, double step, bool& kink) const;

  /// P, the number of parameters.
  Index parameters() const { return layout_.parameters(); }

 private:
  /// Σ_t of the change of J_t when z^(L) moves by dZ (one column `unit`, or all when unit < 0),
  /// given bound ≥ max |dZ|.
  double output_change(const Eigen::Ref<const Eigen::MatrixXd>& dZ, Index unit, double bound) const;

  const Problem& problem_;
  const Weights<double>& theta_;
  Layout layout_;
  ForwardPass<double> base_;
  Eigen::VectorXd target_sums_;  // Σ_k y_tk per example, for softmax
};

/// Where and how to run an incremental finite-difference pass.
struct IncrementalOptions {
  FiniteDifference difference;
  unsigned threads = 1;              ///< worker threads; results are identical for any count
  /// Flat indices to difference, in this order; std::nullopt means all P (an empty list, none).
  std::optional<std::vector<Index>> coordinates;
};

/// How many of `available` threads are worth starting for this many coordinates: a thread costs
/// tens of microseconds to start, so about one per 256 coordinates.
unsigned useful_threads(Index coordinates, unsigned available);

/// The numerical gradient of the reference J at θ by incremental evaluation, for
/// options.coordinates (gradient(c) belongs to coordinates[c]) or all parameters, with ReLU
/// kink flags in `kinks` (same order) when it is given.
NumericalGradient incremental_gradient(const Problem& problem, const Weights<double>& theta,
                                       const IncrementalOptions& options, std::vector<bool>* kinks = nullptr);

}  // namespace gradcheck
