#pragma once
/// @file
/// Unrolling: every Θ^(l) in one flat parameter vector, in Octave's order
/// [Theta1(:); Theta2(:); …] (column-major, layer after layer), and the map between a flat
/// index k and the course's Θ^(l)_ij.

#include "gradcheck/model/problem.hpp"

#include <Eigen/Core>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gradcheck {

/// Θ^(l)_ij in the course's indexing: l ≥ 1 is the layer the weight leaves, i ≥ 1 the unit of
/// layer l + 1 it feeds, j ≥ 0 the unit of layer l it reads, j = 0 being the bias unit.
/// In Octave the same entry is Theta<l>(i, j + 1).
struct ParamIndex {
  Index l = 1;
  Index i = 1;
  Index j = 0;
  friend bool operator==(const ParamIndex& x, const ParamIndex& y) { return x.l == y.l && x.i == y.i && x.j == y.j; }
};

/// "Θ^(2)_{3,0}".
std::string format(const ParamIndex& p);
/// "Theta2(3,1)", the same entry as Octave indexes it.
std::string format_octave(const ParamIndex& p);

/// A point near θ: θ + step·e_index (a coordinate) or θ + step·v_index (a direction), as a
/// request for J at many points names them.
struct Point {
  Index index = 0;
  double step = 0;
};

/// Shapes of Θ^(1) … Θ^(L−1) and where each starts in the flat vector.
class Layout {
 public:
  /// Layout of an architecture's weights: Θ^(l) is s_(l+1) × (s_l + 1).
  explicit Layout(const Architecture& architecture);
  /// Layout from the layer sizes s_1 … s_L.
  explicit Layout(const std::vector<Index>& sizes);
  /// Layout of any matrices, given as (rows, columns) each (a model's named tensors, each seen as
  /// a matrix: its first dimension by the rest).
  static Layout of_matrices(const std::vector<std::pair<Index, Index>>& shapes);

  /// P, the number of parameters.
  Index parameters() const { return offsets_.back(); }
  /// L − 1, the number of weight matrices.
  Index matrices() const { return static_cast<Index>(rows_.size()); }
  /// Rows of Θ^(l), 1 ≤ l ≤ L − 1.
  Index rows(Index l) const { return rows_[slot(l)]; }
  /// Columns of Θ^(l) (including the bias column).
  Index cols(Index l) const { return cols_[slot(l)]; }
  /// Flat index of Θ^(l)'s first entry, Θ^(l)_{1,0}.
  Index offset(Index l) const { return offsets_[slot(l)]; }
  /// 0-based flat index k of Θ^(l)_ij (Octave's nn_params(k + 1)).
  Index flat(const ParamIndex& p) const;
  /// The entry Θ^(l)_ij stored at 0-based flat index k.
  ParamIndex entry(Index k) const;

 private:
  Layout() : offsets_{0} {}
  static std::size_t slot(Index l) { return static_cast<std::size_t>(l - 1); }
  std::vector<Index> rows_, cols_;
  std::vector<Index> offsets_;  // offsets_[l - 1] = offset(l); offsets_.back() = P
};

/// [Theta1(:); Theta2(:); …].
template <class Scalar> Vector<Scalar> unroll(const Weights<Scalar>& theta) {
  Index P = 0;
  for (const auto& t : theta) P += t.size();
  Vector<Scalar> flat(P);
  Index at = 0;
  for (const auto& t : theta) {
    flat.segment(at, t.size()) = t.reshaped();  // column-major, as Octave's (:)
    at += t.size();
  }
  return flat;
}

/// The inverse of unroll(): Θ^(l) reshaped from its segment of the flat vector.
template <class Derived>
Weights<typename Derived::Scalar> reroll(const Layout& layout, const Eigen::MatrixBase<Derived>& flat) {
  using Scalar = typename Derived::Scalar;
  if (flat.size() != layout.parameters())
    throw std::invalid_argument("parameter vector has " + std::to_string(flat.size()) +
                                " entries; expected P = " + std::to_string(layout.parameters()));
  Weights<Scalar> theta;
  for (Index l = 1; l <= layout.matrices(); ++l)
    theta.push_back(flat.segment(layout.offset(l), layout.rows(l) * layout.cols(l))
                        .reshaped(layout.rows(l), layout.cols(l)));
  return theta;
}

}  // namespace gradcheck
