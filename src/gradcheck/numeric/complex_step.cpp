#include "gradcheck/numeric/complex_step.hpp"

#include "gradcheck/model/network.hpp"
#include "gradcheck/numeric/parallel.hpp"
#include "gradcheck/model/unroll.hpp"

#include <complex>
#include <sstream>

namespace gradcheck {

std::string describe(const ComplexStep& options) {
  std::ostringstream text;
  text << "complex step Im J(θ + ih e_k) / h, h = " << options.step;
  return text.str();
}

NumericalGradient complex_step_gradient(const Problem& problem, const Weights<double>& theta,
                                        const ComplexStep& options) {
  using Complex = std::complex<double>;
  validate(problem);
  validate(problem.architecture, theta);
  if (!(options.step > 0)) throw std::invalid_argument("complex step h must be positive");
  const Layout layout(problem.architecture);
  const std::vector<Index> coordinates = coordinates_or_all(options.coordinates, layout.parameters());
  const auto n = static_cast<Index>(coordinates.size());

  Weights<Complex> base;
  for (const auto& t : theta) base.push_back(t.cast<Complex>());
  NumericalGradient result{Eigen::VectorXd::Constant(n, std::numeric_limits<double>::quiet_NaN()), 0, 0};
  result.completed = parallel_for(n, options.threads, options.progress, options.stop, [&](Index c) {
    const ParamIndex p = layout.entry(coordinates[static_cast<std::size_t>(c)]);
    Weights<Complex> moved = base;  // each thread its own copy: only one entry changes
    moved[static_cast<std::size_t>(p.l - 1)](p.i - 1, p.j) += Complex(0, options.step);
    result.gradient(c) = std::imag(cost(problem, moved)) / options.step;
  });
  result.evaluations = static_cast<std::size_t>(result.completed);
  return result;
}

}  // namespace gradcheck
