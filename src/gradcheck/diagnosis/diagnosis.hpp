#pragma once
/// @file
/// Naming the mistake: which layer first goes wrong, what the mistake most likely is, and why.
///
/// The bug catalog (mutants.hpp) serves as a set of hypotheses: each mistake's gradient and J are
/// computed on the very problem checked, and an implementation whose gradient (or J) equals one of
/// them to rounding is named with that evidence. Otherwise the discrepancy is described by its
/// pattern (layers, columns, ratios), and called unrecognised rather than guessed.

#include "gradcheck/model/names.hpp"
#include "gradcheck/check/compare.hpp"
#include "gradcheck/model/problem.hpp"

#include <optional>

namespace gradcheck {

/// Diagnoses the gradient D (and J, when the implementation gave one) of an implementation at Θ
/// on `problem`, given the check's result; where it is wrong is said in `names` (Theta1_grad,
/// dW1, db1, …; the course's D^(l) by default).
Diagnosis diagnose(const Problem& problem, const Weights<double>& theta, const Weights<double>& D,
                   std::optional<double> J, const CheckResult& result, const Names& names = Names());

}  // namespace gradcheck
