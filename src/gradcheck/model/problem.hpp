#pragma once
/// @file
/// What a gradient check is about: the architecture, the data, λ and the weights Θ.
///
/// Notation (the course's): layer sizes s_1 … s_L; Θ^(l) is s_(l+1) × (s_l + 1), column 0
/// holding the bias weights. In code, vectors are 0-based: theta[l - 1] is Θ^(l),
/// a[l - 1] is a^(l). Everything printed for a person uses the course's 1-based l.

#include "gradcheck/model/activation.hpp"

#include <Eigen/Core>

#include <string>
#include <string_view>
#include <vector>

namespace gradcheck {

using Eigen::Index;

template <class Scalar> using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <class Scalar> using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
/// Θ^(1) … Θ^(L−1); theta[l - 1] is Θ^(l).
template <class Scalar> using Weights = std::vector<Matrix<Scalar>>;

/// Layer sizes, hidden activations and the output/cost pair of a fully connected network.
struct Architecture {
  std::vector<Index> sizes;         ///< s_1 … s_L (L ≥ 2)
  std::vector<Activation> hidden;   ///< g of layers 2 … L−1, so L − 2 entries
  Output output = Output::sigmoid_logistic;

  /// L, the number of layers including input and output.
  Index layers() const { return static_cast<Index>(sizes.size()); }
  /// g of hidden layer l, for 2 ≤ l ≤ L − 1.
  Activation activation(Index l) const { return hidden[static_cast<std::size_t>(l - 2)]; }
  /// s_l for 1 ≤ l ≤ L.
  Index size(Index l) const { return sizes[static_cast<std::size_t>(l - 1)]; }
};

/// Builds an architecture from sizes such as "3-5-3", one activation for every hidden layer.
/// Throws std::invalid_argument naming what was wrong.
Architecture make_architecture(std::string_view sizes, Activation hidden, Output output);
/// "3-5-3".
std::string format_sizes(const Architecture& architecture);
/// "3-5-3, g = sigmoid, sigmoid output + logistic cross-entropy" (the activations listed per
/// layer when they differ).
std::string describe(const Architecture& architecture);

/// Θ unrolled into one vector nn_params: column by column as Octave's Theta(:) (the course), or
/// row by row as numpy's ravel() (the course's Python edition).
enum class Unrolling { column_major, row_major };

/// How an implementation lays out its weights: the course's Θ^(l) = [b W] (bias column first,
/// rows as outputs), or a weight matrix W^(l) and a bias vector b^(l) apart, W outputs × inputs
/// (z = W a + b, PyTorch's nn.Linear) or inputs × outputs (z = a W + b, most tutorials).
enum class WeightLayout { theta, w_out_in, w_in_out };

/// Which weights its J regularizes and how: the course's (λ/2m) Σ Θ² off the bias column,
/// (λ/2) Σ W², or nothing.
enum class Regularization { course, l2, none };

/// Whether its J averages the examples' costs (the course's) or sums them.
enum class Reduction { mean, sum };

/// An implementation's conventions. gradcheck's reference is always the course's: J_yours =
/// cost_scale · J_course at λ' = course_lambda, and the weights map linearly (external.hpp).
struct Conventions {
  WeightLayout layout = WeightLayout::theta;
  Regularization regularization = Regularization::course;
  Reduction reduction = Reduction::mean;
  bool course() const {
    return layout == WeightLayout::theta && regularization == Regularization::course && reduction == Reduction::mean;
  }
};

std::string name(WeightLayout layout);          ///< "theta", "w-out-in", "w-in-out"
std::string name(Regularization regularization);  ///< "course", "l2", "none"
std::string name(Reduction reduction);          ///< "mean", "sum"
WeightLayout parse_layout(const std::string& text);  ///< throws std::invalid_argument listing the names
Regularization parse_regularization(const std::string& text);
Reduction parse_reduction(const std::string& text);

/// The data a cost is evaluated on: examples are rows, as in the course's X and y.
struct Problem {
  Architecture architecture;
  Eigen::MatrixXd X;  ///< m × s_1, example t in row t
  Eigen::MatrixXd Y;  ///< m × s_L, target of example t in row t (one-hot for class labels)
  double lambda = 0;  ///< regularization strength λ ≥ 0
  /// How the implementation checked unrolls Θ into nn_params. The numbers never depend on it; the
  /// diagnosis does, since an unrolling mistake reads Θ or D in the other order.
  Unrolling unrolling = Unrolling::column_major;
  /// The conventions of the implementation checked (its layout, regularization, reduction). The
  /// reference never depends on them: it is the course's, at course_lambda().
  Conventions conventions;

  /// m, the number of examples.
  Index examples() const { return X.rows(); }
};

/// 16 hex digits that change with any number of the problem or of Θ (sizes, activations, cost,
/// λ, conventions, X, Y, every entry bit for bit): shards of one check carry it, and merge refuses
/// shards measured on different data (a problem file regenerated between CI jobs).
std::string fingerprint(const Problem& problem, const Weights<double>& theta);

/// a in J_yours = a · J_course(λ'): 1 for a mean over examples, m for a sum.
double cost_scale(const Problem& problem);
/// λ' in J_yours = a · J_course(λ'): λ (the course's), m·λ for λ/2 Σ W² averaged, λ/m for the
/// course's term summed, λ for λ/2 Σ W² summed, 0 without regularization.
double course_lambda(const Problem& problem);
/// The problem the reference evaluates: the same data under the course's conventions at λ'.
Problem course_equivalent(const Problem& problem);

/// The largest checks gradcheck accepts: P parameters (800 MB per copy of θ) and m × Σ s_l
/// activations. Sizes beyond them are refused before anything is allocated.
constexpr Index max_parameters = 100'000'000;
constexpr Index max_activations = 100'000'000;

/// P = Σ s_(l+1) (s_l + 1), or −1 when it exceeds max_parameters (computed without overflow).
Index parameters_within_limit(const std::vector<Index>& sizes);

/// Throws std::invalid_argument (starting with `what`, e.g. "--arch 3-5-3") when the network or
/// m examples of it exceed the limits above.
void check_size(const std::vector<Index>& sizes, Index m, const std::string& what);

/// One-hot rows from the course's class labels y ∈ {1 … K}: row t has a 1 in column y(t) − 1.
/// Throws std::invalid_argument for a label outside 1 … K.
Eigen::MatrixXd one_hot(const Eigen::Ref<const Eigen::VectorXi>& labels, Index classes);

/// Checks sizes, shapes, finiteness, λ and target ranges; throws std::invalid_argument with a
/// sentence naming the field and what was expected.
void validate(const Problem& problem);

/// Checks that theta holds L − 1 matrices of the shapes s_(l+1) × (s_l + 1).
void validate_shapes(const Architecture& architecture, const std::vector<Index>& rows,
                     const std::vector<Index>& cols);

template <class Scalar> void validate(const Architecture& architecture, const Weights<Scalar>& theta) {
  std::vector<Index> rows, cols;
  for (const auto& t : theta) {
    rows.push_back(t.rows());
    cols.push_back(t.cols());
  }
  validate_shapes(architecture, rows, cols);
}

}  // namespace gradcheck
