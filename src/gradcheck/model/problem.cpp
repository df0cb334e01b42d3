#include "gradcheck/model/problem.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace gradcheck {
namespace {

constexpr std::array<std::pair<Activation, std::string_view>, 7> activation_names{{
    {Activation::sigmoid, "sigmoid"},
    {Activation::tanh, "tanh"},
    {Activation::relu, "relu"},
    {Activation::identity, "identity"},
    {Activation::leaky_relu, "leaky-relu"},
    {Activation::softplus, "softplus"},
    {Activation::elu, "elu"},
}};

struct OutputName {
  Output output;
  std::string_view name;
  std::string_view description;
};

constexpr std::array<OutputName, 5> output_names{{
    {Output::sigmoid_logistic, "sigmoid-logistic", "sigmoid output + logistic cross-entropy"},
    {Output::softmax_cross_entropy, "softmax-crossentropy", "softmax output + cross-entropy"},
    {Output::identity_quadratic, "identity-quadratic", "identity output + quadratic cost ½‖a − y‖²"},
    {Output::sigmoid_quadratic, "sigmoid-quadratic", "sigmoid output + quadratic cost ½‖a − y‖²"},
    {Output::identity_mse, "identity-mse", "identity output + squared error ‖a − y‖² (no ½)"},
}};

/// Another name for sigmoid-logistic: with one output unit the course's J is the binary cross-entropy.
constexpr std::string_view binary_cross_entropy = "binary-crossentropy";

std::string accepted_activations() {
  std::string list;
  for (const auto& [value, text] : activation_names) list += (list.empty() ? "" : ", ") + std::string(text);
  return list;
}

}  // namespace

std::string output_choices() {
  std::string list;
  for (const auto& entry : output_names) list += (list.empty() ? "" : ", ") + std::string(entry.name);
  return list + ", " + std::string(binary_cross_entropy);
}

std::string_view name(Activation g) {
  for (const auto& [value, text] : activation_names)
    if (value == g) return text;
  return "?";
}

std::string_view name(Output o) {
  for (const auto& entry : output_names)
    if (entry.output == o) return entry.name;
  return "?";
}

std::string_view describe(Output o) {
  for (const auto& entry : output_names)
    if (entry.output == o) return entry.description;
  return "?";
}

Activation parse_activation(std::string_view text) {
  for (const auto& [value, known] : activation_names)
    if (known == text) return value;
  throw std::invalid_argument(
      fmt::format("unknown activation '{}'; expected one of: {}", text, accepted_activations()));
}

Output parse_output(std::string_view text) {
  for (const auto& entry : output_names)
    if (entry.name == text) return entry.output;
  if (text == binary_cross_entropy) return Output::sigmoid_logistic;
  throw std::invalid_argument(fmt::format("unknown output/cost pair '{}'; expected one of: {}", text, output_choices()));
}

Architecture make_architecture(std::string_view sizes, Activation hidden, Output output) {
  Architecture architecture;
  architecture.output = output;
  std::string_view rest = sizes;
  while (true) {
    const auto dash = rest.find('-');
    const std::string_view field = rest.substr(0, dash);
    Index s = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), s);
    if (field.empty() || error != std::errc{} || end != field.data() + field.size() || s < 1)
      throw std::invalid_argument(fmt::format(
          "architecture '{}' has layer size '{}'; expected positive integers joined by '-', e.g. 3-5-3",
          sizes, field));
    architecture.sizes.push_back(s);
    if (dash == std::string_view::npos) break;
    rest = rest.substr(dash + 1);
  }
  if (architecture.sizes.size() < 2)
    throw std::invalid_argument(fmt::format(
        "architecture '{}' has {} layer; expected at least an input and an output layer, e.g. 3-5-3",
        sizes, architecture.sizes.size()));
  architecture.hidden.assign(architecture.sizes.size() - 2, hidden);
  return architecture;
}

std::string format_sizes(const Architecture& architecture) {
  std::string text;
  for (const Index s : architecture.sizes) text += (text.empty() ? "" : "-") + std::to_string(s);
  return text;
}

std::string describe(const Architecture& architecture) {
  std::string text = format_sizes(architecture);
  const auto& hidden = architecture.hidden;
  if (!hidden.empty()) {
    bool same = true;
    for (const Activation g : hidden) same = same && g == hidden.front();
    if (same) {
      text += fmt::format(", hidden g = {}", name(hidden.front()));
    } else {
      text += ", hidden g =";
      for (std::size_t k = 0; k < hidden.size(); ++k)
        text += fmt::format("{} {} (layer {})", k ? "," : "", name(hidden[k]), k + 2);
    }
  }
  return text + fmt::format(", {}", describe(architecture.output));
}

Index parameters_within_limit(const std::vector<Index>& sizes) {
  Index P = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    if (sizes[l] > max_parameters || sizes[l + 1] > max_parameters) return -1;
    const Index layer = sizes[l + 1] * (sizes[l] + 1);  // < 10^16.1: no overflow
    if (layer > max_parameters - P) return -1;
    P += layer;
  }
  return P;
}

void check_size(const std::vector<Index>& sizes, Index m, const std::string& what) {
  Index units = 0;
  for (const Index s : sizes) units += std::min(s, max_activations + 1);
  const bool too_many_activations = units > max_activations || (units > 0 && m > max_activations / units);
  if (parameters_within_limit(sizes) < 0 || too_many_activations)
    throw std::invalid_argument(fmt::format("{} is too large; expected at most {} parameters and {} activations "
                                            "(m × Σ s_l)", what, max_parameters, max_activations));
}

Eigen::MatrixXd one_hot(const Eigen::Ref<const Eigen::VectorXi>& labels, Index classes) {
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(labels.size(), classes);
  for (Index t = 0; t < labels.size(); ++t) {
    if (labels(t) < 1 || labels(t) > classes)
      throw std::invalid_argument(fmt::format(
          "label y({}) = {} is out of range; expected a class label in 1 … {}", t + 1, labels(t), classes));
    Y(t, labels(t) - 1) = 1;
  }
  return Y;
}

void validate_shapes(const Architecture& architecture, const std::vector<Index>& rows,
                     const std::vector<Index>& cols) {
  const Index L = architecture.layers();
  if (static_cast<Index>(rows.size()) != L - 1)
    throw std::invalid_argument(fmt::format(
        "theta has {} matrices; expected L − 1 = {} for architecture {}", rows.size(), L - 1,
        format_sizes(architecture)));
  for (Index l = 1; l < L; ++l) {
    const auto k = static_cast<std::size_t>(l - 1);
    if (rows[k] != architecture.size(l + 1) || cols[k] != architecture.size(l) + 1)
      throw std::invalid_argument(fmt::format(
          "Θ^({}) is {} × {}; expected s_{} × (s_{} + 1) = {} × {}", l, rows[k], cols[k], l + 1, l,
          architecture.size(l + 1), architecture.size(l) + 1));
  }
}

void validate(const Problem& problem) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers();
  if (L < 2)
    throw std::invalid_argument(
        fmt::format("architecture has {} layers; expected at least 2 (input and output)", L));
  for (Index l = 1; l <= L; ++l)
    if (arch.size(l) < 1)
      throw std::invalid_argument(fmt::format("layer size s_{} = {}; expected at least 1", l, arch.size(l)));
  if (static_cast<Index>(arch.hidden.size()) != L - 2)
    throw std::invalid_argument(fmt::format(
        "{} hidden activations given; expected one per hidden layer, L − 2 = {}", arch.hidden.size(), L - 2));
  const Index m = problem.examples();
  if (m < 1) throw std::invalid_argument("X has no examples; expected m ≥ 1 rows");
  if (problem.X.cols() != arch.size(1))
    throw std::invalid_argument(
        fmt::format("X has {} columns; expected s_1 = {} (one per input unit)", problem.X.cols(), arch.size(1)));
  if (problem.Y.rows() != m || problem.Y.cols() != arch.size(L))
    throw std::invalid_argument(fmt::format("Y is {} × {}; expected m × s_L = {} × {}", problem.Y.rows(),
                                            problem.Y.cols(), m, arch.size(L)));
  if (!problem.X.allFinite()) throw std::invalid_argument("X holds NaN or Inf; expected finite inputs");
  if (!problem.Y.allFinite()) throw std::invalid_argument("Y holds NaN or Inf; expected finite targets");
  if (!(problem.lambda >= 0) || !std::isfinite(problem.lambda))
    throw std::invalid_argument(fmt::format("λ = {}; expected a finite λ ≥ 0", problem.lambda));
  if (arch.output == Output::sigmoid_logistic && (problem.Y.minCoeff() < 0 || problem.Y.maxCoeff() > 1))
    throw std::invalid_argument("Y has entries outside [0, 1]; the logistic cost expects targets in [0, 1]");
  if (arch.output == Output::softmax_cross_entropy) {
    for (Index t = 0; t < m; ++t) {
      const double total = problem.Y.row(t).sum();
      if (problem.Y.row(t).minCoeff() < 0 || std::abs(total - 1) > 1e-9 * static_cast<double>(arch.size(L)))
        throw std::invalid_argument(fmt::format(
            "target row {} sums to {}; softmax + cross-entropy expects each row of Y to be a "
            "distribution (entries ≥ 0 summing to 1)", t + 1, total));
    }
  }
}

std::string name(WeightLayout layout) {
  switch (layout) {
    case WeightLayout::theta: return "theta";
    case WeightLayout::w_out_in: return "w-out-in";
    case WeightLayout::w_in_out: return "w-in-out";
  }
  return "?";
}

std::string name(Regularization regularization) {
  switch (regularization) {
    case Regularization::course: return "course";
    case Regularization::l2: return "l2";
    case Regularization::none: return "none";
  }
  return "?";
}

std::string name(Reduction reduction) { return reduction == Reduction::mean ? "mean" : "sum"; }

WeightLayout parse_layout(const std::string& text) {
  for (const auto layout : {WeightLayout::theta, WeightLayout::w_out_in, WeightLayout::w_in_out})
    if (text == name(layout)) return layout;
  throw std::invalid_argument("unknown weight layout '" + text + "'; expected theta, w-out-in or w-in-out");
}

Regularization parse_regularization(const std::string& text) {
  for (const auto r : {Regularization::course, Regularization::l2, Regularization::none})
    if (text == name(r)) return r;
  throw std::invalid_argument("unknown regularization '" + text + "'; expected course, l2 or none");
}

Reduction parse_reduction(const std::string& text) {
  if (text == "mean") return Reduction::mean;
  if (text == "sum") return Reduction::sum;
  throw std::invalid_argument("unknown reduction '" + text + "'; expected mean or sum");
}

double cost_scale(const Problem& problem) {
  return problem.conventions.reduction == Reduction::sum ? static_cast<double>(problem.examples()) : 1.0;
}

double course_lambda(const Problem& problem) {
  // J_yours = a·J_data + c·ΣW²/2 = a·(J_data + (c/a)·ΣW²/2) = a·J_course(λ' = m·c/a).
  const double m = static_cast<double>(problem.examples()), a = cost_scale(problem);
  switch (problem.conventions.regularization) {
    case Regularization::course: return m * (problem.lambda / m) / a;
    case Regularization::l2: return m * problem.lambda / a;
    case Regularization::none: return 0;
  }
  return problem.lambda;
}

Problem course_equivalent(const Problem& problem) {
  Problem course = problem;
  course.lambda = course_lambda(problem);
  course.conventions = Conventions{};
  return course;
}

std::string fingerprint(const Problem& problem, const Weights<double>& theta) {
  std::uint64_t hash = 0xcbf29ce484222325u;  // FNV-1a, 64 bits
  const auto mix = [&hash](const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t k = 0; k < size; ++k) hash = (hash ^ bytes[k]) * 0x100000001b3u;
  };
  const auto mix_number = [&mix](double x) { mix(&x, sizeof x); };
  const auto mix_matrix = [&](const Eigen::MatrixXd& M) {
    mix_number(static_cast<double>(M.rows())), mix_number(static_cast<double>(M.cols()));
    mix(M.data(), sizeof(double) * static_cast<std::size_t>(M.size()));
  };
  const Architecture& a = problem.architecture;
  for (const Index s : a.sizes) mix_number(static_cast<double>(s));
  for (const Activation g : a.hidden) mix_number(static_cast<double>(g));
  mix_number(static_cast<double>(a.output));
  mix_number(problem.lambda);
  const Conventions& c = problem.conventions;
  for (const int k : {static_cast<int>(c.layout), static_cast<int>(c.regularization), static_cast<int>(c.reduction)})
    mix_number(k);
  mix_matrix(problem.X), mix_matrix(problem.Y);
  for (const Eigen::MatrixXd& T : theta) mix_matrix(T);
  return fmt::format("{:016x}", hash);
}

}  // namespace gradcheck
