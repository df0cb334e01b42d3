#include "gradcheck/model/backprop.hpp"

namespace gradcheck {

template Gradient<double> backprop(const Problem&, const Weights<double>&, KinkSide);

Weights<double> term_sizes(const Problem& problem, const Weights<double>& theta, bool residuals) {
  const Architecture& arch = problem.architecture;
  const Index L = arch.layers(), m = problem.examples();
  const ForwardPass<double> pass = forward(problem, theta);
  Weights<double> sizes(theta.size());
  Matrix<double> delta = residuals ? Matrix<double>((pass.a.back() - problem.Y).cwiseAbs())
                                   : Matrix<double>(pass.a.back().cwiseAbs() + problem.Y.cwiseAbs());
  delta *= std::abs(output_delta_factor(arch.output));
  if (!matched(arch.output)) delta.array() *= derivative(Activation::sigmoid, pass.z.back()).array();
  for (Index l = L - 1; l >= 1; --l) {
    const auto k = static_cast<std::size_t>(l - 1);
    const Matrix<double> a = pass.a[k].cwiseAbs();
    Matrix<double> Delta(theta[k].rows(), theta[k].cols());
    Delta.col(0) = delta.colwise().sum().transpose();
    Delta.rightCols(a.cols()).noalias() = delta.transpose() * a;
    sizes[k] = finish_gradient(std::move(Delta), Matrix<double>(theta[k].cwiseAbs()), std::abs(problem.lambda), m);
    if (l > 1) {
      Matrix<double> back = delta * theta[k].rightCols(a.cols()).cwiseAbs();
      back.array() *= derivative(arch.activation(l), pass.z[k]).array().abs();
      delta = std::move(back);
    }
  }
  return sizes;
}

}  // namespace gradcheck
