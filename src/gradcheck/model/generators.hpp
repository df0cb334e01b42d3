#pragma once
/// @file
/// RapidCheck generators of networks, for the property tests and for `gradcheck fuzz`.
/// Header-only and outside the installed library, which does not depend on RapidCheck.
//
// RapidCheck generators of networks. Every part shrinks toward the simplest network: fewer
// layers (L → 2), fewer units (s_l → 1), sigmoid (the course's g), fewer examples (m → 1),
// λ → 0 and seed → 0. Weights and data come from the seed (random_instance), so shrinking spends
// its effort on the architecture, and a failure ends as the smallest network that still fails.

#include "gradcheck/model/course.hpp"
#include "gradcheck/model/problem.hpp"

#include <rapidcheck.h>

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

inline rc::Gen<Activation> activation() {
  return rc::gen::element(Activation::sigmoid, Activation::tanh, Activation::relu, Activation::identity);
}

inline rc::Gen<Output> output() {
  return rc::gen::element(Output::sigmoid_logistic, Output::softmax_cross_entropy, Output::identity_quadratic,
                          Output::sigmoid_quadratic);
}

/// min_layers … max_layers layers of 1 … max_units units, hidden activations drawn from `hidden`
/// layer by layer, any output/cost pair.
inline rc::Gen<Architecture> architecture(int max_layers = 6, Index max_units = 8,
                                          rc::Gen<Activation> hidden = activation(), int min_layers = 2) {
  return rc::gen::mapcat(rc::gen::inRange(min_layers, max_layers + 1), [=](int L) {
    return rc::gen::build<Architecture>(
        rc::gen::set(&Architecture::sizes,
                     rc::gen::container<std::vector<Index>>(static_cast<std::size_t>(L),
                                                            rc::gen::inRange<Index>(1, max_units + 1))),
        rc::gen::set(&Architecture::hidden,
                     rc::gen::container<std::vector<Activation>>(static_cast<std::size_t>(L - 2), hidden)),
        rc::gen::set(&Architecture::output, output()));
  });
}

/// The networks a search may generate.
struct SearchSpace {
  int min_layers = 2;
  int max_layers = 6;
  Index max_units = 8;
  std::vector<Activation> activations{Activation::sigmoid, Activation::tanh, Activation::relu, Activation::identity};
  std::vector<Output> outputs{Output::sigmoid_logistic, Output::softmax_cross_entropy, Output::identity_quadratic,
                              Output::sigmoid_quadratic};
  Index max_examples = 16;
  int max_lambda_tenths = 50;
};

/// λ in 0, 0.1, …, max (mapped from integers, so it shrinks toward 0 in simple steps).
inline rc::Gen<double> lambda(int min_tenths = 0, int max_tenths = 50) {
  return rc::gen::map(rc::gen::inRange(min_tenths, max_tenths + 1), [](int tenths) { return tenths / 10.0; });
}

/// A network with m ∈ 1 … 16 examples, λ ∈ [0, 5] and a seed for its weights and data.
inline rc::Gen<NetworkCase> network_case(rc::Gen<Architecture> architectures = architecture(),
                                         rc::Gen<double> lambdas = lambda()) {
  return rc::gen::build<NetworkCase>(rc::gen::set(&NetworkCase::architecture, std::move(architectures)),
                                     rc::gen::set(&NetworkCase::examples, rc::gen::inRange<Index>(1, 17)),
                                     rc::gen::set(&NetworkCase::lambda, std::move(lambdas)),
                                     rc::gen::set(&NetworkCase::seed, rc::gen::inRange<std::uint64_t>(0, 1u << 30)));
}

/// A network case anywhere in `space`; shrinks toward its smallest network, the first activation
/// and output listed, m = 1 and λ = 0.
inline rc::Gen<NetworkCase> network_case(const SearchSpace& space) {
  const auto outputs = space.outputs;
  const auto architectures = rc::gen::map(
      rc::gen::pair(architecture(space.max_layers, space.max_units, rc::gen::elementOf(space.activations),
                                 space.min_layers),
                    rc::gen::elementOf(outputs)),
      [](std::pair<Architecture, Output> chosen) {
        chosen.first.output = chosen.second;
        return chosen.first;
      });
  return rc::gen::build<NetworkCase>(
      rc::gen::set(&NetworkCase::architecture, architectures),
      rc::gen::set(&NetworkCase::examples, rc::gen::inRange<Index>(1, space.max_examples + 1)),
      rc::gen::set(&NetworkCase::lambda, lambda(0, space.max_lambda_tenths)),
      rc::gen::set(&NetworkCase::seed, rc::gen::inRange<std::uint64_t>(0, 1u << 30)));
}

}  // namespace generate
}  // namespace gradcheck
