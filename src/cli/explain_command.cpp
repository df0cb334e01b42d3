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
  const Instance instance = instance_of(as_check);
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
  if (!e.implementation.empty() || !e.octave.empty()) {
    if (!e.octave.empty()) require_course_network(arch);
    const Implementation impl = implementation_of(e.implementation, e.octave);
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

void add_explain(CLI::App& app, ExplainCommand& e) {
  auto* explain = app.add_subcommand("explain", "Work through backprop step by step, with the numbers, in the course's notation");
  explain->add_option("implementation", e.implementation, "After --: an implementation whose D^(l) to print beside");
  explain->add_option("--octave", e.octave, "Print the D^(l) of the course's nnCostFunction.m in this folder beside");
  auto* problem = explain->add_option("-p,--problem", e.problem, "Work through the problem in this JSON file (at most 100 examples)");
  problem->excludes(explain->add_option("-a,--arch", e.arch, "Layer sizes s_1-…-s_L")->capture_default_str());
  problem->excludes(explain->add_option("-m,--examples", e.examples, "Number of examples m")
                        ->check(CLI::Range(Index{1}, Index{100}))
                        ->capture_default_str());
  problem->excludes(explain->add_option("-l,--lambda", e.lambda, "Regularization strength λ")->check(non_negative)->capture_default_str());
  problem->excludes(explain->add_option("-g,--activation", e.activation, "Hidden activation(s)")->capture_default_str());
  problem->excludes(explain->add_option("-c,--cost", e.cost, "Output/cost pair")
                        ->check(CLI::IsMember({"sigmoid-logistic", "softmax-crossentropy", "identity-quadratic",
                                               "sigmoid-quadratic"}))
                        ->capture_default_str());
  explain->add_option("-s,--seed", e.seed, "Random Θ, X and y from this seed instead of debugInitializeWeights")
      ->check(seed_number);
  explain->add_option("--digits", e.digits, "Significant digits")->check(CLI::Range(2, 17))->capture_default_str();
  explain->footer(R"(Prints a^(1), z^(2), a^(2), …, δ^(L) = a^(L) − y, each δ^(l) with its formula, Δ^(l) after each
example, D^(l) and every shape; beside each δ^(l) the numerical ∂J_t/∂z^(l) (moving z itself),
beside each D^(l) the numerical gradient, and an implementation's D^(l) when one is given.

Examples:
  gradcheck explain                                 the 3-3-3 network of the course's question, m = 2
  gradcheck explain --arch 2-2-1 --examples 1 --lambda 1
  gradcheck explain --octave ~/ml/ex4               your nnCostFunction's D^(l) beside the reference's)");
}

}  // namespace gradcheck::cli
