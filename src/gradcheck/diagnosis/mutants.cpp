#include "gradcheck/diagnosis/mutants.hpp"

#include <algorithm>

namespace gradcheck {
namespace {

using Eigen::MatrixXd;

const std::vector<MistakeName> names{
    {Mistake::none, "none", "none"},
    {Mistake::gradient_never_computed, "gradient-never-computed", "gradient never computed: every D^(l) is zero"},
    {Mistake::layer_gradient_zero, "layer-gradient-zero", "D^(1) left at zero"},
    {Mistake::bias_regularized, "bias-regularized", "bias column regularized"},
    {Mistake::regularization_missing, "regularization-missing", "regularization missing from D"},
    {Mistake::regularization_halved, "regularization-halved", "λ/(2m) in place of λ/m in D"},
    {Mistake::regularization_unscaled, "regularization-unscaled", "λ in place of λ/m in D"},
    {Mistake::regularization_subtracted, "regularization-subtracted", "regularization subtracted from D"},
    {Mistake::bias_gradient_zeroed, "bias-gradient-zeroed", "bias column of D set to zero"},
    {Mistake::average_missing, "average-missing", "1/m missing from D"},
    {Mistake::average_squared, "average-squared", "D divided by m twice"},
    {Mistake::sign_flipped, "sign-flipped", "sign of δ^(L) flipped"},
    {Mistake::output_delta_of_other_cost, "output-delta-of-other-cost", "δ^(L) of the other cost"},
    {Mistake::squared_error_factor_dropped, "squared-error-factor-dropped",
     "δ^(L) = a − y for the squared error without ½: its factor 2 dropped"},
    {Mistake::derivative_dropped, "derivative-dropped", "g′(z) dropped from δ"},
    {Mistake::activation_for_derivative, "activation-for-derivative", "g(z) used in place of g′(z)"},
    {Mistake::derivative_of_activation, "derivative-of-activation", "g′ applied to a^(l) instead of z^(l)"},
    {Mistake::derivative_confused, "derivative-confused",
     "g′ confused with a related function's (ReLU's for leaky ReLU, σ′ for softplus, e^z − 1 for ELU below 0)"},
    {Mistake::bias_row_kept, "bias-row-kept", "bias row of δ not dropped"},
    {Mistake::updated_weights, "updated-weights", "hidden δ computed with already-updated weights"},
    {Mistake::last_example_skipped, "last-example-skipped", "last example not accumulated (loop bound)"},
    {Mistake::row_major_unrolling, "row-major-unrolling", "gradient unrolled row-major, not column-major"},
    {Mistake::weights_transposed, "weights-transposed", "Θ transposed: the weights of D^(l) transposed"},
    {Mistake::next_layer_activation, "next-layer-activation", "the wrong layer's activations in Δ (a^(l+1) for a^(l))"},
    {Mistake::delta_never_accumulated, "delta-never-accumulated", "Δ^(1) never accumulated: D^(1) holds only the regularization"},
    {Mistake::theta_row_major, "theta-row-major", "Θ read row by row from nn_params (reshape(…)' of the wrong shape)"},
    {Mistake::cost_regularization_missing, "cost-regularization-missing", "regularization missing from J"},
    {Mistake::cost_bias_regularized, "cost-bias-regularized", "bias column regularized in J"},
    {Mistake::cost_average_missing, "cost-average-missing", "1/m missing from J"},
    {Mistake::cost_positive_class_only, "cost-positive-class-only", "(1 − y) log(1 − a) term missing from J"},
};

const MistakeName& entry(Mistake mistake) {
  for (const auto& n : names)
    if (n.mistake == mistake) return n;
  return names.front();
}

/// The derivative a student writes for g when confusing it with a related function: ReLU's for
/// leaky ReLU (0 below zero), the sigmoid's σ(1 − σ) for softplus (whose g′ is σ itself), ELU's
/// value e^z − 1 below zero for its derivative e^z. The other activations have no such twin.
MatrixXd confused_derivative(Activation g, const MatrixXd& z) {
  switch (g) {
    case Activation::leaky_relu: return derivative(Activation::relu, z);
    case Activation::softplus: return derivative(Activation::sigmoid, z);
    case Activation::elu: return z.unaryExpr([](double v) { return v > 0 ? 1.0 : std::expm1(v); });
    default: return derivative(g, z);
  }
}

/// The activation of the output layer, as a hidden-layer activation would be named.
Activation output_g(Output output) {
  return output == Output::identity_quadratic || output == Output::identity_mse ? Activation::identity
                                                                                : Activation::sigmoid;
}

/// g′ of the output units at z^(L): σ′ for sigmoid outputs, a(1 − a) per unit for softmax, 1 for identity.
MatrixXd output_derivative(Output output, const MatrixXd& zL, const MatrixXd& aL) {
  if (output == Output::softmax_cross_entropy) return (aL.array() * (1 - aL.array())).matrix();
  return derivative(output_g(output), zL);
}

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// D unrolled in the other order than nn_params and read back in nn_params' order: row by row
/// and read column by column (Octave), or column by column and read row by row (numpy).
MatrixXd other_order_read_back(const MatrixXd& D, Unrolling unrolling) {
  if (unrolling == Unrolling::row_major) return Eigen::Map<const RowMajorMatrix>(D.data(), D.rows(), D.cols());
  const MatrixXd transposed = D.transpose();
  return Eigen::Map<const MatrixXd>(transposed.data(), D.rows(), D.cols());
}

/// Θ^(l) as read from nn_params in the other order than it was unrolled in.
MatrixXd other_order_read(const MatrixXd& theta, Unrolling unrolling) {
  if (unrolling == Unrolling::row_major) {  // np.reshape(…, order='F') of a row-major nn_params
    const RowMajorMatrix rows = theta;
    return Eigen::Map<const MatrixXd>(rows.data(), theta.rows(), theta.cols());
  }
  // reshape(…, s_l + 1, s_(l+1))' of a column-major nn_params
  return Eigen::Map<const MatrixXd>(theta.data(), theta.cols(), theta.rows()).transpose();
}

/// The unrolling mistakes as the Python edition names them: the other order is column-major.
const std::vector<MistakeName> row_major_names{
    {Mistake::row_major_unrolling, "column-major-unrolling",
     "gradient unrolled column by column (ravel(order='F')), not row by row as numpy's ravel() unrolls nn_params"},
    {Mistake::theta_row_major, "theta-column-major", "Θ read column by column from nn_params (np.reshape(…, order='F'))"},
};

const MistakeName& entry(Mistake mistake, Unrolling unrolling) {
  if (unrolling == Unrolling::row_major)
    for (const auto& n : row_major_names)
      if (n.mistake == mistake) return n;
  return entry(mistake);
}

}  // namespace

const std::vector<MistakeName>& mistake_names() { return names; }

const std::vector<Mistake>& catalog() {
  static const std::vector<Mistake> all = [] {
    std::vector<Mistake> list;
    for (const auto& n : names)
      if (n.mistake != Mistake::none) list.push_back(n.mistake);
    return list;
  }();
  return all;
}

std::string_view name(Mistake mistake, Unrolling unrolling) { return entry(mistake, unrolling).description; }

std::string_view name(Mistake mistake, Unrolling unrolling, const Conventions& conventions) {
  if (conventions.course()) return name(mistake, unrolling);
  // The catalog speaks the course's Θ, λ/m and 1/m; in other conventions a mistake is told by
  // what it does to the numbers, which J_yours = a · J_course(λ') maps exactly.
  const bool split = conventions.layout != WeightLayout::theta;
  switch (mistake) {
    case Mistake::bias_regularized: return split ? "b regularized in the gradient (λ·b in db)" : name(mistake, unrolling);
    case Mistake::bias_gradient_zeroed: return split ? "db set to zero" : name(mistake, unrolling);
    case Mistake::cost_bias_regularized: return split ? "b regularized in J" : name(mistake, unrolling);
    case Mistake::weights_transposed: return split ? "dW transposed" : name(mistake, unrolling);
    case Mistake::regularization_halved: return "the gradient's regularization term half what J's implies";
    case Mistake::regularization_unscaled: return "the gradient's regularization term m times what J's implies";
    case Mistake::average_missing: return "the gradient's data term m times too large";
    case Mistake::average_squared: return "the gradient's data term m times too small";
    case Mistake::cost_average_missing: return "J's data term m times too large";
    case Mistake::row_major_unrolling:
    case Mistake::theta_row_major:
    case Mistake::bias_row_kept: return split ? "" : name(mistake, unrolling);  // no Θ, no nn_params, no bias row
    default: return name(mistake, unrolling);
  }
}

std::string_view key(Mistake mistake, Unrolling unrolling) { return entry(mistake, unrolling).key; }

bool spoils_cost(Mistake mistake) {
  return mistake == Mistake::cost_regularization_missing || mistake == Mistake::cost_bias_regularized ||
         mistake == Mistake::cost_average_missing || mistake == Mistake::cost_positive_class_only;
}

Gradient<double> backprop_with(Mistake mistake, const Problem& problem, const Weights<double>& theta) {
  if (mistake == Mistake::theta_row_major) {
    // Theta1 = reshape(nn_params(1:n), s_1 + 1, s_2)': entry (i, j) is read from flat position
    // i·(s_l + 1) + j of the layer, not j·s_(l+1) + i (or the other way round in numpy). J and D
    // are those of that Θ; the D comes back unrolled in nn_params' order, so it lands in Θ's shape.
    Weights<double> read(theta.size());
    for (std::size_t k = 0; k < theta.size(); ++k) read[k] = other_order_read(theta[k], problem.unrolling);
    return backprop_with(Mistake::none, problem, read);
  }
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers(), m = problem.examples();
  const double md = static_cast<double>(m), lambda = problem.lambda;
  const ForwardPass<double> pass = forward(problem, theta);

  Gradient<double> result;
  result.J = cost(problem, theta, pass);
  switch (mistake) {  // the mistakes in J
    case Mistake::cost_regularization_missing: result.J -= regularization(theta, lambda, m); break;
    case Mistake::cost_bias_regularized:
      for (const auto& t : theta) result.J += lambda / (2 * md) * t.col(0).squaredNorm();
      break;
    case Mistake::cost_average_missing: result.J += (md - 1) * (result.J - regularization(theta, lambda, m)); break;
    case Mistake::cost_positive_class_only:
      if (arch.output == Output::sigmoid_logistic)
        result.J -= ((1 - problem.Y.array()) * (-(1 - pass.a.back().array()).log())).sum() / md;
      break;
    default: break;
  }

  // The rows (examples) that reach Δ: all, or all but the last.
  const Index counted = mistake == Mistake::last_example_skipped ? m - 1 : m;
  Weights<double> weights = theta;  // updated_weights changes these as it goes down
  MatrixXd delta = output_delta(arch.output, pass.z.back(), pass.a.back(), problem.Y);
  if (mistake == Mistake::sign_flipped) delta = -delta;
  if (mistake == Mistake::squared_error_factor_dropped) delta /= output_delta_factor(arch.output);
  if (mistake == Mistake::output_delta_of_other_cost) {
    if (matched(arch.output))
      delta.array() *= output_derivative(arch.output, pass.z.back(), pass.a.back()).array();
    else
      delta = pass.a.back() - problem.Y;
  }
  result.D.resize(theta.size());
  for (Index l = L - 1; l >= 1; --l) {
    const auto k = static_cast<std::size_t>(l - 1);
    const MatrixXd& a = pass.a[k];
    // Off by one layer: a^(l+1) where a^(l) belongs, when the shapes let a student get away with it.
    const bool off_by_one = mistake == Mistake::next_layer_activation && pass.a[k + 1].cols() == a.cols();
    const MatrixXd& used = off_by_one ? pass.a[k + 1] : a;
    MatrixXd D(theta[k].rows(), theta[k].cols());
    D.col(0) = delta.topRows(counted).colwise().sum().transpose();
    D.rightCols(a.cols()) = delta.topRows(counted).transpose() * used.topRows(counted);
    if (mistake == Mistake::weights_transposed && D.rows() == D.cols() - 1)
      D.rightCols(a.cols()) = MatrixXd(D.rightCols(a.cols()).transpose());
    if (mistake != Mistake::average_missing) D /= md;
    if (mistake == Mistake::average_squared) D /= md;
    const Index first = mistake == Mistake::bias_regularized ? 0 : 1;
    double factor = lambda / md;
    if (mistake == Mistake::regularization_missing) factor = 0;
    if (mistake == Mistake::regularization_halved) factor = lambda / (2 * md);
    if (mistake == Mistake::regularization_unscaled) factor = lambda;
    if (mistake == Mistake::regularization_subtracted) factor = -lambda / md;
    D.rightCols(D.cols() - first) += factor * theta[k].rightCols(D.cols() - first);
    if (mistake == Mistake::bias_gradient_zeroed) D.col(0).setZero();
    if (mistake == Mistake::updated_weights) weights[k] -= D;  // one step of gradient descent, α = 1
    if (mistake == Mistake::gradient_never_computed || (mistake == Mistake::layer_gradient_zero && l == 1)) D.setZero();
    if (mistake == Mistake::delta_never_accumulated && l == 1) {
      D.setZero();
      D.rightCols(D.cols() - 1) = lambda / md * theta[k].rightCols(D.cols() - 1);
    }
    result.D[k] = mistake == Mistake::row_major_unrolling ? other_order_read_back(D, problem.unrolling) : D;
    if (l > 1) {
      const MatrixXd back = delta * weights[k];  // [bias, units] columns: (Θᵀδ)ᵀ per example
      MatrixXd next = mistake == Mistake::bias_row_kept ? MatrixXd(back.leftCols(a.cols())) : MatrixXd(back.rightCols(a.cols()));
      const Activation g = arch.activation(l);
      if (mistake == Mistake::activation_for_derivative)
        next.array() *= activate(g, pass.z[k]).array();
      else if (mistake == Mistake::derivative_of_activation)
        next.array() *= derivative(g, pass.a[k]).array();
      else if (mistake == Mistake::derivative_confused)
        next.array() *= confused_derivative(g, pass.z[k]).array();
      else if (mistake != Mistake::derivative_dropped)
        next.array() *= derivative(g, pass.z[k]).array();
      delta = std::move(next);
    }
  }
  return result;
}

}  // namespace gradcheck
