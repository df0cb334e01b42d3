#include "gradcheck/model/unroll.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace gradcheck {

std::string format(const ParamIndex& p) { return fmt::format("Θ^({})_{{{},{}}}", p.l, p.i, p.j); }

std::string format_octave(const ParamIndex& p) { return fmt::format("Theta{}({},{})", p.l, p.i, p.j + 1); }

Layout::Layout(const Architecture& architecture) : Layout(architecture.sizes) {}

Layout::Layout(const std::vector<Index>& sizes) : offsets_{0} {
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
    rows_.push_back(sizes[k + 1]);
    cols_.push_back(sizes[k] + 1);
    offsets_.push_back(offsets_.back() + rows_.back() * cols_.back());
  }
}

Layout Layout::of_matrices(const std::vector<std::pair<Index, Index>>& shapes) {
  Layout layout;
  for (const auto& [rows, cols] : shapes) {
    layout.rows_.push_back(rows);
    layout.cols_.push_back(cols);
    layout.offsets_.push_back(layout.offsets_.back() + rows * cols);
  }
  return layout;
}

Index Layout::flat(const ParamIndex& p) const {
  if (p.l < 1 || p.l > matrices() || p.i < 1 || p.i > rows(p.l) || p.j < 0 || p.j >= cols(p.l))
    throw std::out_of_range(fmt::format("{} is not a parameter of this network", format(p)));
  // Column-major inside Θ^(l): column j holds rows 1 … s_(l+1).
  return offset(p.l) + p.j * rows(p.l) + (p.i - 1);
}

ParamIndex Layout::entry(Index k) const {
  if (k < 0 || k >= parameters())
    throw std::out_of_range(fmt::format("flat index {} is outside 0 … P − 1 = {}", k, parameters() - 1));
  // The layer is the last one whose offset is ≤ k.
  const auto after = std::upper_bound(offsets_.begin(), offsets_.end(), k);
  const Index l = after - offsets_.begin();
  const Index within = k - offset(l);
  return ParamIndex{l, within % rows(l) + 1, within / rows(l)};
}

}  // namespace gradcheck
