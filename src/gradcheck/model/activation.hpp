#pragma once
/// @file
/// Activation functions g and their derivatives g′, and the output/cost pairs of the course.
///
/// Every function is written once for any scalar: float, double, long double and
/// std::complex<double>. For the complex type each formula stays analytic (no abs, no conj,
/// branches on the real part only), so the complex-step derivative Im J(θ + ih) / h is exact.

#include <Eigen/Core>

#include <cmath>
#include <complex>
#include <string>
#include <string_view>
#include <type_traits>

namespace gradcheck {

/// A hidden layer's activation g. Leaky ReLU's slope below 0 is 0.01; ELU's α is 1.
enum class Activation { sigmoid, tanh, relu, identity, leaky_relu, softplus, elu };

/// True for the activations with a kink (ReLU, leaky ReLU) or a jump in g″ (ELU) at z = 0: a
/// finite difference whose stencil crosses it measures a corner, not a derivative.
constexpr bool kinked(Activation g) { return g == Activation::relu || g == Activation::leaky_relu || g == Activation::elu; }

/// Leaky ReLU's slope for z < 0.
constexpr double leaky_slope = 0.01;

/// The output layer's activation paired with the cost it is trained on.
enum class Output {
  sigmoid_logistic,       ///< sigmoid output + logistic cross-entropy (the course's J)
  softmax_cross_entropy,  ///< softmax output + cross-entropy, targets are distributions
  identity_quadratic,     ///< identity output + ½‖a^(L) − y‖²
  sigmoid_quadratic,      ///< sigmoid output + ½‖a^(L) − y‖²
  identity_mse,           ///< identity output + ‖a^(L) − y‖², the squared error without ½
};

/// Name used on the command line and in reports ("sigmoid", "tanh", "relu", "identity",
/// "leaky-relu", "softplus", "elu").
std::string_view name(Activation g);
/// Name used on the command line and in reports (e.g. "sigmoid-logistic").
std::string_view name(Output o);
/// The names parse_output() accepts, comma-separated (the aliases included).
std::string output_choices();
/// Human description for reports, e.g. "sigmoid output + logistic cross-entropy".
std::string_view describe(Output o);
/// Parses a name as printed by name(); throws std::invalid_argument naming the accepted values.
Activation parse_activation(std::string_view text);
/// Parses a name as printed by name(), or "binary-crossentropy" (sigmoid-logistic under its
/// usual name: with one output unit the course's J is the binary cross-entropy); throws
/// std::invalid_argument naming the accepted values.
Output parse_output(std::string_view text);

/// True when δ^(L) = a^(L) − y is the exact derivative of the cost with respect to z^(L)
/// (the "matched" pairs); the other pairs use the chain rule (a − y) .* g′(z^(L)).
constexpr bool matched(Output o) { return o != Output::sigmoid_quadratic; }

/// δ^(L) = factor · (a^(L) − y) for the matched pairs: 2 for the squared error without ½, else 1.
constexpr double output_delta_factor(Output o) { return o == Output::identity_mse ? 2.0 : 1.0; }

template <class T> struct is_complex : std::false_type {};
template <class T> struct is_complex<std::complex<T>> : std::true_type {};
/// The scalar types the network runs on: floating point, real or complex.
template <class T>
constexpr bool is_number = std::is_floating_point_v<T> || is_complex<T>::value;

namespace detail {

/// log(1 + x), with std::log1p's accuracy for real types.
template <class Scalar> Scalar log1p(const Scalar& x) {
  if constexpr (is_complex<Scalar>::value)
    return std::log(Scalar(1) + x);
  else
    return std::log1p(x);
}

}  // namespace detail

/// Softplus log(1 + e^x) without overflow; its derivative is the sigmoid.
template <class Scalar> Scalar softplus(const Scalar& x) {
  // Branch on the real part only, so the complex extension stays analytic.
  return std::real(x) > 0 ? x + detail::log1p(Scalar(std::exp(-x))) : detail::log1p(Scalar(std::exp(x)));
}

/// g(z) for one scalar.
template <class Scalar, std::enable_if_t<is_number<Scalar>, int> = 0> Scalar activate(Activation g, const Scalar& z) {
  switch (g) {
    case Activation::sigmoid: return Scalar(1) / (Scalar(1) + std::exp(-z));
    case Activation::tanh: return std::tanh(z);
    case Activation::relu: return std::real(z) > 0 ? z : Scalar(0);
    case Activation::identity: return z;
    case Activation::leaky_relu: return std::real(z) > 0 ? z : Scalar(leaky_slope) * z;
    case Activation::softplus: return softplus(z);
    case Activation::elu: return std::real(z) > 0 ? z : Scalar(std::exp(z)) - Scalar(1);
  }
  return z;  // unreachable
}

/// g′(z) for one scalar. ReLU's and leaky ReLU's derivative at the kink z = 0 is taken from the left.
template <class Scalar, std::enable_if_t<is_number<Scalar>, int> = 0> Scalar derivative(Activation g, const Scalar& z) {
  switch (g) {
    case Activation::sigmoid: {
      const Scalar s = activate(Activation::sigmoid, z);
      return s * (Scalar(1) - s);
    }
    case Activation::tanh: {
      const Scalar t = std::tanh(z);
      return Scalar(1) - t * t;
    }
    case Activation::relu: return std::real(z) > 0 ? Scalar(1) : Scalar(0);
    case Activation::identity: return Scalar(1);
    case Activation::leaky_relu: return std::real(z) > 0 ? Scalar(1) : Scalar(leaky_slope);
    case Activation::softplus: return activate(Activation::sigmoid, z);
    case Activation::elu: return std::real(z) > 0 ? Scalar(1) : Scalar(std::exp(z));
  }
  return Scalar(1);  // unreachable
}

/// g applied elementwise to a matrix of pre-activations z.
template <class Derived>
auto activate(Activation g, const Eigen::MatrixBase<Derived>& z) {
  using Scalar = typename Derived::Scalar;
  return z.unaryExpr([g](const Scalar& v) { return activate(g, v); });
}

/// g′ applied elementwise to a matrix of pre-activations z.
template <class Derived>
auto derivative(Activation g, const Eigen::MatrixBase<Derived>& z) {
  using Scalar = typename Derived::Scalar;
  return z.unaryExpr([g](const Scalar& v) { return derivative(g, v); });
}

}  // namespace gradcheck
