// --shrink: the smallest network like the one checked on which a check still fails, searched with
// RapidCheck's shrinking (fuzz.hpp). Apart from cli.cpp so that what links the check without
// RapidCheck (the Python package, whose shared module cannot take Debian's non-PIC librapidcheck.a)
// leaves it out.

#include "cli.hpp"
#include "fuzz.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradcheck::cli {

std::string reproduce_command(const NetworkCase& c, const std::string& rest) {
  std::string activations;
  for (const Activation g : c.architecture.hidden) activations += (activations.empty() ? "" : ",") + std::string(name(g));
  return fmt::format("gradcheck check --arch {}{} --cost {} --examples {} --lambda {:g} --seed {} {}",
                     format_sizes(c.architecture), activations.empty() ? "" : " --activation " + activations,
                     name(c.architecture.output), c.examples, c.lambda, c.seed, rest);
}

std::string smallest_like(const Architecture& arch, Index m, double lambda, const std::string& rest,
                          const std::function<bool(const NetworkCase&)>& passes, bool same_depth) {
  generate::SearchSpace space;
  space.max_layers = static_cast<int>(arch.layers());
  if (same_depth) space.min_layers = space.max_layers;  // e.g. the course's nnCostFunction takes 3 layers only
  space.max_units = *std::max_element(arch.sizes.begin(), arch.sizes.end());
  space.activations = arch.hidden.empty() ? std::vector<Activation>{Activation::sigmoid} : arch.hidden;
  space.outputs = {arch.output};
  space.max_examples = m;
  space.max_lambda_tenths = static_cast<int>(std::ceil(lambda * 10));
  const SearchOutcome found = shrink_search(space, 1, 100, passes);
  if (!found.smallest) return "";
  const NetworkCase& c = *found.smallest;
  return fmt::format("{}, m = {}, λ = {:g}\ncheck it on its own with:\n  {}",
                     describe(c.architecture), c.examples, c.lambda, reproduce_command(c, rest));
}

}  // namespace gradcheck::cli
