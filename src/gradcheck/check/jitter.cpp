// --jitter: θ moved by a documented random amount, off the corners training leaves it on.

#include "gradcheck/check/jitter.hpp"

#include <fmt/format.h>

#include <cmath>
#include <random>
#include <stdexcept>

namespace gradcheck {

Eigen::VectorXd jittered(const Eigen::VectorXd& values, const std::vector<Index>& sizes, const Jitter& jitter) {
  Index total = 0;
  for (const Index size : sizes) total += size;
  if (total != values.size()) throw std::logic_error("jittered: the tensors' sizes do not add up to the parameters");
  const double everything = values.size() > 0 ? values.norm() / std::sqrt(static_cast<double>(values.size())) : 0;
  std::mt19937_64 engine(jitter.seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::VectorXd moved = values;
  Index at = 0;
  for (const Index size : sizes) {
    const auto tensor = values.segment(at, size);
    double scale = size > 0 ? tensor.norm() / std::sqrt(static_cast<double>(size)) : 0;
    if (!(scale > 0)) scale = everything > 0 ? everything : 1.0;
    for (Index k = at; k < at + size; ++k) moved(k) += u(engine) * Jitter::relative * scale;
    at += size;
  }
  return moved;
}

std::string describe(const Jitter& jitter) {
  return fmt::format("θ jittered (--jitter): each entry moved by u · {:g}% of its tensor's root mean square, u uniform in "
                     "[−1, 1] from --seed {}; the verdict is about that θ, not the one given",
                     100 * Jitter::relative, jitter.seed);
}

}  // namespace gradcheck
