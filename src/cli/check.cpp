// gradcheck check: the reference backprop, or an implementation through the protocol, against
// finite differences of J; sharded, directional and self modes.

#include "commands.hpp"

#include "gradcheck/numeric/directional.hpp"
#include "gradcheck/check/external.hpp"
#include "gradcheck/report/json_report.hpp"
#include "gradcheck/io/problem_file.hpp"
#include "gradcheck/io/protocol.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iostream>
#include <sstream>
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

namespace {

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
  if (c.planted != Mistake::none)
    subject.notes.push_back(fmt::format("planted mistake: {} (a copy of the reference; the check must fail)",
                                        name(c.planted)));
  return subject;
}

/// Parses "i/N".
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

/// One shard: measure its 1/N of the coordinates and write them as a partial JSON report.
int run_shard(const CheckCommand& c, const Instance& instance, const CheckOptions& options, const Subject& subject) {
  const auto [index, count] = parse_shard(c.shard);
  Shard shard;
  shard.index = index;
  shard.count = count;
  shard.subject = subject;
  shard.architecture = instance.problem.architecture;
  shard.tolerances = options.tolerances;
  shard.worst = options.worst;
  shard.measured = measure_reference(instance.problem, instance.theta, options, c.planted,
                                     shard_coordinates(subject.parameters, index, count));
  if (!shard.measured.complete)
    throw Interrupted(fmt::format("shard {}/{} stopped part-way is not written (merge needs whole shards)", index, count));
  const std::string path = c.out.empty() ? fmt::format("reports/shard-{}-of-{}.json", index, count) : c.out[0];
  if (c.out.empty()) std::filesystem::create_directories("reports");
  write_file_atomically(path, to_json(shard));
  pending_reports.written = true;
  if (!c.quiet)
    std::cout << fmt::format("shard {}/{}: {} of {} parameters measured ({} evaluations), written to {}\n"
                             "join all {} with: gradcheck merge {}\n",
                             index, count, shard.measured.coordinates.size(), subject.parameters,
                             shard.measured.evaluations, path, count,
                             c.out.empty() ? fmt::format("reports/shard-*-of-{}.json", count) : "FILE…");
  return pass;
}

/// What of the implementation's replies was NaN or ±∞ ("" when nothing): its gradient entries, its
/// J, or in self mode the J its numerical gradient came from.
std::string non_finite_replies(const CheckResult& r, bool self) {
  const NotFiniteSides sides = not_finite_sides(r);
  const std::size_t analytic = sides.analytic.size(), numerical = sides.numerical.size();
  std::string what;
  if (analytic > 0)
    what = fmt::format("NaN or ±∞ in {} entr{} of its gradient, first at {} (each listed in the report), in reply to "
                       "request 1 (J and the gradient)", analytic, analytic == 1 ? "y" : "ies",
                       format(sides.analytic.front().where));
  if (self && numerical > 0)
    what += fmt::format("{}its J was NaN or ±∞ near θ: {} numerical entr{} not finite, first at {}", what.empty() ? "" : "; ",
                        numerical, numerical == 1 ? "y is" : "ies are", format(sides.numerical.front().where));
  if (r.cost && !std::isfinite(r.cost->implementation))
    what += fmt::format("{}J = {}{} in reply to request 1", what.empty() ? "" : "; ", r.cost->implementation,
                        std::isnan(r.cost->implementation)
                            ? " (often log(0): an output h of exactly 0 or 1 inside log(h) or log(1 - h), or 0·log(0))"
                            : "");
  return what;
}

/// "Octave running your nnCostFunction.m" in place of the driver's command line, and the driver's
/// own frames and folders out of a message meant for a student.
std::string for_student(std::string message, const std::string& command, const Implementation& impl) {
  if (message.rfind(command + ": ", 0) == 0) message = "Octave (running your nnCostFunction.m): " + message.substr(command.size() + 2);
  const auto request = message.find(" in reply to request ");
  if (request != std::string::npos) {
    const auto close = message.find(')', request);
    message.erase(request, close == std::string::npos ? std::string::npos : close + 1 - request);
  }
  const auto tail = message.find("; its stderr ends: ");
  if (tail != std::string::npos) message.erase(tail);
  if (impl.driver) {
    const std::string folder = impl.driver->path().string();
    for (auto at = message.find(folder); at != std::string::npos; at = message.find(folder))
      message.erase(at, folder.size());
  }
  return message;
}

/// Octave's stderr as a student should see it: its warnings and errors without the driver's
/// frames ("called from gradcheck_serve>…") or Octave's noise at exit.
std::string student_stderr(const std::string& tail) {
  std::string kept, line;
  std::istringstream lines(tail);
  while (std::getline(lines, line)) {
    if (line.find("gradcheck_serve") != std::string::npos || line.find("execution_exception") != std::string::npos ||
        line.find("called from") != std::string::npos || line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    kept += (kept.empty() ? "" : " | ") + line.substr(line.find_first_not_of(" \t"));
  }
  return kept.size() > 300 ? kept.substr(kept.size() - 300) : kept;
}

/// What the implementation printed, as hints: how much, the first lines, and for Octave's echo of
/// an assignment without a semicolon ("g = …"), which variables.
std::vector<std::string> printed_hints(const PrintedOutput& printed, bool octave) {
  if (printed.bytes == 0) return {};
  std::vector<std::string> lines;
  std::istringstream in(printed.text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<std::string> echoed;
  std::string first;
  int shown = 0;
  for (const auto& line : lines) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (shown < 3) {
      const std::string text = line.substr(start, 60);
      first += fmt::format("{}'{}'", shown ? ", " : "", terminal_safe(line.substr(start), 60));
      ++shown;
    }
    // Octave shows `name = value` (or `name =` above a matrix) for an assignment without a semicolon.
    std::size_t end = start;
    while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_')) ++end;
    if (end > start && !std::isdigit(static_cast<unsigned char>(line[start])) && line.compare(end, 2, " =") == 0 &&
        (end + 2 == line.size() || line[end + 2] == ' ')) {
      const std::string name = line.substr(start, end - start);
      if (std::find(echoed.begin(), echoed.end(), name) == echoed.end() && echoed.size() < 6) echoed.push_back(name);
    }
  }
  std::vector<std::string> hints;
  hints.push_back(fmt::format("your code printed {} line{} ({} bytes) while it was checked; gradcheck keeps that apart "
                              "from the answers and never judges it; the first: {}",
                              lines.size(), lines.size() == 1 ? "" : "s", printed.bytes, first));
  if (octave && !echoed.empty()) {
    std::string names;
    for (const auto& n : echoed) names += (names.empty() ? "" : ", ") + n;
    hints.push_back(fmt::format("lines like '{} = …' are Octave showing an assignment that has no semicolon ({}): "
                                "end those lines with ';' to keep your output quiet", echoed.front(), names));
  }
  return hints;
}

/// An implementation that is not ours, through the protocol. Without --lambda it is checked at
/// λ = 0 and at λ = 3 (the course's checkNNGradients and checkNNGradients(3)), so a regularization
/// mistake cannot pass unseen; both are reported and either failing fails the run.
int run_external(const CheckCommand& c, const Instance& instance, CheckOptions options) {
  if (c.planted != Mistake::none || c.complex_step || c.directional || !c.shard.empty())
    throw std::invalid_argument("--plant, --complex-step, --directional and --shard check the reference; "
                                "drop them to check an implementation");
  if (c.sample && !c.self)
    throw std::invalid_argument("--sample applies to --self mode; add --self or drop --sample");
  if (!c.octave.empty()) require_course_network(instance.problem.architecture);
  const bool octave = !c.octave.empty();
  const Implementation impl = implementation_of(c.implementation, c.octave);
  Child child(impl.argv, child_limits(c.timeout, c.max_reply_mib));
  ExternalOptions external;
  external.check = options;
  external.self = c.self;
  external.sample_per_layer = c.sample;
  external.sample_seed = c.seed.value_or(0);

  // The λ to check: the one given (on the command line or in a problem file), else 0 and 3.
  std::vector<double> lambdas{instance.problem.lambda};
  if (!c.lambda_given && c.problem.empty()) lambdas.push_back(regularized_lambda);
  const bool regularization_exercised =
      std::any_of(lambdas.begin(), lambdas.end(), [](double lambda) { return lambda > 0; });

  std::vector<ReportPart> parts;
  PrintedOutput printed;
  std::string failed;  // the one line for stderr when the implementation failed
  for (const double lambda : lambdas) {
    Instance at = instance;
    at.problem.lambda = lambda;
    const std::string who = octave ? "nnCostFunction.m in " + c.octave : child.command();
    ReportPart part;
    part.subject = subject_of(c, at, "");
    try {
      const ExternalResult outcome = check_external(child, at.problem, at.theta, external, &printed);
      part.result = outcome.result;
      part.subject.title = fmt::format("{} against {} ({} mode, {} request{})", who,
                                       c.self ? "central differences of its own J" : "gradcheck's reference",
                                       c.self ? "self" : "reference", outcome.requests, outcome.requests == 1 ? "" : "s");
      if (c.shrink && !outcome.result.pass && outcome.result.complete) {
        ExternalOptions quiet = external;
        quiet.check.difference.progress = nullptr;
        part.subject.smallest = smallest_like(
            at.problem.architecture, at.problem.examples(), at.problem.lambda, (c.self ? "--self " : "") + impl.shown,
            [&](const NetworkCase& n) {
              if (stop_requested(&stop_flag)) return true;  // ends the search at once
              const Instance i = n.instance();
              try {
                const CheckResult r = check_external(child, i.problem, i.theta, quiet).result;
                return r.pass || !r.complete;
              } catch (const Interrupted&) {
                return true;
              }
            },
            octave);
      }
      const std::string non_finite = non_finite_replies(outcome.result, c.self);
      if (!non_finite.empty()) {  // reported entry by entry; still the implementation's failure
        const std::string tail = one_line(child.stderr_tail());
        failed = octave ? for_student("nnCostFunction returned " + non_finite, child.command(), impl)
                        : child.command() + ": " + non_finite + (tail.empty() ? "" : "; its stderr ends: " + tail);
        part.result.pass = false;
      }
    } catch (const ImplementationError& e) {
      part.subject.title = fmt::format("{} against {}", who, c.self ? "central differences of its own J" : "gradcheck's reference");
      const auto* reply = dynamic_cast<const ErrorReply*>(&e);
      std::string line = octave && reply ? reply->message
                         : octave        ? for_student(e.what(), child.command(), impl)
                                         : std::string(e.what());
      if (octave && line.find("no reply within") != std::string::npos)
        line += " (does your code call input, or wait for something? nnCostFunction must return on its own)";
      if (octave) {
        const std::string tail = student_stderr(child.stderr_tail());
        if (!tail.empty() && !reply) line += "; Octave said: " + tail;
      }
      line = terminal_safe(line);
      part.result.failure = (octave ? "your nnCostFunction failed: " : "the implementation failed: ") + line;
      part.result.pass = false;
      part.result.complete = false;
      part.result.tolerances = options.tolerances;
      part.subject.notes.push_back("detail: " + terminal_safe(e.what(), 4000));
      failed = line;
    }
    const bool stopped = !part.result.complete;
    parts.push_back(std::move(part));
    if (!failed.empty() || stopped || stop_requested(&stop_flag)) break;
  }
  const std::vector<std::string> hints = printed_hints(printed, octave);
  parts.back().subject.hints = hints;
  if (!regularization_exercised)
    for (auto& part : parts)
      part.result.caveat = "λ = 0 only: regularization not exercised; drop --lambda to check λ = 0 and λ = 3";
  const int code = report(parts, with_default_reports(c.out, c.reports), c.quiet);
  if (failed.empty()) return code;
  std::cerr << (octave ? "gradcheck: your nnCostFunction failed: " : "gradcheck: implementation failed: ")
            << one_line(failed) << '\n';
  return implementation_failed;
}

/// The fast mode: a few directional derivatives and a Taylor test per layer.
int run_directional(const CheckCommand& c, const Instance& instance, const Tolerances& tolerances) {
  const Problem& problem = instance.problem;
  DirectionalOptions options;
  options.directions = c.directions;
  options.step = c.options.difference.step;
  options.seed = c.seed.value_or(0);
  options.tolerances = tolerances;
  const Weights<double> D = c.planted == Mistake::none ? backprop(problem, instance.theta).D
                                                       : backprop_with(c.planted, problem, instance.theta).D;
  const DirectionalResult result = check_directional(reference_cost(problem), unroll(instance.theta), unroll(D),
                                                     Layout(problem.architecture), options);
  if (c.quiet)
    std::cout << (result.pass ? "PASS\n" : "FAIL\n");
  else
    std::cout << format_text(result, options,
                             subject_of(c, instance, "reference backprop along random directions (fast mode)"));
  return result.pass ? pass : mismatch;
}

}  // namespace

int run_check(const CheckCommand& c) {
  if (!c.shard.empty() && c.out.size() > 1)
    throw std::invalid_argument("a shard writes one partial JSON report; expected at most one --out FILE.json");
  check_report_paths(c.out, !c.shard.empty());
  if (!c.shard.empty())
    promise_reports({c.out.empty() ? fmt::format("reports/shard-{}-of-{}.json", parse_shard(c.shard).first,
                                                 parse_shard(c.shard).second)
                                   : c.out[0]},
                    true);
  else
    promise_reports(with_default_reports(c.out, c.reports));
  const Instance instance = instance_of(c);
  const Architecture& arch = instance.problem.architecture;
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
  }
  Progress progress(!c.quiet && isatty(STDERR_FILENO));
  options.difference.progress = [&progress](Index done, Index total) { progress(done, total); };
  options.difference.stop = &stop_flag;
  if (!c.complex_step && c.shard.empty()) {
    std::string untrustworthy = cannot_judge(options.difference, unroll(instance.theta));
    if (untrustworthy.empty())
      untrustworthy = cannot_judge(options.difference, cost(instance.problem, instance.theta), options.tolerances);
    if (!untrustworthy.empty()) {  // reported like any verdict, never a pass
      ReportPart part;
      part.subject = subject_of(c, instance, "the numerical gradient at these options");
      part.result.cannot_judge = untrustworthy;
      part.result.pass = false;
      part.result.tolerances = options.tolerances;
      const int code = report({part}, with_default_reports(c.out, c.reports), c.quiet);
      std::cerr << "gradcheck: cannot judge: " << untrustworthy << '\n';
      return code;
    }
  }
  if (!c.octave.empty() || !c.implementation.empty()) return run_external(c, instance, options);
  if (c.self || c.sample)
    throw std::invalid_argument("--self and --sample apply to an implementation; give one after -- or with --octave");
  if (c.directional) {
    if (!c.shard.empty() || !c.out.empty())
      throw std::invalid_argument("--directional writes no JSON report and cannot be sharded; drop --shard and --out");
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
