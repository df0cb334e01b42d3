#pragma once
/// @file
/// Parameters rounded to a grid coarser than float64 inside the implementation under test.

#include "gradcheck/check/check.hpp"

#include <Eigen/Core>

#include <functional>
#include <string>

namespace gradcheck {

/// Why the mismatches of the implementation's own J cannot be judged because it rounds its
/// parameters to a coarser grid than float64 (weights kept in float32 or half, J computed from
/// them), or "". Such a step ε lands on that grid: ε rounded to float32 near a weight in [0.5, 1)
/// is 1.000166e-4, so every quotient is off by 1.7e-4 relatively, far beyond the tolerance, while
/// J itself may be exact in float64 and its measured noise small. Probed directly: J at
/// θ ± 2^-30·|θ_k| for up to `most` entries, those whose measured slope |n| says J moves there by
/// a thousand ulps of J or more. A float64 implementation's J moves; one that rounds θ_k to
/// float32 (half an ulp is 2^-25·|θ_k| or more) answers J(θ) exactly on both sides, and one on a
/// coarser grid (half, bfloat16) at 2^-21·|θ_k| too. Half the probed entries so answering says
/// the parameters are rounded, to unit roundoff u = 2^-24 (2^-8 when coarser than float32). Then
/// the step at entry k is off by up to 2u(|θ_k| + ε)/ε relatively: "" still where some entry of
/// `mismatching` (indices into m) differs beyond twice that and the tolerance (a mistake, not the
/// grid, a FAIL that stands). Only J and its slopes n count; a wrong gradient asks nothing.
std::string parameters_rounded(const CoordinateCosts& J, Measurements& m, const Eigen::VectorXd& theta, double J0,
                               const Tolerances& t, double step, const std::vector<std::size_t>& mismatching,
                               const std::function<std::string(Index)>& entry, std::size_t most = 16);

}  // namespace gradcheck
