#pragma once
// Networks small enough to work through by hand, with their numbers derived in the comments.

#include "gradcheck/model/course.hpp"

#include <cmath>

namespace gradcheck::hand {

// 1-1-1, sigmoid hidden unit, sigmoid output + logistic cost, m = 1:
//   x = 0.5, Θ^(1) = [0.5 −1], Θ^(2) = [−1 4], y = 1
// Forward:
//   z^(2) = 0.5 − 1·0.5 = 0          a^(2) = σ(0) = 1/2
//   z^(3) = −1 + 4·(1/2) = 1         a^(3) = σ(1)
//   J = −log σ(1) = log(1 + e^(−1)), plus (λ/2m)((−1)² + 4²) = 17 when λ = 2 (biases 0.5, −1 free)
// Backward (δ^(3) = a^(3) − y; g′(z^(2)) = σ(0)(1 − σ(0)) = 1/4):
//   δ^(3) = σ(1) − 1 = −1/(1 + e)
//   D^(2) = δ^(3) [1  a^(2)] + (λ/m)[0  4]    = [δ^(3)   δ^(3)/2 + 4λ]
//   δ^(2) = Θ^(2)_11 δ^(3) g′(z^(2)) = 4 δ^(3) / 4 = δ^(3)
//   D^(1) = δ^(2) [1  x] + (λ/m)[0  −1]       = [δ^(3)   δ^(3)/2 − λ]
// Independent check by direct calculus: J = softplus(−z3), z3 = t20 + t21 σ(t10 + t11 x), so
//   ∂J/∂z3 = σ(z3) − 1, ∂z3/∂t21 = σ(z2) = 1/2, ∂z3/∂t10 = t21 σ′(z2) = 1, ∂z3/∂t11 = t21 σ′(z2) x = 1/2.
inline Instance sigmoid_1_1_1(double lambda) {
  Instance n;
  n.problem.architecture = make_architecture("1-1-1", Activation::sigmoid, Output::sigmoid_logistic);
  n.problem.X = Eigen::MatrixXd::Constant(1, 1, 0.5);
  n.problem.Y = Eigen::MatrixXd::Constant(1, 1, 1.0);
  n.problem.lambda = lambda;
  n.theta = {(Eigen::MatrixXd(1, 2) << 0.5, -1).finished(), (Eigen::MatrixXd(1, 2) << -1, 4).finished()};
  return n;
}

/// δ^(3) of sigmoid_1_1_1: σ(1) − 1 = −1/(1 + e).
inline double sigmoid_1_1_1_delta3() { return -1 / (1 + std::exp(1.0)); }

// 2-2-1, identity hidden units, identity output + quadratic cost ½(a − y)², m = 2, λ = 0:
//   Θ^(1) = [0 1 0; 1 0 1]  (unit 1: z = x1; unit 2: z = 1 + x2)
//   Θ^(2) = [1 2 −1]        (a^(3) = 1 + 2 a1 − a2)
//   x^(1) = (1, 0), y = 0:  a^(2) = (1, 1), a^(3) = 2,  δ^(3) = 2,  J_1 = ½·2² = 2
//   x^(2) = (0, 1), y = 1:  a^(2) = (0, 2), a^(3) = −1, δ^(3) = −2, J_2 = ½·(−2)² = 2
//   J = (2 + 2)/2 = 2
//   D^(2) = ½(2·[1 1 1] − 2·[1 0 2]) = [0 1 −1]
//   δ^(2) = [2; −1] δ^(3) (g′ = 1): x^(1): (4, −2); x^(2): (−4, 2)
//   D^(1) = ½([4 4 0; −2 −2 0] + [−4 0 −4; 2 0 2]) = [0 2 −2; 0 −1 1]
// Every J here is quadratic in each single parameter, so central differences are exact up to rounding.
inline Instance linear_2_2_1() {
  Instance n;
  n.problem.architecture = make_architecture("2-2-1", Activation::identity, Output::identity_quadratic);
  n.problem.X = (Eigen::MatrixXd(2, 2) << 1, 0, 0, 1).finished();
  n.problem.Y = (Eigen::MatrixXd(2, 1) << 0, 1).finished();
  n.theta = {(Eigen::MatrixXd(2, 3) << 0, 1, 0, 1, 0, 1).finished(), (Eigen::MatrixXd(1, 3) << 1, 2, -1).finished()};
  return n;
}

}  // namespace gradcheck::hand
