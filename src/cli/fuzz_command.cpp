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
  promise_reports(with_default_reports(f.out, f.reports));  // before the paths are checked, as check does
  check_report_paths(f.out);
  start_reports();
  Implementation impl = implementation_of(f.implementation, homework_of(f.octave, f.python_ex4));
  if (impl.argv.empty())
    throw std::invalid_argument("no implementation to fuzz; give --octave DIR, --python-ex4 PATH or the command after --, e.g. "
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
  if (impl.edition != Edition::none) {  // the course's network only
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
  confine(impl, options.limits, f.sandbox);
  options.argv = impl.argv;
  options.unrolling = unrolling_of(impl.edition);
  options.class_labels = impl.edition != Edition::none;
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
    const ReportLock lock(pending_reports.paths);
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
  subject.run = this_run();
  const std::vector<std::string> out = with_default_reports(f.out, f.reports);
  if (f.quiet) {
    const ReportLock lock(out);
    for (const auto& path : out) write_file_atomically(path, formatted(path, result, subject));
    return mismatch;
  }
  return report(result, subject, out, false);
}

}  // namespace gradcheck::cli
