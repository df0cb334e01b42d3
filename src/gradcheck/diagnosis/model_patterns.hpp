#pragma once
/// @file
/// What a model's wrong gradient looks like (model mode). The bug catalog (mutants.hpp) knows the
/// course's network only; a model's tensors are described instead by the patterns their numbers
/// show, each said only where it holds to the check's own tolerances (compare.hpp), the rest
/// called unrecognised:
///
///   scaled      a ≈ c·n, c the least-squares factor Σ a n / Σ n² (0.5×, 2×, −1×)
///   zero        a = 0 in every entry, n not
///   transposed  a 2-D tensor's a is n's transpose (square), or nᵀ read back in n's shape
///   offset      a − n the same number d in every entry
///
/// and across tensors: one factor common to every wrong tensor, and wrong only in the tensors
/// declared before a given one (the error enters the backward pass between them). A tensor whose
/// entries follow no single pattern (half scaled, half shifted) gets none: no name is better than
/// a wrong one. Each pattern needs two entries resolved above their floor: one number fits any
/// factor and any offset.

#include "gradcheck/check/compare.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradcheck {

/// One tensor as the patterns read it: its matrix view (model.hpp's Tensor::matrix()) holding the
/// implementation's gradient a and the numerical gradient n (NaN where not measured: not sampled,
/// at a corner), and each entry's floor. In the fast mode, one column of vᵀa, vᵀn per direction.
struct TensorEvidence {
  std::string name;
  bool two_dimensional = false;  ///< declared with two dimensions: a transposition can be said of it
  bool directional = false;      ///< columns of vᵀa, vᵀn: a factor shows, an offset or a transposition does not
  Eigen::MatrixXd analytic, numerical, floors;
  enum class Verdict { right, wrong, unjudged } verdict = Verdict::right;
};

/// A pattern found in one tensor.
struct TensorPattern {
  enum class Kind { none, zero, scaled, transposed, offset } kind = Kind::none;
  double value = 0;  ///< c of scaled, d of offset
  /// Other patterns the same numbers fit as well (an antisymmetric n: −1× and transposed), said
  /// beside the first rather than choosing one the numbers cannot tell apart.
  std::vector<std::pair<Kind, double>> also;
};

/// The pattern of one wrong tensor, the first that fits in the order zero, scaled, transposed,
/// offset (Kind::none when none does), judged entry by entry and on the norm with `tolerances`.
TensorPattern pattern_of(const TensorEvidence& tensor, const Tolerances& tolerances);

/// How the values were measured, for what the sentences may claim.
enum class Coverage {
  every_entry,  ///< every entry differenced
  sample,       ///< some entries per tensor: the patterns hold on those
  directions,   ///< the fast mode: vᵀa against vᵀn along a few directions per tensor
};

/// The diagnosis across the tensors, in the order declared: Kind::right when none is wrong;
/// recognised when one factor fits every wrong tensor, when each wrong one has a pattern, or when
/// the wrong ones are exactly those declared before some right one; unrecognised otherwise (the
/// patterns seen still listed in its evidence). `mistakes` holds the keys: "common-scale",
/// "scaled", "zero", "transposed", "offset", "wrong-before".
Diagnosis diagnose_patterns(const std::vector<TensorEvidence>& tensors, const Tolerances& tolerances, Coverage coverage);

}  // namespace gradcheck
