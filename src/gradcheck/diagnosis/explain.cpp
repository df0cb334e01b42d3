#include "gradcheck/diagnosis/explain.hpp"

#include "gradcheck/model/backprop.hpp"
#include "gradcheck/check/check.hpp"
#include "gradcheck/model/network.hpp"

#include <fmt/format.h>

namespace gradcheck {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

/// "  label                              = value"
std::string line(const std::string& label, const std::string& value) {
  return fmt::format("  {:<40} = {}\n", label, value);
}

class Printer {
 public:
  explicit Printer(int digits) : digits_(digits), width_(digits + 8) {}

  std::string number(double x) const { return fmt::format("{:>{}.{}g}", x, width_, digits_); }

  /// "[ 0.1  0.2 ]ᵀ (2 × 1)"
  std::string column(const VectorXd& v) const {
    std::string text = "[";
    for (Index k = 0; k < v.size(); ++k) text += number(v(k));
    return text + fmt::format(" ]ᵀ  ({} × 1)", v.size());
  }

  /// One row per line, indented.
  std::string matrix(const MatrixXd& M, const std::string& indent) const {
    std::string text;
    for (Index i = 0; i < M.rows(); ++i) {
      text += indent + "[";
      for (Index j = 0; j < M.cols(); ++j) text += number(M(i, j)) + (j == 0 && M.cols() > 1 ? " |" : "");
      text += " ]\n";
    }
    return text;
  }

 private:
  int digits_, width_;
};

/// One example's cost J_t from z^(l) on, for the numerical ∂J_t/∂z^(l): forward from layer l.
double cost_from(const Problem& problem, const Weights<double>& theta, Index t, Index l, VectorXd z) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers();
  for (Index q = l; q < L; ++q) {
    VectorXd a1(z.size() + 1);
    a1 << 1, activate(arch.activation(q), z);
    z = theta[static_cast<std::size_t>(q - 1)] * a1;
  }
  const MatrixXd zL = z.transpose();
  const MatrixXd aL = output_activation<double>(arch.output, zL);
  return example_costs<double>(arch.output, zL, aL, problem.Y.row(t))(0);
}

std::string output_formula(Output o, Index L) {
  switch (o) {
    case Output::sigmoid_logistic:
    case Output::sigmoid_quadratic: return fmt::format("sigmoid(z^({}))", L);
    case Output::softmax_cross_entropy: return fmt::format("softmax(z^({}))", L);
    case Output::identity_quadratic:
    case Output::identity_mse: return fmt::format("z^({})", L);
  }
  return "";
}

}  // namespace

std::string explain(const Problem& problem, const Weights<double>& theta, const ExplainOptions& options) {
  validate(problem);
  validate(problem.architecture, theta);
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers(), m = problem.examples();
  const Printer p(options.digits);
  const auto slot = [](Index l) { return static_cast<std::size_t>(l - 1); };
  std::string out = "gradcheck explain: backpropagation step by step, in the course's notation\n";
  out += fmt::format("  network  {}\n  problem  m = {}, λ = {:g}\n", describe(arch), m, problem.lambda);
  out += "  δ^(l)_i = ∂J_t/∂z^(l)_i for example t, where J = (1/m) Σ_t J_t + (λ/2m) Σ Θ²; beside each δ, that derivative\n"
         "  measured numerically by moving z^(l)_i itself by ±ε and running the network forward from there.\n\n";
  for (Index l = 1; l < L; ++l)
    out += fmt::format("Θ^({}) ({} × {}: row i feeds unit i of layer {}; column 0 is the bias)\n{}", l,
                       theta[slot(l)].rows(), theta[slot(l)].cols(), l + 1, p.matrix(theta[slot(l)], "    "));

  Weights<double> Delta;
  for (const auto& t : theta) Delta.push_back(MatrixXd::Zero(t.rows(), t.cols()));
  out += "\nSet Δ^(l) = 0 for every l";
  for (Index l = 1; l < L; ++l) out += fmt::format(", Δ^({}) is {} × {}", l, Delta[slot(l)].rows(), Delta[slot(l)].cols());
  out += ".\n";

  for (Index t = 0; t < m; ++t) {
    out += fmt::format("\n── example t = {} ─────────────────────────────────────────────\n", t + 1);
    out += "forward propagation\n";
    std::vector<VectorXd> a(static_cast<std::size_t>(L)), z(static_cast<std::size_t>(L));
    a[0] = problem.X.row(t).transpose();
    out += line(fmt::format("a^(1) = x^({})", t + 1), p.column(a[0]));
    for (Index l = 1; l < L; ++l) {
      VectorXd a1(a[slot(l)].size() + 1);
      a1 << 1, a[slot(l)];
      z[slot(l + 1)] = theta[slot(l)] * a1;
      out += line(fmt::format("z^({}) = Θ^({}) [1; a^({})]", l + 1, l, l), p.column(z[slot(l + 1)]));
      if (l + 1 < L) {
        a[slot(l + 1)] = activate(arch.activation(l + 1), z[slot(l + 1)]);
        out += line(fmt::format("a^({}) = g(z^({})), g = {}", l + 1, l + 1, name(arch.activation(l + 1))),
                    p.column(a[slot(l + 1)]));
      } else {
        a[slot(L)] = output_activation<double>(arch.output, z[slot(L)].transpose()).transpose();
        out += line(fmt::format("a^({}) = {}", L, output_formula(arch.output, L)), p.column(a[slot(L)]));
      }
    }
    const VectorXd y = problem.Y.row(t).transpose();
    out += line(fmt::format("y^({})", t + 1), p.column(y));

    out += "back propagation\n";
    std::vector<VectorXd> delta(static_cast<std::size_t>(L) + 1);
    delta[slot(L)] = output_delta(arch.output, MatrixXd(z[slot(L)].transpose()), MatrixXd(a[slot(L)].transpose()),
                                  problem.Y.row(t))
                         .transpose();
    const auto numerical_delta = [&](Index l) {
      VectorXd d(z[slot(l)].size());
      for (Index i = 0; i < d.size(); ++i) {
        VectorXd up = z[slot(l)], down = z[slot(l)];
        up(i) += options.step;
        down(i) -= options.step;
        d(i) = (cost_from(problem, theta, t, l, up) - cost_from(problem, theta, t, l, down)) / (2 * options.step);
      }
      return d;
    };
    out += line(fmt::format("δ^({}) = {}a^({}) − y^({}){}{}", L, output_delta_factor(arch.output) == 1 ? "" : "2(", L,
                            t + 1, output_delta_factor(arch.output) == 1 ? "" : ")",
                            matched(arch.output) ? "" : fmt::format(" .* g′(z^({}))", L)),
                p.column(delta[slot(L)]));
    out += line(fmt::format("   numerical ∂J_{}/∂z^({})", t + 1, L), p.column(numerical_delta(L)));
    for (Index l = L - 1; l >= 2; --l) {
      const VectorXd back = theta[slot(l)].transpose() * delta[slot(l + 1)];
      delta[slot(l)] = back.tail(arch.size(l)).cwiseProduct(derivative(arch.activation(l), z[slot(l)]));
      out += line(fmt::format("(Θ^({}))ᵀ δ^({})   (entry 0: the bias)", l, l + 1), p.column(back));
      out += line(fmt::format("δ^({}) = that without entry 0 .* g′(z^({}))", l, l), p.column(delta[slot(l)]));
      out += line(fmt::format("   numerical ∂J_{}/∂z^({})", t + 1, l), p.column(numerical_delta(l)));
    }
    for (Index l = L - 1; l >= 1; --l) {
      VectorXd a1(a[slot(l)].size() + 1);
      a1 << 1, a[slot(l)];
      Delta[slot(l)] += delta[slot(l + 1)] * a1.transpose();
      out += fmt::format("  Δ^({}) += δ^({}) [1; a^({})]ᵀ, now\n{}", l, l + 1, l, p.matrix(Delta[slot(l)], "      "));
    }
  }

  out += "\n── the gradient ──────────────────────────────────────────────\n";
  const Weights<double> D = backprop(problem, theta).D;
  const Eigen::VectorXd numerical =
      numerical_gradient(reference_cost(problem), unroll(theta), {options.step, 2, {}}).gradient;
  const Weights<double> N = reroll(Layout(arch), numerical);
  for (Index l = 1; l < L; ++l) {
    out += fmt::format("D^({}) = Δ^({})/m + (λ/m) Θ^({}) with column 0 unregularized ({} × {})\n", l, l, l,
                       D[slot(l)].rows(), D[slot(l)].cols());
    out += "  analytic (backprop)\n" + p.matrix(D[slot(l)], "      ");
    out += fmt::format("  numerical (J(θ + ε) − J(θ − ε)) / 2ε, ε = {:g}\n", options.step) + p.matrix(N[slot(l)], "      ");
    if (options.implementation)
      out += fmt::format("  {}\n", options.implementation_name) + p.matrix((*options.implementation)[slot(l)], "      ");
  }
  out += fmt::format("J = {}{}\n", p.number(cost(problem, theta)),
                     options.implementation_J ? fmt::format("   ({}: {})", options.implementation_name,
                                                            p.number(*options.implementation_J))
                                              : "");
  return out;
}

}  // namespace gradcheck
