#include "gradcheck/model/course.hpp"

#include <cmath>
#include <random>

namespace gradcheck {
namespace {

/// Uniform doubles in [lo, hi) from a 64-bit engine, by the same arithmetic on every platform
/// (std::uniform_real_distribution is implementation-defined).
class Uniform {
 public:
  explicit Uniform(std::uint64_t seed) : engine_(seed) {}
  double operator()(double lo, double hi) {
    const double unit = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * unit;
  }
  Index below(Index n) { return static_cast<Index>(engine_() % static_cast<std::uint64_t>(n)); }
  Eigen::MatrixXd matrix(Index rows, Index cols, double lo, double hi) {
    Eigen::MatrixXd M(rows, cols);
    for (Index k = 0; k < M.size(); ++k) M.reshaped()(k) = (*this)(lo, hi);
    return M;
  }

 private:
  std::mt19937_64 engine_;
};

Eigen::VectorXi course_labels(Index m, Index classes) {
  Eigen::VectorXi y(m);
  for (Index t = 0; t < m; ++t) y(t) = static_cast<int>(1 + (t + 1) % classes);  // 1 + mod(1:m, K)
  return y;
}

}  // namespace

Eigen::MatrixXd debug_initialize_weights(Index fan_out, Index fan_in) {
  Eigen::MatrixXd W(fan_out, 1 + fan_in);
  for (Index k = 0; k < W.size(); ++k) W.reshaped()(k) = std::sin(static_cast<double>(k + 1)) / 10;
  return W;
}

Instance course_instance(const Architecture& architecture, Index m, double lambda) {
  Instance instance;
  Problem& p = instance.problem;
  p.architecture = architecture;
  p.lambda = lambda;
  const Index L = architecture.layers();
  for (Index l = 1; l < L; ++l)
    instance.theta.push_back(debug_initialize_weights(architecture.size(l + 1), architecture.size(l)));
  p.X = debug_initialize_weights(m, architecture.size(1) - 1);
  const Index K = architecture.size(L);
  const bool binary = K == 1 && architecture.output == Output::sigmoid_logistic;
  if (binary) {  // 1 + mod(1:m, 1) would make every y = 1, where J's −(1 − y) log(1 − h) half is never seen
    p.Y.resize(m, 1);
    for (Index t = 0; t < m; ++t) p.Y(t, 0) = static_cast<double>((t + 1) % 2);
  } else {
    p.Y = one_hot(course_labels(m, K), K);
  }
  validate(p);
  instance.origin = binary ? "Θ and X from debugInitializeWeights as in checkNNGradients, y = mod(1:m, 2) (one output)"
                           : "Θ and X from debugInitializeWeights, y = 1 + mod(1:m, K), as in checkNNGradients";
  return instance;
}

Instance random_instance(const Architecture& architecture, Index m, double lambda, std::uint64_t seed) {
  Uniform uniform(seed);
  Instance instance;
  Problem& p = instance.problem;
  p.architecture = architecture;
  p.lambda = lambda;
  const Index L = architecture.layers(), K = architecture.size(L);
  for (Index l = 1; l < L; ++l) {
    const double r = std::sqrt(6.0) / std::sqrt(static_cast<double>(architecture.size(l) + architecture.size(l + 1)));
    instance.theta.push_back(uniform.matrix(architecture.size(l + 1), architecture.size(l) + 1, -r, r));
  }
  p.X = uniform.matrix(m, architecture.size(1), -1, 1);
  switch (architecture.output) {
    case Output::sigmoid_logistic:
      if (K == 1) {  // binary: y ∈ {0, 1}, both present when m ≥ 2 (labels 1 … K would make every y = 1,
                     // and a J without its −(1 − y) log(1 − h) half would pass)
        p.Y.resize(m, 1);
        for (Index t = 0; t < m; ++t) p.Y(t, 0) = static_cast<double>(uniform.below(2));
        if (m >= 2 && (p.Y.array() == p.Y(0, 0)).all()) p.Y(m - 1, 0) = 1 - p.Y(0, 0);
        break;
      }
      [[fallthrough]];
    case Output::softmax_cross_entropy: {
      // Every class among the labels when m ≥ K, in a random order, as in a real data set: with
      // labels drawn one by one a class went missing, and a right nnCostFunction that counts the
      // classes as y.max() + 1 (it does on the course's data) crashed at ex4's size.
      Eigen::VectorXi y(m);
      for (Index t = 0; t < m; ++t) y(t) = static_cast<int>(1 + (m >= K ? t % K : uniform.below(K)));
      for (Index t = m - 1; t > 0; --t) std::swap(y(t), y(uniform.below(t + 1)));
      p.Y = one_hot(y, K);
      break;
    }
    case Output::identity_quadratic:
    case Output::identity_mse: p.Y = uniform.matrix(m, K, -1, 1); break;
    case Output::sigmoid_quadratic: p.Y = uniform.matrix(m, K, 0, 1); break;
  }
  validate(p);
  instance.origin = "random Θ, X and y from seed " + std::to_string(seed);
  return instance;
}

void as_class_labels(Instance& instance) {
  Problem& p = instance.problem;
  if (p.Y.cols() != 1 || p.architecture.output != Output::sigmoid_logistic || (p.Y.array() == 1).all()) return;
  p.Y.setOnes();
  instance.origin += "; y = 1 for all (the course's nnCostFunction takes labels 1 … K)";
}

}  // namespace gradcheck
