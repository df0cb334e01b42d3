// The generators' bodies, compiled once: RapidCheck's combinators are templates that cost
// seconds in every file that instantiates them.

#include "gradcheck/model/generators.hpp"

#include <rapidcheck.h>

namespace gradcheck {

namespace generate {

rc::Gen<Activation> activation() {
  return rc::gen::element(Activation::sigmoid, Activation::tanh, Activation::relu, Activation::identity,
                          Activation::leaky_relu, Activation::softplus, Activation::elu);
}

rc::Gen<Output> output() {
  return rc::gen::element(Output::sigmoid_logistic, Output::softmax_cross_entropy, Output::identity_quadratic,
                          Output::sigmoid_quadratic, Output::identity_mse);
}

rc::Gen<Architecture> architecture(int max_layers, Index max_units, rc::Gen<Activation> hidden, int min_layers) {
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

rc::Gen<double> lambda(int min_tenths, int max_tenths) {
  return rc::gen::map(rc::gen::inRange(min_tenths, max_tenths + 1), [](int tenths) { return tenths / 10.0; });
}

rc::Gen<NetworkCase> network_case(rc::Gen<Architecture> architectures, rc::Gen<double> lambdas) {
  return rc::gen::build<NetworkCase>(rc::gen::set(&NetworkCase::architecture, std::move(architectures)),
                                     rc::gen::set(&NetworkCase::examples, rc::gen::inRange<Index>(1, 17)),
                                     rc::gen::set(&NetworkCase::lambda, std::move(lambdas)),
                                     rc::gen::set(&NetworkCase::seed, rc::gen::inRange<std::uint64_t>(0, 1u << 30)));
}

rc::Gen<NetworkCase> network_case(const SearchSpace& space) {
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
