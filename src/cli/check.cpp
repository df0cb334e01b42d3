// gradcheck check: the reference backprop against finite differences of J, whole, sharded or in
// the fast mode; an implementation goes to check_implementation.cpp.

#include "commands.hpp"

#include "gradcheck/numeric/directional.hpp"
#include "gradcheck/report/json_report.hpp"
#include "gradcheck/io/problem_file.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <charconv>
#include <iostream>
#include <stdexcept>

namespace gradcheck::cli {

Architecture architecture_of(const CheckCommand& c) {
  Architecture arch = make_architecture(c.arch, Activation::sigmoid, parse_output(c.cost));
  arch.hidden = parse_activations(c.activation, arch.layers() - 2);
  check_size(arch.sizes, c.examples, fmt::format("--arch {} with --examples {}", c.arch, c.examples));
  return arch;
}

Instance instance_of(const CheckCommand& c) {
  if (c.problem.empty()) {
    const Architecture arch = architecture_of(c);
    return c.seed ? random_instance(arch, c.examples, c.lambda, *c.seed) : course_instance(arch, c.examples, c.lambda);
  }
  ProblemFile file = read_problem_file(c.problem);
  Instance instance{std::move(file.problem), {}, {}};
  const Architecture& arch = instance.problem.architecture;
  if (file.theta && c.seed)
    throw std::invalid_argument(fmt::format("--seed {} has nothing to draw: {} gives Θ; drop --seed or \"theta\"",
                                            *c.seed, c.problem));
  instance.theta = file.theta ? std::move(*file.theta)
                   : c.seed   ? random_instance(arch, 1, 0, *c.seed).theta
                              : course_instance(arch, 1, 0).theta;
  instance.origin = fmt::format("X, y and λ from {}; Θ {}", c.problem,
                                file.theta ? "from the file"
                                : c.seed   ? fmt::format("random from seed {}", *c.seed)
                                           : std::string("from debugInitializeWeights"));
  return instance;
}

Subject subject_of(const CheckCommand& c, const Instance& instance, std::string title) {
  const Problem& problem = instance.problem;
  const Architecture& arch = problem.architecture;
  Subject subject;
  subject.title = std::move(title);
  subject.network = describe(arch);
  subject.origin = instance.origin;
  subject.parameters = Layout(arch).parameters();
  subject.examples = problem.examples();
  subject.lambda = problem.lambda;
  subject.command = invocation;
  subject.run = this_run();
  if (c.planted != Mistake::none)
    subject.notes.push_back(fmt::format("planted mistake: {} (a copy of the reference; the check must fail)",
                                        name(c.planted)));
  return subject;
}

std::pair<Index, Index> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Index i = 0, n = 0;
  const auto parse = [](std::string_view field, Index& value) {
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    return !field.empty() && error == std::errc{} && end == field.data() + field.size();
  };
  if (slash == std::string::npos || !parse(std::string_view(text).substr(0, slash), i) ||
      !parse(std::string_view(text).substr(slash + 1), n) || n < 1 || i < 1 || i > n)
    throw std::invalid_argument(fmt::format("--shard '{}' is not i/N with 1 ≤ i ≤ N; expected e.g. 2/4", text));
  return {i, n};
}

DirectionalOptions directional_options(const CheckCommand& c, const Tolerances& tolerances) {
  DirectionalOptions options;
  options.directions = c.directions;
  options.step = c.options.difference.step;
  options.seed = c.seed.value_or(0);
  options.tolerances = tolerances;
  return options;
}

int write_shard(const CheckCommand& c, const Shard& shard) {
  const Index index = shard.index, count = shard.count;
  const std::string path = c.out.empty() ? fmt::format("reports/shard-{}-of-{}.json", index, count) : c.out[0];
  if (c.out.empty()) make_reports_folder();
  const ReportLock lock({path});
  write_file_atomically(path, to_json(shard));
  pending_reports.written = true;
  if (!c.quiet)
    std::cout << fmt::format("shard {}/{}: {} of {} parameters measured ({} evaluations), written to {}\n"
                             "join all {} with: gradcheck merge {}\n",
                             index, count, shard.measured.coordinates.size(), shard.subject.parameters,
                             shard.measured.evaluations, path, count,
                             c.out.empty() ? fmt::format("reports/shard-*-of-{}.json", count) : "FILE…");
  return pass;
}

namespace {

/// One shard: measure its 1/N of the coordinates and write them as a partial JSON report.
int run_shard(const CheckCommand& c, const Instance& instance, const CheckOptions& options, const Subject& subject) {
  const auto [index, count] = parse_shard(c.shard);
  require_mergeable(subject.parameters, count);
  Shard shard;
  shard.index = index;
  shard.count = count;
  shard.subject = subject;
  shard.architecture = instance.problem.architecture;
  shard.problem = fingerprint(instance.problem, instance.theta);
  shard.tolerances = options.tolerances;
  shard.worst = options.worst;
  shard.measured = measure_reference(instance.problem, instance.theta, options, c.planted,
                                     shard_coordinates(subject.parameters, index, count));
  if (!shard.measured.complete)
    throw Interrupted(fmt::format("shard {}/{} stopped part-way is not written (merge needs whole shards)", index, count));
  return write_shard(c, shard);
}

/// The fast mode: a few directional derivatives and a Taylor test per layer.
int run_directional(const CheckCommand& c, const Instance& instance, const Tolerances& tolerances) {
  const Problem& problem = instance.problem;
  const DirectionalOptions options = directional_options(c, tolerances);
  const Weights<double> D = c.planted == Mistake::none ? backprop(problem, instance.theta).D
                                                       : backprop_with(c.planted, problem, instance.theta).D;
  const DirectionalResult result = check_directional(reference_cost(problem), unroll(instance.theta), unroll(D),
                                                     Layout(problem.architecture), options);
  const Subject subject = subject_of(c, instance, "reference backprop along random directions (fast mode)");
  const Layout layout(problem.architecture);
  std::vector<std::pair<Index, Index>> shapes;
  for (Index l = 1; l <= layout.matrices(); ++l) shapes.emplace_back(layout.rows(l), layout.cols(l));
  const std::vector<ReportPart> parts{{as_check(result, shapes, options.tolerances), subject}};
  return report(parts, with_default_reports(c.out, c.reports), c.quiet, format_text(result, options, subject));
}

}  // namespace

Channel& open_channel(const CheckCommand& c, Implementation& impl, std::unique_ptr<Child>& started) {
  if (c.channel) return *c.channel;
  ChildLimits limits = child_limits(c.timeout, c.max_reply_mib);
  confine(impl, limits, c.sandbox);
  started = std::make_unique<Child>(impl.argv, limits);
  return *started;
}

int run_check(const CheckCommand& c) {
  if (c.model) return run_model(c);
  if (c.jitter)  // the reference and protocol modes judge kinks by the reference's exact D
    throw std::invalid_argument("--jitter applies to --model; a check against the reference judges entries at a ReLU "
                                "kink by its exact D");
  // Promised before any path is checked: one -o refused (an unwritable folder, an unknown format)
  // leaves error reports in the others, never the last run's.
  if (!c.shard.empty())
    promise_reports(c.out.empty() ? std::vector<std::string>{fmt::format("reports/shard-{}-of-{}.json",
                                                                         parse_shard(c.shard).first, parse_shard(c.shard).second)}
                                  : c.out,
                    true, c.gradescope, c.points);
  else
    promise_reports(with_default_reports(c.out, c.reports), false, c.gradescope, c.points);
  if (!c.shard.empty() && c.out.size() > 1)
    throw std::invalid_argument("a shard writes one partial JSON report; expected at most one --out FILE.json");
  check_report_paths(c.out, !c.shard.empty());
  start_reports();
  const Instance instance = instance_of(c);
  const Architecture& arch = instance.problem.architecture;
  if (c.planted == Mistake::derivative_confused &&
      std::none_of(arch.hidden.begin(), arch.hidden.end(), [](Activation g) {
        return g == Activation::leaky_relu || g == Activation::softplus || g == Activation::elu;
      }))
    throw std::invalid_argument("--plant derivative-confused changes nothing without a leaky-relu, softplus or elu hidden "
                                "layer; add one with --activation");
  if (c.planted == Mistake::squared_error_factor_dropped && arch.output != Output::identity_mse)
    throw std::invalid_argument("--plant squared-error-factor-dropped changes nothing but with --cost identity-mse");
  CheckOptions options = c.options;
  options.threads = useful_threads(Layout(arch).parameters(), options.threads);
  if (c.complex_step) options.complex_step = ComplexStep{};
  // Tolerances follow from the accuracy of the method, unless given.
  // Tolerances follow from the method, within caps no option may pass (ToleranceCaps).
  if (c.complex_step) {
    const Tolerances defaults = complex_step_tolerances();
    options.tolerances = sound_tolerances(FiniteDifference{}, c.entry_tolerance, c.norm_tolerance, options.tolerances.floor);
    options.tolerances.entry = c.entry_tolerance.value_or(defaults.entry);
    options.tolerances.norm = c.norm_tolerance.value_or(defaults.norm);
  } else {
    options.tolerances = sound_tolerances(options.difference, c.entry_tolerance, c.norm_tolerance, options.tolerances.floor);
    require_resolvable(options.difference, options.tolerances);
  }
  Progress progress(!c.quiet && isatty(STDERR_FILENO));
  options.difference.progress = [&progress](Index done, Index total) { progress(done, total); };
  options.difference.stop = &stop_flag;
  if (!c.complex_step && c.shard.empty()) {
    const std::string untrustworthy = cannot_judge(options.difference, unroll(instance.theta));
    if (!untrustworthy.empty()) {  // reported like any verdict, never a pass
      ReportPart part;
      part.subject = subject_of(c, instance, "the numerical gradient at these options");
      part.result.cannot_judge = untrustworthy;
      part.result.pass = false;
      part.result.tolerances = options.tolerances;
      return report({part}, with_default_reports(c.out, c.reports), c.quiet);  // says it on stderr too
    }
  }
  const bool conventions_given = !c.layout.empty() || !c.regularization.empty() || !c.reduction.empty();
  if (conventions_given && (c.implementation.empty() || !c.octave.empty() || !c.python_ex4.empty()))
    throw std::invalid_argument("--layout, --regularization and --reduction describe an implementation given after --; the "
                                "course's homework and the reference use the course's conventions");
  if (!c.octave.empty() || !c.python_ex4.empty() || !c.implementation.empty()) return run_external(c, instance, options);
  if (!c.gradescope.empty())
    throw std::invalid_argument("--gradescope scores a submission; give it with --octave DIR or --python-ex4 PATH");
  if (c.self || c.sample)
    throw std::invalid_argument("--self and --sample apply to an implementation; give one after --, with --octave or with --python-ex4");
  if (c.directional) {
    if (!c.shard.empty()) throw std::invalid_argument("--directional cannot be sharded; drop --shard");
    return run_directional(c, instance, options.tolerances);
  }
  const Subject subject = subject_of(c, instance, "reference backprop against finite differences");
  if (!c.shard.empty()) return run_shard(c, instance, options, subject);
  const CheckResult result = check_reference(instance.problem, instance.theta, options, c.planted);
  Subject with_smallest = subject;
  if (c.shrink && !result.pass && result.complete && c.planted != Mistake::none) {
    CheckOptions quiet = options;
    quiet.difference.progress = nullptr;
    with_smallest.smallest = smallest_like(arch, instance.problem.examples(), instance.problem.lambda, fmt::format("--plant {}", key(c.planted)),
                                           [&](const NetworkCase& n) {
                                             if (stop_requested(&stop_flag)) return true;  // ends the search
                                             const Instance i = n.instance();
                                             const CheckResult r = check_reference(i.problem, i.theta, quiet, c.planted);
                                             return r.pass || !r.complete;
                                           });
  }
  return report(result, with_smallest, with_default_reports(c.out, c.reports), c.quiet);
}

}  // namespace gradcheck::cli
