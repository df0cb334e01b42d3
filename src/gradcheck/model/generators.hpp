#pragma once
/// @file
/// RapidCheck generators of networks, for the property tests and for `gradcheck fuzz`.
/// Outside the installed library, which does not depend on RapidCheck: target gradcheck_generators.
//
// RapidCheck generators of networks. Every part shrinks toward the simplest network: fewer
// layers (L → 2), fewer units (s_l → 1), sigmoid (the course's g), fewer examples (m → 1),
// λ → 0 and seed → 0. Weights and data come from the seed (random_instance), so shrinking spends
// its effort on the architecture, and a failure ends as the smallest network that still fails.

#include "gradcheck/model/course.hpp"
#include "gradcheck/model/problem.hpp"

#include <rapidcheck/Gen.h>

#include <cstdint>
#include <ostream>
#include <utility>
#include <vector>

namespace gradcheck {

inline std::ostream& operator<<(std::ostream& os, const Architecture& architecture) {
  return os << describe(architecture);
}

/// A random problem, described by what it is built from.
struct NetworkCase {
  Architecture architecture;
  Index examples = 1;
  double lambda = 0;
  std::uint64_t seed = 0;

  Instance instance() const { return random_instance(architecture, examples, lambda, seed); }
};

inline std::ostream& operator<<(std::ostream& os, const NetworkCase& c) {
  return os << c.architecture << ", m = " << c.examples << ", λ = " << c.lambda << ", seed " << c.seed;
}

namespace generate {

rc::Gen<Activation> activation();

rc::Gen<Output> output();

/// min_layers … max_layers layers of 1 … max_units units, hidden activations drawn from `hidden`
/// layer by layer, any output/cost pair.
rc::Gen<Architecture> architecture(int max_layers = 6, Index max_units = 8, rc::Gen<Activation> hidden = activation(),
                                   int min_layers = 2);

/// The networks a search may generate.
struct SearchSpace {
  int min_layers = 2;
  int max_layers = 6;
  Index max_units = 8;
  std::vector<Activation> activations{Activation::sigmoid, Activation::tanh,       Activation::relu, Activation::identity,
                                      Activation::leaky_relu, Activation::softplus, Activation::elu};
  std::vector<Output> outputs{Output::sigmoid_logistic, Output::softmax_cross_entropy, Output::identity_quadratic,
                              Output::sigmoid_quadratic, Output::identity_mse};
  Index max_examples = 16;
  int max_lambda_tenths = 50;
};

/// λ in 0, 0.1, …, max (mapped from integers, so it shrinks toward 0 in simple steps).
rc::Gen<double> lambda(int min_tenths = 0, int max_tenths = 50);

/// A network with m ∈ 1 … 16 examples, λ ∈ [0, 5] and a seed for its weights and data.
rc::Gen<NetworkCase> network_case(rc::Gen<Architecture> architectures = architecture(),
                                  rc::Gen<double> lambdas = lambda());

/// A network case anywhere in `space`; shrinks toward its smallest network, the first activation
/// and output listed, m = 1 and λ = 0.
rc::Gen<NetworkCase> network_case(const SearchSpace& space);

}  // namespace generate
}  // namespace gradcheck
