#pragma once
/// @file
/// Complex-step derivatives of the reference J: ∂J/∂θ_k = Im J(θ + ih e_k) / h + O(h²).
///
/// No difference is taken, so nothing cancels: h can be 1e-20 and the O(h²) term vanishes below
/// rounding, giving derivatives exact to machine precision (Squire and Trapp 1998; Martins, Sturdza
/// and Alonso 2003). It needs J analytic in θ, which the reference network is: it runs on
/// std::complex<double> through its scalar template, with every formula kept analytic (no abs,
/// no conj, branches on real parts only). Cost: one complex forward pass per parameter, about four
/// times a real one, so it suits small and medium networks; the incremental finite differences
/// are the fast path for large ones.

#include "gradcheck/numeric/finite_diff.hpp"
#include "gradcheck/model/problem.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gradcheck {

/// Where and how to take complex steps.
struct ComplexStep {
  double step = 1e-20;  ///< h: any tiny value works; 1e-20 leaves h² far below rounding
  unsigned threads = 1;
  std::optional<std::vector<Index>> coordinates;  ///< as in IncrementalOptions; nullopt is all P
  std::function<void(Index, Index)> progress;
  const StopFlag* stop = nullptr;  ///< see FiniteDifference::stop
};

/// "complex step Im J(θ + ih e_k) / h, h = 1e-20", for reports.
std::string describe(const ComplexStep& options);

/// Im J(θ + ih e_k) / h for each coordinate (all P by default), with the reference J.
NumericalGradient complex_step_gradient(const Problem& problem, const Weights<double>& theta,
                                        const ComplexStep& options = {});

}  // namespace gradcheck
