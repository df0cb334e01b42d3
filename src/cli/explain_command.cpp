// gradcheck explain: the course's algorithm worked through with the numbers.

#include "commands.hpp"

#include "gradcheck/diagnosis/explain.hpp"
#include "gradcheck/io/protocol.hpp"

#include <fmt/format.h>

#include <iostream>
#include <stdexcept>

namespace gradcheck::cli {

/// The course's algorithm worked with numbers, optionally beside an implementation's gradient.
int run_explain(const ExplainCommand& e) {
  CheckCommand as_check;
  as_check.arch = e.arch;
  as_check.examples = e.examples;
  as_check.lambda = e.lambda;
  as_check.activation = e.activation;
  as_check.cost = e.cost;
  as_check.seed = e.seed;
  as_check.problem = e.problem;
  Instance instance = instance_of(as_check);
  const Architecture& arch = instance.problem.architecture;
  // explain prints every Θ^(l), δ and D^(l): refuse what no one could read, before the work.
  constexpr Index printable_parameters = 20'000;
  if (Layout(arch).parameters() > printable_parameters)
    throw std::invalid_argument(fmt::format("{} has P = {} parameters; explain prints every one, so expected at most {} "
                                            "(use gradcheck check for larger networks)",
                                            describe(arch), Layout(arch).parameters(), printable_parameters));
  if (instance.problem.examples() > 100)
    throw std::invalid_argument(fmt::format("{} has m = {} examples; explain prints every one, so expected at most 100",
                                            e.problem, instance.problem.examples()));
  ExplainOptions options;
  options.digits = e.digits;
  const Homework homework = homework_of(e.octave, e.python_ex4);
  if (!e.implementation.empty() || homework.edition != Edition::none) {
    require_course_network(arch, homework);
    instance.problem.unrolling = unrolling_of(homework.edition);
    const Implementation impl = implementation_of(e.implementation, homework);
    Child child(impl.argv, child_limits(60));
    const Reply reply = parse_reply(child.exchange(make_request(1, instance.problem, instance.theta, Want::both),
                                                   "request 1 (J and the gradient)"),
                                    1, arch, Want::both);
    options.implementation = reply.gradient;
    options.implementation_J = reply.J;
    options.implementation_name = "implementation (" + impl.shown + ")";
  }
  std::cout << explain(instance.problem, instance.theta, options);
  return pass;
}

}  // namespace gradcheck::cli
