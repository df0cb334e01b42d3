#pragma once
/// @file
/// Parameters rounded to a grid coarser than float64 inside the implementation under test.

#include "gradcheck/check/check.hpp"

#include <Eigen/Core>

#include <functional>
#include <string>

namespace gradcheck {

/// Why no difference of the implementation's own J can be judged because it rounds its parameters
/// to a coarser grid than float64 (weights kept in float32 or half, J computed from them), or "".
/// Such a step ε lands on that grid: ε rounded to float32 near a weight in [0.5, 1) is 1.000166e-4,
/// so every quotient is off by 1.7e-4 relatively, far beyond the tolerance, while J itself may be
/// exact in float64 and its measured noise small. Probed directly: J at θ ± 2^-30·|θ_k| for up to
/// `most` entries, those whose measured slope |n| says J moves there by a thousand ulps of J or
/// more. A float64 implementation's J moves; one that rounds θ_k to float32 (half an ulp is
/// 2^-25·|θ_k| or more) answers J(θ) exactly on both sides. Half the probed entries so answering
/// says the parameters are rounded. Asks nothing of a wrong gradient: only J and its slope n count.
std::string parameters_rounded(const CoordinateCosts& J, Measurements& m, const Eigen::VectorXd& theta, double J0,
                               const std::function<std::string(Index)>& entry, std::size_t most = 16);

}  // namespace gradcheck
