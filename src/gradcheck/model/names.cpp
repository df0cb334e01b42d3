// Names of layers and entries in the notation of the user's own code.

#include "gradcheck/model/names.hpp"

#include <fmt/format.h>

namespace gradcheck {

Names Names::of_layout(WeightLayout layout, Style theta_style) {
  switch (layout) {
    case WeightLayout::w_out_in: return Names(Style::w_out_in);
    case WeightLayout::w_in_out: return Names(Style::w_in_out);
    case WeightLayout::theta: break;
  }
  return Names(theta_style);
}

std::string Names::layer(Index l) const {
  switch (style_) {
    case Style::course: return fmt::format("Θ^({})", l);
    case Style::octave:
    case Style::numpy: return fmt::format("Theta{}", l);
    case Style::w_out_in:
    case Style::w_in_out: return fmt::format("W{0}, b{0}", l);
    case Style::eigen: return fmt::format("theta[{}]", l - 1);
    case Style::tensors: break;
  }
  const auto slot = static_cast<std::size_t>(l - 1);
  return slot < tensors_.size() ? tensors_[slot].name : fmt::format("tensor {}", l);
}

std::string Names::gradient(Index l) const {
  switch (style_) {
    case Style::course: return fmt::format("D^({})", l);
    case Style::octave:
    case Style::numpy: return fmt::format("Theta{}_grad", l);
    case Style::w_out_in:
    case Style::w_in_out: return fmt::format("dW{0}, db{0}", l);
    case Style::eigen: return fmt::format("the gradient of theta[{}]", l - 1);
    case Style::tensors: break;
  }
  return "the gradient of " + layer(l);
}

std::string Names::entry(const ParamIndex& p) const {
  switch (style_) {
    case Style::course: return format(p);
    case Style::octave: return format_octave(p);
    case Style::numpy: return fmt::format("Theta{}[{}, {}]", p.l, p.i - 1, p.j);
    case Style::w_out_in:
    case Style::w_in_out:
      if (p.j == 0) return fmt::format("b{}[{}]", p.l, p.i - 1);
      return style_ == Style::w_out_in ? fmt::format("W{}[{}, {}]", p.l, p.i - 1, p.j - 1)
                                       : fmt::format("W{}[{}, {}]", p.l, p.j - 1, p.i - 1);
    case Style::eigen: return fmt::format("theta[{}]({}, {})", p.l - 1, p.i - 1, p.j);
    case Style::tensors: break;
  }
  const auto slot = static_cast<std::size_t>(p.l - 1);
  if (slot >= tensors_.size()) return format(p);
  const TensorName& t = tensors_[slot];
  if (t.shape.empty()) return t.name;
  // Row i − 1 and column j of the matrix view (first dimension × the rest): the row-major
  // offset, unravelled by the shape.
  Index columns = 1;
  for (std::size_t d = 1; d < t.shape.size(); ++d) columns *= t.shape[d];
  Index offset = (p.i - 1) * columns + p.j;
  std::vector<Index> index(t.shape.size());
  for (std::size_t d = t.shape.size(); d-- > 0;) {
    index[d] = offset % t.shape[d];
    offset /= t.shape[d];
  }
  std::string out = t.name + "[";
  for (std::size_t d = 0; d < index.size(); ++d) out += fmt::format("{}{}", d ? ", " : "", index[d]);
  return out + "]";
}

std::string Names::heading() const {
  switch (style_) {
    case Style::course: return "Θ^(l)_ij";
    case Style::octave: return "Octave";
    case Style::numpy: return "numpy";
    case Style::eigen: return "Eigen";
    case Style::w_out_in:
    case Style::w_in_out:
    case Style::tensors: break;
  }
  return "yours";
}

}  // namespace gradcheck
