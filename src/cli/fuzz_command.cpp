// gradcheck fuzz: an implementation checked on random architectures, a failure shrunk to the
// smallest network that still fails.

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <stdexcept>

namespace gradcheck::cli {

/// Random architectures against an implementation until one fails; then the smallest that fails.
int run_fuzz(const FuzzCommand& f) {
  if (f.min_layers > f.max_layers)
    throw std::invalid_argument(fmt::format("--min-layers {} is above --max-layers {}", f.min_layers, f.max_layers));
  if (f.sample && !f.self) throw std::invalid_argument("--sample applies to --self mode; add --self or drop --sample");
  check_report_paths(f.out);
  promise_reports(with_default_reports(f.out, f.reports));
  const Implementation impl = implementation_of(f.implementation, f.octave);
  if (impl.argv.empty())
    throw std::invalid_argument("no implementation to fuzz; give --octave DIR or the command after --, e.g. "
                                "gradcheck fuzz -- /usr/bin/python3 my_backprop.py");
  FuzzOptions options;
  generate::SearchSpace& space = options.space;
  space.min_layers = f.min_layers;
  space.max_layers = f.max_layers;
  space.max_units = f.max_units;
  space.max_examples = f.max_examples;
  space.max_lambda_tenths = static_cast<int>(std::lround(f.max_lambda * 10));
  space.activations = parse_list<Activation>(f.activations, parse_activation);
  space.outputs = parse_list<Output>(f.costs, parse_output);
  if (!f.octave.empty()) {  // the course's network only
    space.min_layers = space.max_layers = 3;
    space.activations = {Activation::sigmoid};
    space.outputs = {Output::sigmoid_logistic};
  }
  options.cases = f.cases;
  options.seed = f.seed ? *f.seed : std::random_device{}();
  options.judge.self = f.self;
  options.judge.sample_per_layer = f.sample;
  options.judge.check.tolerances = default_tolerances(options.judge.check.difference);
  options.limits = child_limits(f.timeout);
  options.argv = impl.argv;
  options.progress = !f.quiet && isatty(STDERR_FILENO);

  std::string activations;
  for (const Activation g : space.activations) activations += (activations.empty() ? "" : ", ") + std::string(name(g));
  std::string costs;
  for (const Output o : space.outputs) costs += (costs.empty() ? "" : ", ") + std::string(name(o));
  std::cout << fmt::format("gradcheck fuzz: {} cases, {}–{} layers of 1–{} units, g ∈ {{{}}}, cost ∈ {{{}}}, m ≤ {}, "
                           "λ ≤ {:g}; seed {}\n",
                           f.cases, space.min_layers, space.max_layers, space.max_units, activations, costs,
                           space.max_examples, f.max_lambda, options.seed);
  const FuzzOutcome outcome = fuzz(options);
  // A stopped search ends with every remaining case "passing": never report that as a verdict.
  if (stop_requested(&stop_flag))
    throw Interrupted(fmt::format("gradcheck fuzz stopped after {} passing case{}", outcome.passed,
                                  outcome.passed == 1 ? "" : "s"));
  if (!outcome.smallest) {
    const std::string verdict = fmt::format("all {} random networks pass (the same search: --seed {})", outcome.passed,
                                            options.seed);
    std::cout << "PASS: " << verdict << '\n';
    for (const auto& path : pending_reports.paths) {  // a report of this run, never a stale one
      CheckResult result;
      result.caveat = verdict;
      Subject subject;
      subject.title = "gradcheck fuzz: " + verdict;
      subject.command = invocation;
      write_file_atomically(path, formatted(path, result, subject));
    }
    pending_reports.written = true;
    return pass;
  }
  const NetworkCase& smallest = *outcome.smallest;
  std::cout << fmt::format("FAIL after {} passing case{}; shrunk {} time{} to the smallest failing network:\n  {}\n"
                           "check it on its own with:\n  {}\n\n",
                           outcome.passed, outcome.passed == 1 ? "" : "s", outcome.shrinks,
                           outcome.shrinks == 1 ? "" : "s", describe(smallest.architecture) +
                               fmt::format(", m = {}, λ = {:g}, seed {}", smallest.examples, smallest.lambda, smallest.seed),
                           reproduce_command(smallest, (f.self ? "--self " : "") + impl.shown));
  if (!outcome.report) {
    settle_reports("the implementation failed on the smallest failing network: " + outcome.implementation_failure);
    std::cerr << "gradcheck: implementation failed: " << one_line(outcome.implementation_failure) << '\n';
    return implementation_failed;
  }
  Subject subject;
  CheckResult result = outcome.report->result;
  // The name must survive shrinking, or the report says why it changed.
  const auto& first = outcome.first_diagnosis;
  if (first && first->kind == Diagnosis::Kind::recognised && result.diagnosis &&
      result.diagnosis->mistakes != first->mistakes) {
    Diagnosis& d = *result.diagnosis;
    const bool among = d.kind == Diagnosis::Kind::recognised &&
                       std::find(d.mistakes.begin(), d.mistakes.end(), first->mistakes.front()) != d.mistakes.end();
    if (among) {
      subject.hints.push_back(fmt::format("on this smallest network the numbers fit '{}' and also '{}'; the first failing "
                                          "network, before shrinking, told them apart: {}", first->summary, d.summary,
                                          first->summary));
      d.mistakes = first->mistakes;
      d.summary = first->summary;
    } else {
      subject.hints.push_back(fmt::format("before shrinking, the first failing network was diagnosed '{}'; this smallest "
                                          "network shows '{}' instead: shrinking kept the failure, not that pattern",
                                          first->summary, d.summary));
    }
  }
  subject.title = fmt::format("the smallest failing network found by gradcheck fuzz (seed {})", options.seed);
  subject.network = describe(smallest.architecture);
  subject.origin = fmt::format("random Θ, X and y from seed {}", smallest.seed);
  subject.parameters = Layout(smallest.architecture).parameters();
  subject.examples = smallest.examples;
  subject.lambda = smallest.lambda;
  const std::vector<std::string> out = with_default_reports(f.out, f.reports);
  if (f.quiet) {
    for (const auto& path : out) write_file_atomically(path, formatted(path, result, subject));
    return mismatch;
  }
  return report(result, subject, out, false);
}

void add_fuzz(CLI::App& app, FuzzCommand& f) {
  auto* fuzz = app.add_subcommand(
      "fuzz", "Check an implementation on random architectures; shrink a failure to the smallest failing network");
  fuzz->add_option("implementation", f.implementation, "After --: the implementation's command (docs/protocol.md)");
  fuzz->add_option("--octave", f.octave, "Fuzz the course's nnCostFunction.m in this folder (3-layer sigmoid networks)");
  fuzz->add_option("-n,--cases", f.cases, "How many random networks to try")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  fuzz->add_option("-s,--seed", f.seed, "RapidCheck's seed: the same seed tries the same networks (default: random)")
      ->check(seed_number);
  fuzz->add_option("--min-layers", f.min_layers, "Fewest layers L")->check(CLI::Range(2, 20))->capture_default_str();
  fuzz->add_option("--max-layers", f.max_layers, "Most layers L")->check(CLI::Range(2, 20))->capture_default_str();
  fuzz->add_option("--max-units", f.max_units, "Most units per layer")->check(CLI::Range(Index{1}, Index{1000}))->capture_default_str();
  fuzz->add_option("--max-examples", f.max_examples, "Most examples m")->check(CLI::Range(Index{1}, Index{100000}))->capture_default_str();
  fuzz->add_option("--max-lambda", f.max_lambda, "Largest λ")->check(non_negative)->capture_default_str();
  fuzz->add_option("-g,--activation", f.activations, "Hidden activations to draw from (comma-separated)")->capture_default_str();
  fuzz->add_option("-c,--cost", f.costs, "Output/cost pairs to draw from (comma-separated)")->capture_default_str();
  fuzz->add_flag("--self", f.self, "Judge each gradient against central differences of the implementation's own J");
  fuzz->add_option("--sample", f.sample, "Self mode: this many random parameters per layer")->check(positive);
  fuzz->add_option("--timeout", f.timeout, "Seconds the implementation may take per request")
      ->check(positive)
      ->capture_default_str();
  fuzz->add_option("-o,--out", f.out, "Write the report of the smallest failing network here (.json, .xml, .md, .txt)")
      ->allow_extra_args(false);  // one file per -o, so `-o r.xml -- CMD --flag` leaves CMD's arguments to CMD
  fuzz->add_flag("--reports", f.reports, "Write the report in every format under reports/ (gradcheck.txt, .json, .xml, .md, .html)");
  fuzz->add_flag("-q,--quiet", f.quiet, "No progress line and no report, only the summary");
  fuzz->footer(R"(Each case is a random network (sizes, activations, cost, m, λ, Θ, X, y from a seed), checked as
'gradcheck check' would. On the first failure RapidCheck shrinks it: fewer layers and units, m and λ
smaller, until every smaller network passes; gradcheck prints that network and the command that
checks it on its own.

Examples:
  gradcheck fuzz -- /usr/bin/python3 my_backprop.py
  gradcheck fuzz --octave ~/ml/ex4 --cases 50 --max-units 5
  gradcheck fuzz --cost softmax-crossentropy --activation tanh,relu --self -- ./my_net --serve

Exit codes: 0 every case passed, 1 a case failed (the smallest is shown), 2 bad usage,
3 the implementation failed on the smallest case (crashed, hung, answered garbage).)");
}

}  // namespace gradcheck::cli
