#pragma once
/// @file
/// Names of layers and entries as the user's code has them: `Theta1(3,2)` in Octave,
/// `Theta1[2, 1]` in numpy, `W1[1, 6]` and `b2[4]` with W and b apart, `fc1.weight[3, 0]` in a
/// model, `theta[0](2, 1)` for a C++ caller of gradcheck::check, or the course's Θ^(1)_{3,1}.
/// Every report speaks one of them, from the verdict line down.

#include "gradcheck/model/unroll.hpp"

#include <string>
#include <vector>

namespace gradcheck {

/// A named tensor of a model, seen by checks as a matrix: its first dimension by the rest.
struct TensorName {
  std::string name;
  std::vector<Index> shape;  ///< empty for a scalar
};

/// How a report names what it checked.
class Names {
 public:
  enum class Style {
    course,    ///< Θ^(l) and Θ^(l)_{i,j}, D^(l): the course's notation
    octave,    ///< Theta1, Theta1(i,j+1), Theta1_grad: the course's Octave, 1-based
    numpy,     ///< Theta1, Theta1[i-1, j], Theta1_grad: the Python edition and other 0-based Θ
    w_out_in,  ///< W1 (outputs × inputs) and b1 apart, 0-based: W1[i-1, j-1], b1[i-1]
    w_in_out,  ///< W1 (inputs × outputs) and b1 apart, 0-based: W1[j-1, i-1], b1[i-1]
    eigen,     ///< theta[l-1](i-1, j): a C++ caller's std::vector of Eigen matrices
    tensors,   ///< a model's own tensor names and indices
  };

  Names() = default;
  explicit Names(Style style) : style_(style) {}
  /// A model's tensors, in the order declared (layer l is tensors[l − 1]).
  explicit Names(std::vector<TensorName> tensors) : style_(Style::tensors), tensors_(std::move(tensors)) {}
  /// The names of an implementation whose weights are laid out as `layout` (Θ as `theta_style`).
  static Names of_layout(WeightLayout layout, Style theta_style);

  Style style() const { return style_; }
  /// True for the course's own notation (then no second column of names is needed).
  bool course() const { return style_ == Style::course; }

  /// "Θ^(1)", "Theta1", "W1, b1", "fc1.weight", "theta[0]".
  std::string layer(Index l) const;
  /// "D^(1)", "Theta1_grad", "dW1, db1", "the gradient of fc1.weight".
  std::string gradient(Index l) const;
  /// "Θ^(1)_{3,1}", "Theta1(3,2)", "Theta1[2, 1]", "W1[0, 2]", "b1[2]", "fc1.weight[3, 0]".
  std::string entry(const ParamIndex& p) const;
  /// What the names are, for a column heading: "Octave", "numpy", "yours", "Θ^(l)_ij".
  std::string heading() const;

 private:
  Style style_ = Style::course;
  std::vector<TensorName> tensors_;
};

}  // namespace gradcheck
