#pragma once
/// @file
/// The bug catalog: copies of the reference backprop with one classic mistake planted in each.
/// The proof that a checker can fail, the material diagnosis matches against, and what
/// `gradcheck catalog` measures. A checker that passes these is not checking anything.

#include "gradcheck/model/backprop.hpp"

#include <string_view>
#include <vector>

namespace gradcheck {

/// A mistake students really make in nnCostFunction.m. The first group spoils the gradient
/// (J stays right), the second spoils J (the gradient stays right).
enum class Mistake {
  none,
  // The gradient.
  bias_regularized,           ///< D^(l) = Δ^(l)/m + (λ/m)Θ^(l) over every column, bias included
  regularization_missing,     ///< no (λ/m)Θ^(l) term in D^(l)
  regularization_halved,      ///< (λ/2m)Θ^(l): the factor of J's term, not of its derivative
  regularization_unscaled,    ///< λΘ^(l): the 1/m forgotten in the regularization
  regularization_subtracted,  ///< D^(l) = Δ^(l)/m − (λ/m)Θ^(l)
  bias_gradient_zeroed,       ///< column 0 of D^(l) set to 0 instead of left unregularized
  average_missing,            ///< D^(l) = Δ^(l) + …: the 1/m forgotten
  average_squared,            ///< Δ^(l)/m²: divided by m twice
  sign_flipped,               ///< δ^(L) = y − a^(L)
  output_delta_of_other_cost, ///< δ^(L) of the other cost: .* g′(z^(L)) added for cross-entropy, dropped for quadratic
  squared_error_factor_dropped, ///< δ^(L) = a − y for the squared error ‖a − y‖², whose derivative is 2(a − y)
  derivative_dropped,         ///< δ^(l) = (Θ^(l))ᵀ δ^(l+1) without .* g′(z^(l))
  activation_for_derivative,  ///< g(z^(l)) where g′(z^(l)) belongs
  derivative_of_activation,   ///< g′(a^(l)) where g′(z^(l)) belongs
  derivative_confused,        ///< a related function's g′: ReLU's for leaky ReLU, σ′ for softplus, e^z − 1 for ELU below 0
  bias_row_kept,              ///< the bias row of (Θ^(l))ᵀ δ^(l+1) kept, the last unit's dropped
  updated_weights,            ///< δ^(l) computed with Θ^(l) already updated by one gradient step
  last_example_skipped,       ///< the loop accumulates Δ over examples 1 … m − 1 (still divides by m)
  row_major_unrolling,        ///< D^(l) unrolled row by row while Θ is unrolled column by column
  weights_transposed,         ///< the weight block of D^(l) transposed (shows where s_(l+1) = s_l)
  next_layer_activation,      ///< Δ^(l) += δ^(l+1) [1; a^(l+1)]ᵀ: the wrong layer's activations (where s_(l+1) = s_l)
  gradient_never_computed,    ///< every D^(l) left at zero: the starter code's zeros(size(Theta)) never filled
  layer_gradient_zero,        ///< D^(1) left at zero (Theta1_grad never assigned), the other layers right
  delta_never_accumulated,    ///< Δ^(1) never accumulated (a typo in the loop): D^(1) holds only (λ/m)Θ^(1)
  theta_row_major,            ///< Θ^(l) read row by row from nn_params (reshape(…, s_l + 1, s_(l+1))'): J and D of the wrong Θ
  // J.
  cost_regularization_missing,  ///< J without (λ/2m) Σ Θ²
  cost_bias_regularized,        ///< J's regularization includes the bias column
  cost_average_missing,         ///< J = Σ_t J_t + …: the 1/m forgotten
  cost_positive_class_only,     ///< logistic J without the −(1 − y) log(1 − a) term
};

/// How a mistake is named on the command line ("bias-regularized") and described in reports.
struct MistakeName {
  Mistake mistake;
  std::string_view key;
  std::string_view description;
};

/// Every mistake with its names, `none` first.
const std::vector<MistakeName>& mistake_names();

/// Every mistake but `none`, in catalog order.
const std::vector<Mistake>& catalog();

/// The original five, for tests written before the catalog grew.
inline const std::vector<Mistake> mistakes{Mistake::bias_regularized, Mistake::derivative_dropped,
                                           Mistake::activation_for_derivative, Mistake::average_missing,
                                           Mistake::sign_flipped};

/// Description for reports and test output, e.g. "g′(z) dropped from δ". The unrolling mistakes
/// are named for the order nn_params is in: "gradient unrolled row-major" for Octave's,
/// "… column by column (ravel(order='F'))" for numpy's.
std::string_view name(Mistake mistake, Unrolling unrolling = Unrolling::column_major);
/// The same in an implementation's conventions (problem.hpp): what the numbers say in its terms
/// (a bias vector b, a J summed over examples…), or "" for a mistake its layout cannot make.
std::string_view name(Mistake mistake, Unrolling unrolling, const Conventions& conventions);

/// The command-line key, e.g. "derivative-dropped" (for row-major nn_params,
/// "column-major-unrolling" and "theta-column-major").
std::string_view key(Mistake mistake, Unrolling unrolling = Unrolling::column_major);

/// True for the mistakes that spoil J and leave the gradient right.
bool spoils_cost(Mistake mistake);

/// J and D of the reference with `mistake` planted (the reference itself for `none`).
Gradient<double> backprop_with(Mistake mistake, const Problem& problem, const Weights<double>& theta);

}  // namespace gradcheck
