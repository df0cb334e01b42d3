// gradcheck check on an implementation (-- CMD or --octave DIR): at λ = 0 and λ = 3 unless --lambda
// is given, against the reference or in self mode, with what went wrong said for a student.

#include "commands.hpp"
#include "student_messages.hpp"

#include "gradcheck/check/external.hpp"
#include "gradcheck/io/protocol.hpp"
#include "gradcheck/report/json_report.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace gradcheck::cli {

namespace {

/// What of the implementation's replies was NaN or ±∞ ("" when nothing): its gradient entries, its
/// J, or in self mode the J its numerical gradient came from.
std::string non_finite_replies(const CheckResult& r, bool self, const Names& names) {
  const NotFiniteSides sides = not_finite_sides(r);
  const std::size_t analytic = sides.analytic.size(), numerical = sides.numerical.size();
  std::string what;
  if (analytic > 0)
    what = fmt::format("NaN or ±∞ in {} entr{} of its gradient, first at {} (each listed in the report), in reply to "
                       "request 1 (J and the gradient)", analytic, analytic == 1 ? "y" : "ies",
                       names.entry(sides.analytic.front().where));
  if (self && numerical > 0)
    what += fmt::format("{}its J was NaN or ±∞ near θ: {} numerical entr{} not finite, first at {}", what.empty() ? "" : "; ",
                        numerical, numerical == 1 ? "y is" : "ies are", names.entry(sides.numerical.front().where));
  if (r.cost && !std::isfinite(r.cost->implementation))
    what += fmt::format("{}J = {}{} in reply to request 1", what.empty() ? "" : "; ", r.cost->implementation,
                        std::isnan(r.cost->implementation)
                            ? " (often log(0): an output h of exactly 0 or 1 inside log(h) or log(1 - h), or 0·log(0))"
                            : "");
  return what;
}

/// The implementation's conventions and how the reference maps onto them, for the report's header.
std::string conventions_note(const Problem& problem) {
  const Conventions& c = problem.conventions;
  const std::string layout = c.layout == WeightLayout::theta      ? "Θ^(l) = [b W] (the course's)"
                             : c.layout == WeightLayout::w_out_in ? "W^(l) outputs × inputs and b^(l) apart: Θ^(l) = [b^(l) W^(l)]"
                                                                  : "W^(l) inputs × outputs and b^(l) apart: Θ^(l) = [b^(l) W^(l)ᵀ]";
  const std::string regularization = c.regularization == Regularization::course ? "(λ/2m) Σ Θ² off the bias"
                                     : c.regularization == Regularization::l2   ? "(λ/2) Σ W²"
                                                                                : "no regularization";
  return fmt::format("conventions {}; {}; J {} over the examples; so J = {}·J_course(λ' = {:g}) and the reference is "
                     "the course's, mapped", layout, regularization, c.reduction == Reduction::sum ? "summed" : "averaged",
                     cost_scale(problem) == 1 ? std::string("1") : fmt::format("{:g}", cost_scale(problem)), course_lambda(problem));
}

/// How the implementation's own code names its weights: Octave's Theta1(i,j) for the course's
/// Octave (and an implementation Octave runs), numpy's Theta1[i, j] for the Python edition and
/// other 0-based languages, W1[…] and b1[…] with W and b apart; the course's Θ^(l)_ij on request.
Names names_of(const CheckCommand& c, const Implementation& impl, WeightLayout layout) {
  if (c.notation == "course") return Names();
  const bool octave = impl.edition == Edition::octave ||
                      (!impl.argv.empty() && std::filesystem::path(impl.argv.front()).filename().string().rfind("octave", 0) == 0);
  return Names::of_layout(layout, octave ? Names::Style::octave : Names::Style::numpy);
}

/// checkNNGradients' 3-5-3 network with m = 5 repeats its sizes (s_1 = s_L, s_2 = m): a homework
/// that reads input_layer_size for num_labels, or hidden_layer_size for m, passes it. A homework
/// is also checked on the same kind of network with every size and m apart (3-5-3, m = 5 gives
/// 4-5-3, m = 6), made the same way; none when they are apart already or a problem file gives them.
std::optional<Instance> sizes_apart(const CheckCommand& c, const Instance& instance, double lambda) {
  Architecture arch = instance.problem.architecture;
  std::vector<Index> taken{arch.sizes.back()};  // num_labels stays: the labels 1 … K are the problem's
  const auto apart = [&](Index size) {
    while (std::find(taken.begin(), taken.end(), size) != taken.end()) ++size;
    taken.push_back(size);
    return size;
  };
  for (std::size_t l = 0; l + 1 < arch.sizes.size(); ++l) arch.sizes[l] = apart(arch.sizes[l]);
  const Index m = apart(instance.problem.examples());
  if (arch.sizes == instance.problem.architecture.sizes && m == instance.problem.examples()) return std::nullopt;
  check_size(arch.sizes, m, "the network with its sizes apart");
  Instance out = c.seed ? random_instance(arch, m, lambda, *c.seed) : course_instance(arch, m, lambda);
  // No example of the last class there, as in a minibatch: a homework that counts the classes from
  // y (y.max() + 1, np.unique(y)) rather than taking num_labels passed the course's problems and
  // failed only grade's random networks, with no reason given.
  const Index K = arch.sizes.back();
  Problem& p = out.problem;
  if (K >= 3 && (p.architecture.output == Output::sigmoid_logistic || p.architecture.output == Output::softmax_cross_entropy)) {
    Eigen::VectorXi y(p.examples());
    for (Index t = 0; t < y.size(); ++t) {
      Index label = 0;
      p.Y.row(t).maxCoeff(&label);
      y(t) = static_cast<int>(label < K - 1 ? label + 1 : 1 + t % (K - 1));
    }
    p.Y = one_hot(y, K);
    out.origin += fmt::format("; no example of class {} (labels 1 … {} only, as in a minibatch)", K, K - 1);
  }
  return out;
}

}  // namespace

/// An implementation that is not ours, through the protocol. Without --lambda it is checked at
/// λ = 0 and at λ = 3 (the course's checkNNGradients and checkNNGradients(3)), so a regularization
/// mistake cannot pass unseen; both are reported and either failing fails the run.
int run_external(const CheckCommand& c, const Instance& instance, CheckOptions options) {
  if (c.planted != Mistake::none || c.complex_step)
    throw std::invalid_argument("--plant and --complex-step check the reference; drop them to check an implementation");
  if (c.sample && !c.self)
    throw std::invalid_argument("--sample applies to --self mode; add --self or drop --sample");
  const bool sharded = !c.shard.empty();
  if (c.directional && (sharded || c.shrink || !c.gradescope.empty()))
    throw std::invalid_argument("--directional cannot be sharded, shrunk or scored; drop --shard, --shrink and --gradescope");
  if (sharded && (c.sample || c.shrink || !c.gradescope.empty()))
    throw std::invalid_argument("--shard measures every parameter, split N ways, into a partial report; drop --sample, "
                                "--shrink and --gradescope");
  if (sharded && !c.lambda_given && c.problem.empty())
    throw std::invalid_argument("--shard checks one λ; give --lambda (e.g. --lambda 3, which exercises regularization "
                                "as well, or 3m with --reduction sum; run the N shards again with --lambda 0 for the "
                                "unregularized gradient)");
  const Homework homework = homework_of(c.octave, c.python_ex4);
  if (homework.edition != Edition::none && !instance.problem.conventions.course())
    throw std::invalid_argument("the course's nnCostFunction uses the course's conventions; drop \"conventions\" from "
                                + c.problem + " to check it");
  require_course_network(instance.problem.architecture, homework);
  std::vector<double> points;
  if (!c.gradescope.empty()) {
    if (c.self) throw std::invalid_argument("--gradescope scores J and the gradient against the reference; drop --self");
    points = gradescope_points(c.points);
  }
  // For Gradescope a submission that cannot be run (no nnCostFunction.m in it) still gets its
  // results.json, saying so, before the usual one-line error.
  Implementation impl = [&] {
    if (c.channel) {  // answering in this process: named by the caller, nothing to start
      Implementation named;
      named.edition = homework.edition;
      named.shown = named.student = homework.edition == Edition::none ? c.implementation.front() : homework.path;
      return named;
    }
    try {
      return implementation_of(c.implementation, homework);
    } catch (const std::invalid_argument& e) {
      if (!c.gradescope.empty()) write_file_atomically(c.gradescope, gradescope_results({}, points, e.what()));
      throw;
    }
  }();
  const bool student = impl.edition != Edition::none;  // a student's nnCostFunction, in their terms
  std::unique_ptr<Child> started;
  Channel& child = open_channel(c, impl, started);
  // Request 1 in base64 (a third of the text, exact; X alone is 41.7 MB of JSON at ex4's size) to
  // a child known to read it: our Python ex4 driver, or a command the user says reads it.
  if (c.encoding == "base64" || (c.encoding.empty() && impl.edition == Edition::python))
    child.peer = {protocol_version, true};
  ExternalOptions external;
  external.check = options;
  if (!c.self) external.check.tolerances = for_an_implementation(options.tolerances, c.entry_tolerance, c.norm_tolerance);
  external.self = c.self;
  external.sample_per_layer = c.sample;
  external.sample_seed = c.seed.value_or(0);
  external.protocol = c.protocol;
  external.name_settings = !student;

  // The λ to check: the one given (on the command line or in a problem file), else 0 and 3.
  std::vector<double> lambdas{instance.problem.lambda};
  // The course's λ/(2m) Σ Θ² on a J summed over the examples weighs m times less against the
  // data term than on the course's mean: λ = 3m weighs as checkNNGradients(3) does (at 3, a
  // regularized bias, λb/m, hid below the tolerance at m = 5,000).
  const bool summed = !c.reduction.empty() && parse_reduction(c.reduction) == Reduction::sum;
  const bool course_penalty = c.regularization.empty() || parse_regularization(c.regularization) == Regularization::course;
  const double m = static_cast<double>(instance.problem.examples());
  // An implementation without regularization has nothing a λ > 0 would exercise: λ = 0 alone.
  const bool unregularized = !c.regularization.empty() && parse_regularization(c.regularization) == Regularization::none;
  if (!c.lambda_given && c.problem.empty() && !unregularized)
    lambdas.push_back(regularized_lambda * (summed && course_penalty ? m : 1));
  // A λ given that weighs less than the course's λ = 1 does there: said beside the verdict.
  const bool weakly_regularized = summed && course_penalty && m > 1 && instance.problem.lambda > 0 &&
                                  *std::max_element(lambdas.begin(), lambdas.end()) < m;
  const bool regularization_exercised =
      std::any_of(lambdas.begin(), lambdas.end(), [](double lambda) { return lambda > 0; });

  // A flag and the problem file's "conventions" that say different things: neither silently wins.
  const Conventions& stated = instance.problem.conventions;
  const auto contradicts = [&](const char* flag, const std::string& given, const std::string& in_file, const std::string& fallback) {
    if (!given.empty() && !c.problem.empty() && in_file != fallback && given != in_file)
      throw std::invalid_argument(fmt::format("{} {} contradicts {}'s conventions ({}); give it in one place",
                                              flag, given, c.problem, in_file));
  };
  contradicts("--layout", c.layout, name(stated.layout), name(WeightLayout::theta));
  contradicts("--regularization", c.regularization, name(stated.regularization), name(Regularization::course));
  contradicts("--reduction", c.reduction, name(stated.reduction), name(Reduction::mean));

  // The checks to run: the problem at each λ, and a homework's network with its sizes apart.
  std::vector<Instance> plan;
  for (const double lambda : lambdas) {
    plan.push_back(instance);
    plan.back().problem.lambda = lambda;
  }
  const std::size_t apart_at = plan.size();
  if (homework.edition != Edition::none && c.problem.empty())
    if (auto apart = sizes_apart(c, instance, lambdas.back())) plan.push_back(std::move(*apart));

  std::vector<ReportPart> parts;
  std::vector<std::string> directional_texts;  // the fast mode's own text report of each part
  PrintedOutput printed;
  std::string failed;  // the one line for stderr when the implementation failed
  for (Instance& at : plan) {
    const bool apart = &at == plan.data() + apart_at;
    // The sizes-apart check only looks further: a verdict already against it stands alone.
    if (apart && std::any_of(parts.begin(), parts.end(), [](const ReportPart& p) { return !p.result.pass; })) break;
    if (homework.edition != Edition::none && c.problem.empty()) as_class_labels(at);
    at.problem.unrolling = unrolling_of(impl.edition);
    if (!c.layout.empty()) at.problem.conventions.layout = parse_layout(c.layout);
    if (!c.regularization.empty()) at.problem.conventions.regularization = parse_regularization(c.regularization);
    if (!c.reduction.empty()) at.problem.conventions.reduction = parse_reduction(c.reduction);
    const std::string who = student ? impl.student : child.command();
    const char* const against = c.self ? "central differences of its own J" : "gradcheck's reference";
    ReportPart part;
    part.subject = subject_of(c, at, "");
    part.subject.names = external.names = names_of(c, impl, at.problem.conventions.layout);
    if (!at.problem.conventions.course())
      part.subject.notes.push_back(conventions_note(at.problem));
    if (apart)
      part.subject.notes.push_back(fmt::format("sizes apart: {}, m = {} repeats a size, so a homework that reads one size "
                                               "for another (num_labels for input_layer_size, …) would pass it; here "
                                               "none repeats", format_sizes(instance.problem.architecture),
                                               instance.problem.examples()));
    const Index K = at.problem.architecture.sizes.back();
    const bool class_missing = apart && K >= 3 && (at.problem.Y.col(K - 1).array() == 0).all();
    if (class_missing)
      part.subject.notes.push_back(fmt::format("no example of class {} here, as in a minibatch: code that counts the "
                                               "classes from y (y.max() + 1, np.unique(y)) rather than num_labels fails "
                                               "here", K));
    try {
      if (c.directional) {
        const DirectionalOptions directional = directional_options(c, external.check.tolerances);
        std::size_t requests = 0;
        const DirectionalResult r = check_external_directional(child, at.problem, at.theta, external, directional, &printed, requests);
        part.subject.title = fmt::format("{} along random directions against {} (fast mode, {} mode, {} request{})", who,
                                         c.self ? "central differences of its own J" : "gradcheck's reference J",
                                         c.self ? "self" : "reference", requests, requests == 1 ? "" : "s");
        directional_texts.push_back(format_text(r, directional, part.subject));
        const Layout layout(at.problem.architecture);
        std::vector<std::pair<Index, Index>> shapes;
        for (Index l = 1; l <= layout.matrices(); ++l) shapes.emplace_back(layout.rows(l), layout.cols(l));
        part.result = as_check(r, shapes, directional.tolerances);
        parts.push_back(std::move(part));
        continue;
      }
      if (sharded) {
        const Index P = Layout(at.problem.architecture).parameters();
        require_mergeable(P, parse_shard(c.shard).second);
        external.coordinates = shard_coordinates(P, parse_shard(c.shard).first, parse_shard(c.shard).second);
      }
      const ExternalResult outcome = check_external(child, at.problem, at.theta, external, &printed);
      if (sharded) {
        // A shard holds measurements that merge re-judges; a side effect is none, and left out it
        // would let the merged check PASS: this shard fails instead.
        if (!outcome.result.side_effects.empty())
          throw ImplementationError(fmt::format("{} (shard {} is not written: run the check without --shard to see the "
                                                "rest of its report)", outcome.result.side_effects.front(), c.shard));
        if (!outcome.measured.complete)
          throw Interrupted(fmt::format("shard {} stopped part-way is not written (merge needs whole shards)", c.shard));
        Shard shard;
        std::tie(shard.index, shard.count) = parse_shard(c.shard);
        shard.subject = part.subject;
        shard.subject.title = fmt::format("{} against {} ({} mode)", who,
                                          against,
                                          c.self ? "self" : "reference");
        shard.architecture = at.problem.architecture;
        shard.problem = fingerprint(at.problem, at.theta);
        shard.tolerances = outcome.result.tolerances;  // the floor J's rounding allows, if raised
        shard.worst = options.worst;
        shard.measured = outcome.measured;
        if (!outcome.unjudgeable.empty()) shard.unjudgeable = outcome.unjudgeable;
        shard.cost = outcome.result.cost;
        return write_shard(c, shard);
      }
      part.result = outcome.result;
      part.subject.title = fmt::format("{} against {} ({} mode, {} request{})", who,
                                       against,
                                       c.self ? "self" : "reference", outcome.requests, outcome.requests == 1 ? "" : "s");
      if (c.shrink && !outcome.result.pass && outcome.result.complete) {
        ExternalOptions quiet = external;
        quiet.check.difference.progress = nullptr;
        part.subject.smallest = smallest_like(
            at.problem.architecture, at.problem.examples(), at.problem.lambda, (c.self ? "--self " : "") + impl.shown,
            [&](const NetworkCase& n) {
              if (stop_requested(&stop_flag)) return true;  // ends the search at once
              Instance i = n.instance();
              if (homework.edition != Edition::none) as_class_labels(i);
              try {
                const CheckResult r = check_external(child, i.problem, i.theta, quiet).result;
                return r.pass || !r.complete;
              } catch (const Interrupted&) {
                return true;
              }
            },
            student);
      }
      const std::string non_finite = non_finite_replies(outcome.result, c.self, part.subject.names);
      if (!non_finite.empty()) {  // reported entry by entry; still the implementation's failure
        const std::string tail = one_line(child.stderr_tail());
        failed = student ? for_student("nnCostFunction returned " + non_finite, child.command(), impl)
                        : child.command() + ": " + non_finite + (tail.empty() ? "" : "; its stderr ends: " + tail);
        part.result.pass = false;
        part.result.failure = (student ? "your nnCostFunction failed: " : "the implementation failed: ") + terminal_safe(failed);
        if (!not_finite_sides(outcome.result).analytic.empty()) part.result.gradient_pass = false;
        // Not J's noise (a NaN among the noise probe's points made σ = ∞), which no float64 or
        // dropout advice mends: the entries say what was not finite.
        part.result.cannot_judge.reset();
      }
    } catch (const Interrupted&) {
      // Stopped waiting for a reply: a λ already judged is what was measured, and the report keeps
      // it beside this one, marked incomplete. Nothing judged yet, a shard or the fast mode: the
      // interruption alone is the report.
      if (sharded || c.directional || parts.empty()) throw;
      part.subject.title = fmt::format("{} against {}", who, against);
      part.result.pass = false;
      part.result.complete = false;
      part.result.tolerances = external.check.tolerances;
    } catch (const ImplementationError& e) {
      // No partial report: merge then says this shard is missing; a student reads it in their terms.
      if (sharded && student) throw ImplementationError(for_student(e.what(), child.command(), impl));
      if (sharded) throw;
      part.subject.title = fmt::format("{} against {}", who, against);
      const auto* reply = dynamic_cast<const ErrorReply*>(&e);
      std::string line = student && reply ? reply->message
                         : student        ? for_student(e.what(), child.command(), impl)
                                          : std::string(e.what());
      if (student && line.find("no reply within") != std::string::npos)
        line += " (does your code call input, loop forever, or wait for something? nnCostFunction must return on its own)";
      if (student) {
        const std::string tail = student_stderr(child.stderr_tail());
        if (!tail.empty() && !reply)
          line += (impl.edition == Edition::octave ? "; Octave said: " : "; Python said: ") + tail;
      }
      if (class_missing)  // the earlier problems passed: this one differs in its sizes and its labels
        line += fmt::format(" (this network has its sizes apart and no example of class {}: is a size read from another "
                            "argument, or are the classes counted from y rather than taken from num_labels?)", K);
      line = terminal_safe(line);
      part.result.failure = (student ? "your nnCostFunction failed: " : "the implementation failed: ") + line;
      part.result.pass = false;
      part.result.complete = false;
      part.result.tolerances = external.check.tolerances;
      part.subject.notes.push_back("detail: " + terminal_safe(e.what(), 4000));
      failed = line;
    }
    const bool stopped = !part.result.complete;
    parts.push_back(std::move(part));
    if (!failed.empty() || stopped || stop_requested(&stop_flag)) break;
  }
  if (c.directional) {
    // The fast mode's own text (its Taylor columns); every other format as every check writes it.
    for (std::size_t k = directional_texts.size(); k < parts.size(); ++k)
      directional_texts.push_back(format_text(parts[k].result, parts[k].subject));
    const int code = report(parts, with_default_reports(c.out, c.reports), c.quiet, text_of_parts(parts, directional_texts));
    if (!failed.empty())
      std::cerr << (student ? "gradcheck: your nnCostFunction failed: " : "gradcheck: implementation failed: ")
                << one_line(failed) << '\n';
    return code;
  }
  const std::vector<std::string> hints = printed_hints(printed, impl.edition == Edition::octave);
  parts.back().subject.hints = hints;
  if (weakly_regularized)
    for (auto& part : parts)
      part.result.caveat = fmt::format("λ = {:g} on a J summed over m = {:g} examples weighs the course's λ/(2m) Σ Θ² as "
                                       "λ = {:.2g} does on the course's mean: regularization barely exercised; give "
                                       "--lambda {:g} (3m) to check it as checkNNGradients(3) does",
                                       instance.problem.lambda, m, instance.problem.lambda / m, regularized_lambda * m);
  if (!regularization_exercised && !unregularized)
    for (auto& part : parts)
      part.result.caveat = c.problem.empty()
                               ? "λ = 0 only: regularization not exercised; drop --lambda to check λ = 0 and λ = 3"
                               : "λ = 0 only: regularization not exercised; the problem file's \"lambda\" is 0 "
                                 "(give it 3 to check regularization)";
  const ReportLock lock(promised_files());  // the reports and results.json of one run, in one hold
  const int code = report(parts, with_default_reports(c.out, c.reports), c.quiet);
  if (!c.gradescope.empty()) write_file_atomically(c.gradescope, gradescope_results(parts, points, failed));
  if (!failed.empty())
    std::cerr << (student ? "gradcheck: your nnCostFunction failed: " : "gradcheck: implementation failed: ")
              << one_line(failed) << '\n';
  return code;
}

}  // namespace gradcheck::cli
