// The command line: every subcommand's options with their checks and help, parsed by CLI11.
// The only file that includes CLI11, a header-only library that costs seconds to compile in
// every file including it; what each subcommand does lives in the other files of cli/.

#include "commands.hpp"

#include "gradcheck/diagnosis/mutants.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>
#include <thread>
#include <string_view>

namespace gradcheck::cli {

namespace {

/// The whole of `text` read as a number; NaN when it is not one.
double number_in(const std::string& text) {
  std::size_t used = 0;
  try {
    const double x = std::stod(text, &used);
    if (used == text.size()) return x;
  } catch (const std::exception&) {
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// A finite number, at least zero or above zero: CLI11's own checks print DBL_MAX in full.
CLI::Validator finite_number(bool zero_allowed) {
  return CLI::Validator(
      [zero_allowed](std::string& text) -> std::string {
        const double x = number_in(text);
        const bool ok = std::isfinite(x) && (zero_allowed ? x >= 0 : x > 0);
        return ok ? "" : fmt::format("'{}' is not a finite number {} 0", text, zero_allowed ? "≥" : ">");
      },
      zero_allowed ? "NUMBER ≥ 0" : "NUMBER > 0");
}

const CLI::Validator non_negative = finite_number(true), positive = finite_number(false);

/// Seconds a child may take per request: from a millisecond (the clock's resolution in the
/// messages) to a million seconds (11.6 days), which the deadline arithmetic holds exactly.
const CLI::Validator seconds(
    [](std::string& text) -> std::string {
      const double x = number_in(text);  // NaN fails both comparisons
      return x >= 1e-3 && x <= 1e6
                 ? ""
                 : fmt::format("'{}' is not a number of seconds from 0.001 to 1e6 (11.6 days)", text);
    },
    "SECONDS");

/// A student's time under grade: a second to a day. CLI::Range lets NaN through (every comparison
/// with NaN is false), which made a whole class TIMEOUT.
const CLI::Validator grading_seconds(
    [](std::string& text) -> std::string {
      const double x = number_in(text);
      return x >= 1 && x <= 86400 ? "" : fmt::format("'{}' is not a number of seconds from 1 to 86400 (a day)", text);
    },
    "SECONDS");

const CLI::Validator seed_number(
    [](std::string& text) -> std::string {
      std::uint64_t value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      const bool ok = !text.empty() && error == std::errc{} && end == text.data() + text.size();
      return ok ? "" : fmt::format("'{}' is not a whole number from 0 to 18446744073709551615", text);
    },
    "SEED");

/// An output/cost pair's name (or the binary-crossentropy alias), with the accepted ones on error.
const CLI::Validator output_pair(
    [](std::string& text) -> std::string {
      try {
        parse_output(text);
        return "";
      } catch (const std::invalid_argument& e) {
        return e.what();
      }
    },
    "COST");
/// Where an implementation nobody vouches for runs (check and fuzz; grade passes them on).
void add_sandbox(CLI::App* command, sandbox::Sandbox& s) {
  command->add_option("--sandbox", s.folder,
                      "Run the implementation in bubblewrap: the system read-only, no network, its own PIDs and /tmp, "
                      "and a size-capped copy of this folder (its own) the only place it may write")
      ->group("Sandbox");
  command->add_option("--sandbox-user", s.user, "With --sandbox, as root: run it as this unprivileged user")->group("Sandbox");
  command->add_flag("--sandbox-no-namespaces{false}", s.namespaces,
                    "With --sandbox-user: no bubblewrap (where the kernel forbids namespaces, e.g. in Docker)")
      ->group("Sandbox");
  command->add_option("--sandbox-memory", s.memory_mib, "MiB of memory for all its processes together")
      ->check(CLI::Range(std::uint64_t{16}, std::uint64_t{1} << 20))->capture_default_str()->group("Sandbox");
  command->add_option("--sandbox-processes", s.processes, "Processes it may have at once")
      ->check(CLI::Range(4u, 100000u))->capture_default_str()->group("Sandbox");
  command->add_option("--sandbox-scratch", s.scratch_mib, "MiB it may write, in its folder and in /tmp each")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20))->capture_default_str()->group("Sandbox");
}

void add_check(CLI::App& app, CheckCommand& c) {
  auto* check = app.add_subcommand("check", "Check the reference backprop's D^(l) against finite differences of J");
  add_sandbox(check, c.sandbox);
  auto* problem = check->add_option("-p,--problem", c.problem,
                                    "Check on the problem in this JSON file: sizes, X, labels or Y, λ and "
                                    "optionally Θ (README: problem files); replaces --arch, --examples, --lambda, "
                                    "--activation and --cost");
  problem->excludes(check->add_option("-a,--arch", c.arch, "Layer sizes s_1-…-s_L, input first")->capture_default_str());
  problem->excludes(check->add_option("-m,--examples", c.examples, "Number of examples m")
                        ->check(CLI::Range(Index{1}, Index{10'000'000}))
                        ->capture_default_str());
  problem->excludes(check->add_option("-l,--lambda", c.lambda,
                                      "Regularization strength λ (an implementation is checked at λ = 0 and λ = 3 "
                                      "when it is not given)")
                        ->check(non_negative)
                        ->each([&c](const std::string&) { c.lambda_given = true; })
                        ->capture_default_str());
  problem->excludes(check->add_option("-g,--activation", c.activation,
                                      "Hidden activation g: sigmoid, tanh, relu, identity, leaky-relu, softplus or "
                                      "elu; one for all hidden layers or a comma-separated list, one per hidden layer")
                        ->capture_default_str());
  problem->excludes(check->add_option("-c,--cost", c.cost, "Output/cost pair: " + output_choices())
                        ->check(output_pair)
                        ->capture_default_str());
  check->add_option("-s,--seed", c.seed,
                    "Draw random Θ, X and y from this seed instead of the course's debugInitializeWeights")
      ->check(seed_number);
  check->add_option("-e,--epsilon", c.options.difference.step, "Finite-difference step ε")
      ->check(positive)
      ->capture_default_str();
  check->add_option("--order", c.options.difference.order,
                    "Order of the stencil: 2 (the course's), 4 or 6 for central; 4 or 6 for richardson")
      ->check(CLI::IsMember({2, 4, 6}))
      ->capture_default_str();
  check->add_option_function<std::string>(
           "--stencil",
           [&c](const std::string& name) {
             c.options.difference.scheme = name == "richardson" ? Scheme::richardson : Scheme::central;
           },
           "Stencil: central, or richardson (extrapolation of central differences over ε, ε/2, ε/4)")
      ->check(CLI::IsMember({"central", "richardson"}))
      ->default_str("central");
  check->add_flag("--scaled-step", c.options.difference.scaled,
                  "Use ε = ε_mach^(1/(order+1)) · max(1, |θ_k|) for each parameter instead of --epsilon");
  check->add_flag("--complex-step", c.complex_step,
                  "Compare against complex-step derivatives Im J(θ + ih e_k)/h, h = 1e-20: exact to rounding, "
                  "one complex forward pass per parameter (small and medium networks)");
  check->add_flag("--directional", c.directional,
                  "Fast mode: per layer, vᵀD along a few random directions v and a Taylor-remainder test, instead "
                  "of every entry (catches less; see README)");
  check->add_option("--directions", c.directions, "Random directions per layer in --directional mode")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  check->add_option("--tolerance", c.entry_tolerance,
                    "Largest relative error that passes, per entry (default: from the method; 1e-4 for the "
                    "course's central differences)")
      ->check(positive);
  check->add_option("--norm-tolerance", c.norm_tolerance,
                    "Largest ‖n − a‖/‖n + a‖ that passes (default: from the method; 1e-5 for the course's)")
      ->check(positive);
  check->add_option("--floor", c.options.tolerances.floor,
                    "Relative errors divide by at least this, so near-zero entries are judged absolutely")
      ->check(positive)
      ->capture_default_str();
  check->add_option("--worst", c.options.worst, "How many worst entries to list")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000}))
      ->capture_default_str();
  std::vector<std::string> plantable;
  for (const auto& entry : mistake_names()) plantable.emplace_back(entry.key);
  check->add_option_function<std::string>(
           "--plant",
           [&c](const std::string& key) {
             for (const auto& entry : mistake_names())
               if (entry.key == key) c.planted = entry.mistake;
           },
           "Check a copy of the reference with this classic mistake planted, to see what a wrong backprop "
           "looks like")
      ->check(CLI::IsMember(plantable));
  check->add_option("-j,--threads", c.options.threads, "Threads for the finite differences (results do not depend on it)")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  check->add_option("implementation", c.implementation,
                    "After --: the command of an implementation to check instead of the reference, run without a "
                    "shell, answering the protocol of docs/protocol.md on stdin/stdout");
  check->add_option("--octave", c.octave,
                    "Check the course's nnCostFunction.m in this folder (your ex4), unchanged, with Octave "
                    "(3-layer sigmoid networks with the logistic cost, labels 1..K)");
  check->add_option("--gradescope", c.gradescope,
                    "Also write Gradescope's results.json here: four tests (cost, regularized cost, gradient, regularized "
                    "gradient) scored by --points, written whatever happens");
  check->add_option("--points", c.points, "Gradescope's points: cost,regularized cost,gradient,regularized gradient")
      ->capture_default_str();
  check->add_option("--python-ex4", c.python_ex4,
                    "Check the nnCostFunction of the course's Python edition, unchanged, in this .py file or notebook "
                    "(.ipynb: its imports and definitions only), or their folder (nn_params unrolled by ravel(), "
                    "labels 0..K-1)");
  check->add_option("--layout", c.layout,
                    "The implementation's weights: theta (the course's Θ = [b W]), w-out-in (W outputs × inputs and b, "
                    "z = W a + b) or w-in-out (W inputs × outputs and b, z = a W + b)")
      ->check(CLI::IsMember({"theta", "w-out-in", "w-in-out"}));
  check->add_option("--notation", c.notation,
                    "How reports name layers and entries: yours (as your code does: Theta1(3,2) in Octave, "
                    "Theta1[2, 1] in numpy, W1[0, 2] and b1[2] with W and b apart, fc1.weight[3, 0] in a model) or "
                    "course (Θ^(l)_ij, with Octave's name beside it)")
      ->check(CLI::IsMember({"yours", "course"}));
  check->add_option("--regularization", c.regularization,
                    "The implementation's regularization: course ((λ/2m) Σ Θ² off the bias), l2 ((λ/2) Σ W²) or none")
      ->check(CLI::IsMember({"course", "l2", "none"}));
  check->add_option("--reduction", c.reduction, "The implementation's J over the examples: mean (the course's) or sum")
      ->check(CLI::IsMember({"mean", "sum"}));
  check->add_flag("--model", c.model,
                  "The implementation after -- declares its parameters as named tensors of any shape (protocol "
                  "version 2); check its gradient against central differences of its own J, per tensor");
  check->add_flag("--jitter", c.jitter,
                  "With --model: check at θ moved off the corners training leaves it on (ReLU units stuck at z = 0): "
                  "each entry moved by u · 1% of its tensor's root mean square, u uniform in [−1, 1] from --seed; every "
                  "report says so");
  check->add_flag("--self", c.self,
                  "Self mode: judge the implementation's gradient against central differences of its own J "
                  "(2 requests per parameter), for costs gradcheck does not know");
  check->add_option("--sample", c.sample, "Self mode: check this many random parameters per layer (from --seed)")
      ->check(positive);
  check->add_option("--timeout", c.timeout, "Seconds an implementation may take per request")
      ->check(seconds)
      ->capture_default_str();
  check->add_option("--max-reply", c.max_reply_mib, "Largest reply line an implementation may write, in MiB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16384}))
      ->capture_default_str();
  check->add_option("--protocol", c.protocol,
                    "The newest protocol version to speak with an implementation: 2 sends the problem once to one "
                    "that says it speaks 2; 1 sends it whole in every request")
      ->check(CLI::Range(1, protocol_version))
      ->capture_default_str();
  check->add_option("--encoding", c.encoding,
                    "How request 1's arrays (X, Y, θ) are written: base64 for an implementation that reads it from "
                    "its first request on (the Python and Node.js adapters do; docs/protocol.md \"Compact numbers\"), json "
                    "(JSON numbers until a reply says it reads base64); default: base64 for --python-ex4, else json")
      ->check(CLI::IsMember({"json", "base64"}));
  check->add_option("--shard", c.shard,
                    "Measure only shard i of N (parameters k ≡ i − 1 mod N) and write a partial JSON report; "
                    "'gradcheck merge' joins the N parts into the report of the whole check");
  check->add_option("-o,--out", c.out,
                    "Write a report here; the format follows the extension: .json, .xml (JUnit), .md (Markdown), .html, "
                    ".txt; repeat for several (with --shard: one .json, default reports/shard-i-of-N.json)")
      ->allow_extra_args(false);  // one file per -o, so `-o r.xml -- CMD --flag` leaves CMD's arguments to CMD
  check->add_flag("--shrink", c.shrink,
                  "On failure, search networks like this one (its activations and cost, no larger) for the smallest "
                  "that still fails, and add it to the report");
  check->add_flag("--reports", c.reports, "Write the report in every format under reports/ (gradcheck.txt, .json, .xml, .md, .html)");
  check->add_flag("-q,--quiet", c.quiet, "Print only the verdict line, no progress");
  check->footer(R"(Examples:
  gradcheck check                                 the course's checkNNGradients: 3-5-3, m = 5, λ = 0
  gradcheck check --lambda 3                      the same with regularization, as ex4 runs it
  gradcheck check --arch 4-8-8-3 --activation tanh,relu --cost softmax-crossentropy --seed 7
  gradcheck check --arch 2-3-1 --cost identity-quadratic --order 4 --epsilon 1e-3
  gradcheck check --stencil richardson --order 6 --scaled-step   a far more accurate numerical gradient
  gradcheck check --complex-step                  derivatives exact to rounding; tolerances tighten to match
  gradcheck check --arch 784-256-128-10 --seed 1 --directional     seconds instead of minutes
  gradcheck check --arch 784-256-128-10 --seed 1 --shard 2/4       one of four parts, e.g. in a CI matrix
  gradcheck check -o reports/check.json -o reports/junit.xml -o reports/comment.md   reports for CI
  gradcheck check --plant derivative-dropped      what the report says when g′(z) is missing from δ
  gradcheck check --octave ~/ml/ex4               your nnCostFunction.m on checkNNGradients' problem
  gradcheck check --python-ex4 exercise4.ipynb    the Python edition's nnCostFunction in your notebook
  gradcheck check --octave ~/ml/ex4 --lambda 3 --arch 400-25-10 --examples 50 --seed 1
  gradcheck check -- /usr/bin/python3 my_backprop.py             check your implementation (docs/protocol.md)
  gradcheck check --self --sample 20 -- ./my_net --serve          its gradient against its own J, 20 per layer
  gradcheck check --problem ex4.json --octave ~/ml/ex4            your data, λ and Θ from a JSON file (README)

Exit codes: 0 pass, 1 gradient mismatch (or J differs from the reference), 2 bad usage or bad input,
3 the implementation failed (could not start, crashed, hung past --timeout, answered something that
is not a reply, or NaN or ±∞, then after the report), 4 internal error, 130/143 interrupted by SIGINT/SIGTERM (the report of what was
measured is written, marked incomplete).)");
}

void add_merge(CLI::App& app, MergeCommand& m) {
  auto* merge = app.add_subcommand("merge", "Join the partial reports of 'gradcheck check --shard i/N' into one report");
  merge->add_option("files", m.files, "The N shard reports (any order)");  // run_merge says what is wrong with them
  merge->add_option("-o,--out", m.out,
                    "Write the report of the whole check here; the format follows the extension: .json, .xml "
                    "(JUnit), .md (Markdown), .html, .txt; repeat for several")
      ->allow_extra_args(false);  // one file per -o
  merge->add_flag("--reports", m.reports, "Write the report in every format under reports/ (gradcheck.txt, .json, .xml, .md, .html)");
  merge->add_flag("-q,--quiet", m.quiet, "Print only the verdict line");
  merge->footer(R"(The merged report is identical to the one an unsharded run prints.

Examples:
  for i in 1 2 3 4; do gradcheck check --arch 784-256-128-10 --seed 1 --shard $i/4 & done; wait
  gradcheck merge reports/shard-*-of-4.json --out reports/check.json

Exit codes: 0 pass, 1 gradient mismatch, 2 bad usage or shard files that are not the N parts of one check.)");
}

void add_fuzz(CLI::App& app, FuzzCommand& f) {
  auto* fuzz = app.add_subcommand(
      "fuzz", "Check an implementation on random architectures; shrink a failure to the smallest failing network");
  add_sandbox(fuzz, f.sandbox);
  fuzz->add_option("implementation", f.implementation, "After --: the implementation's command (docs/protocol.md)");
  fuzz->add_option("--octave", f.octave, "Fuzz the course's nnCostFunction.m in this folder (3-layer sigmoid networks)");
  fuzz->add_option("--python-ex4", f.python_ex4, "Fuzz the Python edition's nnCostFunction in this .py file, notebook or folder");
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
      ->check(seconds)
      ->capture_default_str();
  fuzz->add_option("-o,--out", f.out, "Write the report of the smallest failing network here (.json, .xml, .md, .html, .txt)")
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

void add_catalog(CLI::App& app, CatalogCommand& k) {
  auto* catalog = app.add_subcommand("catalog", "Measure the bug catalog: caught, named, smallest failing network, false alarms");
  catalog->add_option("--networks", k.options.networks, "Random networks each compiled-in mistake is tried on")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  catalog->add_option("--false-alarm-networks", k.options.false_alarm_networks,
                      "Random networks per activation and output/cost pair checked for false alarms")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  catalog->add_option("-s,--seed", k.options.seed, "Seed of the random networks")->capture_default_str()
      ->check(seed_number);
  catalog->add_option("--fixtures", k.fixtures, "The fixtures folder with the Python and Octave implementations")
      ->capture_default_str();
  catalog->add_flag("-q,--quiet", k.quiet, "No progress line");
  catalog->footer(R"(Prints Markdown tables: every mistake of the catalog (the --plant names) with the random networks
where it changes D or J, how many of those the check caught and the diagnosis named, and the smallest
network that still shows it; the external Python and Octave fixtures; the reference's false alarms
per hidden activation and output/cost pair.

Exit codes: 0 when every mistake is caught, at least 90% are named and there is no false alarm; 1 otherwise.)");
}

void add_explain(CLI::App& app, ExplainCommand& e) {
  auto* explain = app.add_subcommand("explain", "Work through backprop step by step, with the numbers, in the course's notation");
  explain->add_option("implementation", e.implementation, "After --: an implementation whose D^(l) to print beside");
  explain->add_option("--octave", e.octave, "Print the D^(l) of the course's nnCostFunction.m in this folder beside");
  explain->add_option("--python-ex4", e.python_ex4, "Print the D^(l) of the Python edition's nnCostFunction in this file beside");
  auto* problem = explain->add_option("-p,--problem", e.problem, "Work through the problem in this JSON file (at most 100 examples)");
  problem->excludes(explain->add_option("-a,--arch", e.arch, "Layer sizes s_1-…-s_L")->capture_default_str());
  problem->excludes(explain->add_option("-m,--examples", e.examples, "Number of examples m")
                        ->check(CLI::Range(Index{1}, Index{100}))
                        ->capture_default_str());
  problem->excludes(explain->add_option("-l,--lambda", e.lambda, "Regularization strength λ")->check(non_negative)->capture_default_str());
  problem->excludes(explain->add_option("-g,--activation", e.activation, "Hidden activation(s)")->capture_default_str());
  problem->excludes(explain->add_option("-c,--cost", e.cost, "Output/cost pair: " + output_choices())
                        ->check(output_pair)
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

void add_grade(CLI::App& app, GradeCommand& g) {
  auto* grade = app.add_subcommand("grade", "Check a whole class: one subfolder or .zip/.tar archive per student; a class "
                                            "table, a feedback file per student, Gradescope results");
  grade->add_option("submissions", g.submissions, "The folder of submissions (with --gradescope: the folder of one)")->required();
  grade->add_option("-o,--out", g.out, "Where the class table, the students' feedback and the cache go")->capture_default_str();
  grade->add_option("-j,--jobs", g.jobs, "Students checked at once")->check(CLI::Range(1u, 256u))->capture_default_str();
  grade->add_option("--time-limit", g.time_limit, "Seconds per student, every check included")
      ->check(grading_seconds)->capture_default_str();
  grade->add_option("--memory", g.memory_mib, "MiB of memory for all of a student's processes together")
      ->check(CLI::Range(256u, 1u << 20))
      ->capture_default_str();
  grade->add_option("--processes", g.processes, "Processes a student's code may have at once")
      ->check(CLI::Range(4u, 100000u))
      ->capture_default_str();
  grade->add_option("--scratch", g.scratch_mib, "MiB a student's code may write (its copy, and /tmp)")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  grade->add_option("--sandbox", g.sandbox,
                    "How the students' code is confined: auto (bubblewrap, else, as root, an unprivileged user), "
                    "bubblewrap, or user (as root: the unprivileged users alone, as where namespaces are forbidden)")
      ->check(CLI::IsMember({"auto", "bubblewrap", "user"}))
      ->capture_default_str();
  grade->add_flag("--no-sandbox", g.no_sandbox,
                  "Run the students' code as yourself, unconfined (every report says so): only for code you trust");
  grade->add_option("--points", g.points, "Points: cost,regularized cost,gradient,regularized gradient")->capture_default_str();
  grade->add_option("--fuzz-cases", g.fuzz_cases, "Random networks tried on a submission right so far (0: none)")
      ->check(CLI::Range(0, 1000))->capture_default_str();
  grade->add_option("--gradescope", g.gradescope,
                    "Grade one submission, the folder given, as Gradescope's autograder: its results.json here (written "
                    "whatever happens), the same checks, limits and points as the class table");
  grade->add_option("--max-submission-mib", g.max_submission_mib,
                    "The most a submission may hold in MiB, unpacked (a larger one is an ERROR, refused unread)")
      ->check(CLI::Range(1u, 1u << 20))->capture_default_str();
  grade->add_option("--max-submission-files", g.max_submission_files, "The most files and folders a submission may hold")
      ->check(CLI::Range(1u, 10000000u))->capture_default_str();
  grade->add_flag("--no-cache", g.no_cache, "Check every submission again, changed or not");
  grade->add_flag("-q,--quiet", g.quiet, "No progress on stderr");
  grade->footer(R"(
Each submission is copied (or unpacked) into a scratch folder and checked there, in its own process
group, under --time-limit and --memory (an archive is listed first, and one that would unpack past
--max-submission-mib or --max-submission-files, or holds a member or link reaching outside it, is
refused; no link out of a folder is followed): the course's check at λ = 0 and λ = 3 with the smallest
failing network, then ex4's size 400-25-10 and --fuzz-cases random networks. Octave (nnCostFunction.m)
and the Python edition (a notebook or .py file defining nnCostFunction) are told apart by the files.
Exit 0 when grading completed, whatever the students' verdicts.

Examples:
  gradcheck grade ~/ml/ex4-submissions --out ~/ml/ex4-grades
  gradcheck grade --gradescope /autograder/results/results.json --out /autograder/grades /autograder/submission
)");
}

}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, CommandLine& commands) {
  CLI::App app{"gradcheck: tells whether a backpropagation implementation is right, and if not, where."};
  app.set_version_flag("--version", "gradcheck 0.1.0");
  app.require_subcommand(1);
  app.footer("Run 'gradcheck check --help', 'gradcheck fuzz --help' or 'gradcheck merge --help' for their options.\n"
             "With no options, 'gradcheck check' reproduces the course's checkNNGradients.");
  commands.check.options.threads = std::max(1u, std::thread::hardware_concurrency());
  commands.grade.jobs = commands.check.options.threads;
  add_check(app, commands.check);
  add_merge(app, commands.merge);
  add_fuzz(app, commands.fuzz);
  add_catalog(app, commands.catalog);
  add_explain(app, commands.explain);
  add_grade(app, commands.grade);

  const auto known = [&](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->get_name() == name) return true;
    return false;
  };
  // A refused command line settles its report files; a path that must never be written is named first.
  const auto refuse = [&](const std::string& why, const std::string& line) {
    const std::string path_refused = settle_refused(argc, argv, why);
    std::cerr << "gradcheck: error: " << (path_refused.empty() ? line : one_line(path_refused)) << '\n';
    return bad_usage;
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1]))  // CLI11 would say one is "required"
    return refuse(fmt::format("unknown subcommand '{}'", argv[1]),
                  "unknown subcommand '" + one_line(argv[1]) +
                      "'; expected check, merge, fuzz, catalog, explain or grade (see 'gradcheck --help')");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return refuse(e.what(), one_line(e.what()) + " (see 'gradcheck --help')");
  }

  // An empty value is a mistake (an unset shell variable, say), never a request for the default:
  // `--problem ""` must not quietly check the reference instead.
  for (const CLI::App* sub : app.get_subcommands())
    for (const CLI::Option* option : sub->get_options()) {
      const auto& given = option->results();
      const bool command = option->get_name() == "implementation";
      for (std::size_t k = 0; k < (command ? std::min<std::size_t>(1, given.size()) : given.size()); ++k)
        if (given[k].empty() || given[k].find_first_not_of(" \t") == std::string::npos)
          return refuse("an option is given an empty value",
                        sub->get_name() + ' ' + (command ? std::string("--") : option->get_name()) +
                            (command ? ": the implementation's command is empty; expected a program after --, e.g. -- "
                                       "/usr/bin/python3 my_backprop.py"
                                     : " is given an empty value; expected a value (drop the option for its default)"));
    }
  for (const CLI::App* sub : app.get_subcommands()) commands.subcommand = sub->get_name();
  return std::nullopt;
}

}  // namespace gradcheck::cli
