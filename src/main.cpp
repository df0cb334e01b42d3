// gradcheck: the command line. A thin layer over the library: parse, build the problem, check,
// print the report, map the outcome to an exit code.
//
// Exit codes: 0 pass · 1 gradient mismatch · 2 bad usage or bad input · 3 the implementation
// under test failed · 4 internal error.

#include "gradcheck/check.hpp"
#include "gradcheck/course.hpp"
#include "gradcheck/directional.hpp"
#include "gradcheck/explain.hpp"
#include "gradcheck/external.hpp"
#include "gradcheck/protocol.hpp"
#include "catalog.hpp"
#include "fuzz.hpp"
#include "gradcheck/json_report.hpp"
#include "gradcheck/octave_driver.hpp"
#include "gradcheck/problem_file.hpp"
#include "gradcheck/report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace gradcheck;

/// The command line this run was started with, quoted where needed: reports show it to reproduce the run.
std::string invocation;

std::string one_line(std::string text) {
  for (char& ch : text)
    if (ch == '\n') ch = ' ';
  return text;
}

enum Exit : int { pass = 0, mismatch = 1, bad_usage = 2, implementation_failed = 3, internal_error = 4 };

/// SIGINT and SIGTERM: the first asks the work to stop (check writes the report of what it
/// measured, marked incomplete, and exits 128 + the signal's number); a second ends the process
/// at once, as the default action does. Report files are written atomically either way.
StopFlag stop_flag{false};
volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int signal) {
  stop_signal = signal;
  stop_flag.store(true, std::memory_order_relaxed);
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const char* stop_signal_name() { return stop_signal == SIGINT ? "SIGINT" : "SIGTERM"; }

ChildLimits child_limits(double timeout_seconds, std::size_t max_reply_mib = 512) {
  ChildLimits limits;
  limits.max_reply_bytes = max_reply_mib << 20;
  limits.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));
  limits.stop = &stop_flag;
  return limits;
}


struct CheckCommand {
  std::string arch = "3-5-3";
  Index examples = 5;
  double lambda = 0;
  std::string activation = "sigmoid";
  std::string cost = "sigmoid-logistic";
  std::optional<std::uint64_t> seed;
  Mistake planted = Mistake::none;
  bool complex_step = false;
  bool directional = false;
  int directions = 3;
  std::string shard;  // "i/N", empty when not sharded
  std::vector<std::string> out;  // report files; the format follows the extension
  bool reports = false;          // every format under reports/
  bool shrink = false;           // on failure, search for the smallest failing network like this one
  std::optional<double> entry_tolerance, norm_tolerance;
  std::vector<std::string> implementation;  // argv of an implementation to check, after --
  std::string octave;                       // a folder with the course's nnCostFunction.m
  std::string problem;                      // a problem file instead of --arch, --examples, …
  bool self = false;
  std::optional<Index> sample;
  double timeout = 60;
  std::size_t max_reply_mib = 512;
  CheckOptions options;
  bool quiet = false;
};

/// A finite number, at least zero or above zero: CLI11's own checks print DBL_MAX in full.
CLI::Validator finite_number(bool zero_allowed) {
  return CLI::Validator(
      [zero_allowed](std::string& text) -> std::string {
        double x = 0;
        std::size_t used = 0;
        try {
          x = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        const bool ok = used == text.size() && std::isfinite(x) && (zero_allowed ? x >= 0 : x > 0);
        return ok ? "" : fmt::format("'{}' is not a finite number {} 0", text, zero_allowed ? "≥" : ">");
      },
      zero_allowed ? "NUMBER ≥ 0" : "NUMBER > 0");
}
const CLI::Validator non_negative = finite_number(true), positive = finite_number(false);

/// "a,b,c" parsed item by item.
template <class T, class Parse> std::vector<T> parse_list(const std::string& text, Parse parse) {
  std::vector<T> list;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    list.push_back(parse(std::string_view(text).substr(start, comma - start)));
    if (comma == std::string::npos) return list;
    start = comma + 1;
  }
}

std::vector<Activation> parse_activations(const std::string& text, Index hidden_layers) {
  std::vector<Activation> list = parse_list<Activation>(text, parse_activation);
  if (list.size() == 1) list.assign(static_cast<std::size_t>(hidden_layers), list.front());
  if (static_cast<Index>(list.size()) != hidden_layers)
    throw std::invalid_argument(fmt::format("--activation lists {} activations; expected 1 or one per hidden layer ({})",
                                            list.size(), hidden_layers));
  return list;
}

Architecture architecture_of(const CheckCommand& c) {
  Architecture arch = make_architecture(c.arch, Activation::sigmoid, parse_output(c.cost));
  arch.hidden = parse_activations(c.activation, arch.layers() - 2);
  check_size(arch.sizes, c.examples, fmt::format("--arch {} with --examples {}", c.arch, c.examples));
  return arch;
}

/// The problem to check and Θ: from --problem FILE, or made for --arch and --examples (by the
/// course's debugInitializeWeights, or drawn from --seed), Θ likewise when the file has none.
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

/// "\r  numerical gradient 1200/10285 (11%), … 35 s left" on stderr, at most a few times a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void operator()(Index done, Index total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - shown_ < std::chrono::milliseconds(250)) return;
    shown_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = done > 0 ? static_cast<double>(done) / elapsed : 0;
    const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    std::fprintf(stderr, "\r  numerical gradient %lld/%lld (%.0f%%), %.0f parameters/s, %.0f s left   ",
                 static_cast<long long>(done), static_cast<long long>(total),
                 100.0 * static_cast<double>(done) / static_cast<double>(total), rate, left);
    if (done == total) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point shown_{};
};

/// The command that checks one case on its own; `rest` names what is checked ("--plant x", "-- cmd").
std::string reproduce_command(const NetworkCase& c, const std::string& rest) {
  std::string activations;
  for (const Activation g : c.architecture.hidden) activations += (activations.empty() ? "" : ",") + std::string(name(g));
  return fmt::format("gradcheck check --arch {}{} --cost {} --examples {} --lambda {:g} --seed {} {}",
                     format_sizes(c.architecture), activations.empty() ? "" : " --activation " + activations,
                     name(c.architecture.output), c.examples, c.lambda, c.seed, rest);
}

/// The smallest network like `arch` (its hidden activations and cost, no more layers, units,
/// examples or λ) that still fails, by RapidCheck's shrinking; "" when 100 tries all pass.
std::string smallest_like(const Architecture& arch, Index m, double lambda, const std::string& rest,
                          const std::function<bool(const NetworkCase&)>& passes, bool same_depth = false) {
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

/// The report of `result` in the format a file's extension asks for.
std::string formatted(const std::string& path, const CheckResult& result, const Subject& subject) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".json") return to_json(result, subject);
  if (extension == ".xml") return format_junit(result, subject);
  if (extension == ".md") return format_markdown(result, subject);
  if (extension == ".txt") return format_text(result, subject);
  if (extension == ".html") return format_html(result, subject);
  throw std::invalid_argument(fmt::format("--out {}: unknown report format '{}'; expected .json, .xml (JUnit), "
                                          ".md (Markdown), .html or .txt", path, extension));
}

/// Refuses, before any work, report paths that could not be written at its end: an unknown
/// format, a folder, a folder that is not there or not writable.
void check_report_paths(const std::vector<std::string>& paths, bool shard = false) {
  for (const auto& path : paths) {
    const std::filesystem::path p(path);
    std::error_code error;
    if (std::filesystem::is_directory(p, error))
      throw std::invalid_argument(fmt::format("--out {}: is a folder; expected a file name", path));
    const std::string extension = p.extension().string();
    if (shard && extension != ".json")
      throw std::invalid_argument(fmt::format("--out {}: a shard writes one partial JSON report; expected FILE.json", path));
    if (extension != ".json" && extension != ".xml" && extension != ".md" && extension != ".txt" && extension != ".html")
      throw std::invalid_argument(fmt::format("--out {}: unknown report format '{}'; expected .json, .xml (JUnit), "
                                              ".md (Markdown), .html or .txt", path, extension));
    const std::filesystem::path folder = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    if (!std::filesystem::is_directory(folder, error) || access(folder.c_str(), W_OK) != 0)
      throw std::invalid_argument(fmt::format("--out {}: cannot write in {}; expected an existing, writable folder",
                                              path, folder.string()));
  }
}

/// --reports: every format under reports/, next to any --out.
std::vector<std::string> with_default_reports(std::vector<std::string> out, bool reports) {
  if (!reports) return out;
  std::filesystem::create_directories("reports");
  for (const char* name : {"reports/gradcheck.txt", "reports/gradcheck.json", "reports/gradcheck.xml", "reports/gradcheck.md",
                           "reports/gradcheck.html"})
    out.push_back(name);
  return out;
}

/// Prints the verdict and the text report, writes the report files asked for; the exit code.
int report(const CheckResult& result, const Subject& subject, const std::vector<std::string>& out, bool quiet) {
  std::vector<std::string> contents;  // all formatted before any is written: a bad name writes nothing
  for (const auto& path : out) contents.push_back(formatted(path, result, subject));
  if (quiet)
    std::cout << (result.pass ? "PASS" : "FAIL") << fmt::format(" (‖n − a‖/‖n + a‖ = {:.3e})\n", result.norm_figure);
  else
    std::cout << format_text(result, subject);
  for (std::size_t k = 0; k < out.size(); ++k) {
    write_file_atomically(out[k], contents[k]);
    if (!quiet) std::cout << "report: " << out[k] << '\n';
  }
  return result.pass ? pass : mismatch;
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
  if (!c.quiet)
    std::cout << fmt::format("shard {}/{}: {} of {} parameters measured ({} evaluations), written to {}\n"
                             "join all {} with: gradcheck merge {}\n",
                             index, count, shard.measured.coordinates.size(), subject.parameters,
                             shard.measured.evaluations, path, count,
                             c.out.empty() ? fmt::format("reports/shard-*-of-{}.json", count) : "FILE…");
  return pass;
}

/// Joins the shards' partial reports into the report of the whole check.
int run_merge(const std::vector<std::string>& files, const std::vector<std::string>& out, bool quiet) {
  std::vector<Shard> shards;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::invalid_argument(fmt::format("cannot read {}; expected a shard report file", file));
    std::ostringstream text;
    text << in.rdbuf();
    shards.push_back(shard_from_json(text.str(), file));
  }
  Subject subject;
  const CheckResult result = merge(shards, subject);
  return report(result, subject, out, quiet);
}

/// A temporary folder that removes itself.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gradcheck-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder in " + pattern);
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// An implementation's command: the argv after --, or Octave running the driver this binary
/// carries on the course's nnCostFunction.m in `octave` (the driver's folder lives as long as this).
struct Implementation {
  std::vector<std::string> argv;
  std::unique_ptr<TemporaryFolder> driver;
  std::string shown;  // how a reproduce command names it: "-- python3 x.py" or "--octave DIR"
};

Implementation implementation_of(const std::vector<std::string>& argv, const std::string& octave) {
  Implementation impl;
  if (octave.empty()) {
    impl.argv = argv;
    impl.shown = "--";
    for (const auto& a : argv) impl.shown += " " + (a.find_first_of(" '\"") == std::string::npos ? a : "'" + a + "'");
    return impl;
  }
  if (!argv.empty()) throw std::invalid_argument("give either --octave DIR or an implementation after --, not both");
  const std::filesystem::path folder = std::filesystem::absolute(octave);
  if (!std::filesystem::is_regular_file(folder / "nnCostFunction.m"))
    throw std::invalid_argument(fmt::format("{} has no nnCostFunction.m; expected the folder of your ex4 "
                                            "(nnCostFunction.m, sigmoid.m, sigmoidGradient.m)", folder.string()));
  impl.driver = std::make_unique<TemporaryFolder>();
  std::ofstream(impl.driver->path() / "gradcheck_serve.m") << octave_driver;
  impl.argv = {"octave-cli", "--quiet",    "--norc", "--path", folder.string(), "--path", impl.driver->path().string(),
               "--eval",     "gradcheck_serve"};
  impl.shown = "--octave " + folder.string();
  return impl;
}

/// The course's homework runs on the course's network only.
void require_course_network(const Architecture& arch) {
  if (arch.layers() != 3 || arch.activation(2) != Activation::sigmoid || arch.output != Output::sigmoid_logistic)
    throw std::invalid_argument(fmt::format("--octave checks the course's nnCostFunction, which takes 3 layers of "
                                            "sigmoid units and the logistic cost; got {}", describe(arch)));
}

/// What of the implementation's replies was NaN or ±∞ ("" when nothing): its gradient entries, its
/// J, or in self mode the J its numerical gradient came from.
std::string non_finite_replies(const CheckResult& r, bool self) {
  Index analytic = 0, numerical = 0;
  const EntryReport *first_analytic = nullptr, *first_numerical = nullptr;
  for (const EntryReport& e : r.not_finite) {
    if (!std::isfinite(e.analytic) && analytic++ == 0) first_analytic = &e;
    if (!std::isfinite(e.numerical) && numerical++ == 0) first_numerical = &e;
  }
  std::string what;
  if (analytic > 0)
    what = fmt::format("NaN or ±∞ in {} entr{} of its gradient, first at {} (each listed in the report), in reply to "
                       "request 1 (J and the gradient)", analytic, analytic == 1 ? "y" : "ies", format(first_analytic->where));
  if (self && numerical > 0)
    what += fmt::format("{}its J was NaN or ±∞ near θ: {} numerical entr{} not finite, first at {}", what.empty() ? "" : "; ",
                        numerical, numerical == 1 ? "y is" : "ies are", format(first_numerical->where));
  if (r.cost && !std::isfinite(r.cost->implementation))
    what += fmt::format("{}J = {} in reply to request 1", what.empty() ? "" : "; ", r.cost->implementation);
  return what;
}

/// An implementation that is not ours, through the protocol.
int run_external(const CheckCommand& c, const Instance& instance, CheckOptions options) {
  if (c.planted != Mistake::none || c.complex_step || c.directional || !c.shard.empty())
    throw std::invalid_argument("--plant, --complex-step, --directional and --shard check the reference; "
                                "drop them to check an implementation");
  if (c.sample && !c.self)
    throw std::invalid_argument("--sample applies to --self mode; add --self or drop --sample");
  if (!c.octave.empty()) require_course_network(instance.problem.architecture);
  const Implementation impl = implementation_of(c.implementation, c.octave);
  Child child(impl.argv, child_limits(c.timeout, c.max_reply_mib));
  ExternalOptions external;
  external.check = options;
  external.self = c.self;
  external.sample_per_layer = c.sample;
  external.sample_seed = c.seed.value_or(0);
  const ExternalResult outcome = check_external(child, instance.problem, instance.theta, external);
  std::string smallest;
  if (c.shrink && !outcome.result.pass && outcome.result.complete) {
    ExternalOptions quiet = external;
    quiet.check.difference.progress = nullptr;
    smallest = smallest_like(instance.problem.architecture, instance.problem.examples(), instance.problem.lambda, (c.self ? "--self " : "") + impl.shown,
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
                             !c.octave.empty());
  }
  Subject subject = subject_of(c, instance,
                               fmt::format("{} against {} ({} mode, {} request{})",
                                           c.octave.empty() ? child.command() : "nnCostFunction.m in " + c.octave,
                                           c.self ? "central differences of its own J" : "gradcheck's reference",
                                           c.self ? "self" : "reference", outcome.requests,
                                           outcome.requests == 1 ? "" : "s"));
  subject.smallest = smallest;
  const int code = report(outcome.result, subject, with_default_reports(c.out, c.reports), c.quiet);
  const std::string non_finite = non_finite_replies(outcome.result, c.self);
  if (non_finite.empty()) return code;
  // Reported entry by entry above; still the implementation's failure, not a judgement.
  const std::string tail = one_line(child.stderr_tail());
  std::cerr << "gradcheck: implementation failed: " << child.command() << ": " << non_finite
            << (tail.empty() ? "" : "; its stderr ends: " + tail) << '\n';
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

int run_check(const CheckCommand& c) {
  if (!c.shard.empty() && c.out.size() > 1)
    throw std::invalid_argument("a shard writes one partial JSON report; expected at most one --out FILE.json");
  check_report_paths(c.out, !c.shard.empty());
  const Instance instance = instance_of(c);
  const Architecture& arch = instance.problem.architecture;
  CheckOptions options = c.options;
  options.threads = useful_threads(Layout(arch).parameters(), options.threads);
  if (c.complex_step) options.complex_step = ComplexStep{};
  // Tolerances follow from the accuracy of the method, unless given.
  const Tolerances defaults = c.complex_step ? complex_step_tolerances() : default_tolerances(options.difference);
  options.tolerances.entry = c.entry_tolerance.value_or(defaults.entry);
  options.tolerances.norm = c.norm_tolerance.value_or(defaults.norm);
  Progress progress(!c.quiet && isatty(STDERR_FILENO));
  options.difference.progress = [&progress](Index done, Index total) { progress(done, total); };
  options.difference.stop = &stop_flag;
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

void add_check(CLI::App& app, CheckCommand& c) {
  auto* check = app.add_subcommand("check", "Check the reference backprop's D^(l) against finite differences of J");
  auto* problem = check->add_option("-p,--problem", c.problem,
                                    "Check on the problem in this JSON file: sizes, X, labels or Y, λ and "
                                    "optionally Θ (README: problem files); replaces --arch, --examples, --lambda, "
                                    "--activation and --cost");
  problem->excludes(check->add_option("-a,--arch", c.arch, "Layer sizes s_1-…-s_L, input first")->capture_default_str());
  problem->excludes(check->add_option("-m,--examples", c.examples, "Number of examples m")
                        ->check(CLI::Range(Index{1}, Index{10'000'000}))
                        ->capture_default_str());
  problem->excludes(check->add_option("-l,--lambda", c.lambda, "Regularization strength λ")
                        ->check(non_negative)
                        ->capture_default_str());
  problem->excludes(check->add_option("-g,--activation", c.activation,
                                      "Hidden activation g: sigmoid, tanh, relu or identity; one for all hidden "
                                      "layers or a comma-separated list, one per hidden layer")
                        ->capture_default_str());
  problem->excludes(check->add_option("-c,--cost", c.cost, "Output/cost pair")
                        ->check(CLI::IsMember({"sigmoid-logistic", "softmax-crossentropy", "identity-quadratic",
                                               "sigmoid-quadratic"}))
                        ->capture_default_str());
  check->add_option("-s,--seed", c.seed,
                    "Draw random Θ, X and y from this seed instead of the course's debugInitializeWeights");
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
  check->add_flag("--self", c.self,
                  "Self mode: judge the implementation's gradient against central differences of its own J "
                  "(2 requests per parameter), for costs gradcheck does not know");
  check->add_option("--sample", c.sample, "Self mode: check this many random parameters per layer (from --seed)")
      ->check(positive);
  check->add_option("--timeout", c.timeout, "Seconds an implementation may take per request")
      ->check(positive)
      ->capture_default_str();
  check->add_option("--max-reply", c.max_reply_mib, "Largest reply line an implementation may write, in MiB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16384}))
      ->capture_default_str();
  check->add_option("--shard", c.shard,
                    "Measure only shard i of N (parameters k ≡ i − 1 mod N) and write a partial JSON report; "
                    "'gradcheck merge' joins the N parts into the report of the whole check");
  check->add_option("-o,--out", c.out,
                    "Write a report here; the format follows the extension: .json, .xml (JUnit), .md (Markdown), "
                    ".txt; repeat for several (with --shard: one .json, default reports/shard-i-of-N.json)");
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
  gradcheck check --octave ~/ml/ex4 --lambda 3 --arch 400-25-10 --examples 50 --seed 1
  gradcheck check -- /usr/bin/python3 my_backprop.py             check your implementation (docs/protocol.md)
  gradcheck check --self --sample 20 -- ./my_net --serve          its gradient against its own J, 20 per layer
  gradcheck check --problem ex4.json --octave ~/ml/ex4            your data, λ and Θ from a JSON file (README)

Exit codes: 0 pass, 1 gradient mismatch (or J differs from the reference), 2 bad usage or bad input,
3 the implementation failed (could not start, crashed, hung past --timeout, answered something that
is not a reply, or NaN or ±∞, then after the report), 4 internal error, 130/143 interrupted by SIGINT/SIGTERM (the report of what was
measured is written, marked incomplete).)");
}

}  // namespace

struct FuzzCommand {
  std::vector<std::string> implementation;
  std::string octave;
  int cases = 100;
  std::optional<std::uint64_t> seed;
  int min_layers = 2, max_layers = 6;
  Index max_units = 8, max_examples = 16;
  double max_lambda = 5;
  std::string activations = "sigmoid,tanh,relu,identity";
  std::string costs = "sigmoid-logistic,softmax-crossentropy,identity-quadratic,sigmoid-quadratic";
  bool self = false;
  std::optional<Index> sample;
  double timeout = 60;
  std::vector<std::string> out;
  bool reports = false;
  bool quiet = false;
};


/// Random architectures against an implementation until one fails; then the smallest that fails.
int run_fuzz(const FuzzCommand& f) {
  if (f.min_layers > f.max_layers)
    throw std::invalid_argument(fmt::format("--min-layers {} is above --max-layers {}", f.min_layers, f.max_layers));
  if (f.sample && !f.self) throw std::invalid_argument("--sample applies to --self mode; add --self or drop --sample");
  check_report_paths(f.out);
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
  if (!outcome.smallest) {
    std::cout << fmt::format("PASS: all {} random networks pass (the same search: --seed {})\n", outcome.passed,
                             options.seed);
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
    std::cerr << "gradcheck: implementation failed: " << one_line(outcome.implementation_failure) << '\n';
    return implementation_failed;
  }
  Subject subject;
  subject.title = fmt::format("the smallest failing network found by gradcheck fuzz (seed {})", options.seed);
  subject.network = describe(smallest.architecture);
  subject.origin = fmt::format("random Θ, X and y from seed {}", smallest.seed);
  subject.parameters = Layout(smallest.architecture).parameters();
  subject.examples = smallest.examples;
  subject.lambda = smallest.lambda;
  const std::vector<std::string> out = with_default_reports(f.out, f.reports);
  if (f.quiet) {
    for (const auto& path : out) write_file_atomically(path, formatted(path, outcome.report->result, subject));
    return mismatch;
  }
  return report(outcome.report->result, subject, out, false);
}

struct CatalogCommand {
  CatalogOptions options;
  std::string fixtures = GRADCHECK_FIXTURES;
  bool quiet = false;
};

/// The external fixtures with the mistake each carries, checked on the course's problem at λ = 3.
struct ExternalFixture {
  std::string label;
  std::vector<std::string> argv;  // empty with an Octave folder
  std::string octave;
  std::string expected;
};

int run_catalog_command(const CatalogCommand& k) {
  const auto fixtures = std::filesystem::path(k.fixtures);
  CatalogOptions options = k.options;
  options.progress = !k.quiet && isatty(STDERR_FILENO);
  const CatalogOutcome outcome = run_catalog(options);

  int shows = 0, caught = 0, named = 0;
  std::cout << fmt::format("gradcheck catalog: {} mistakes, each on the {} random networks (seed {}) where it shows\n\n",
                           outcome.rows.size(), options.networks, options.seed);
  std::cout << "| mistake | `--plant` | networks where it shows | caught | named | smallest failing network |\n"
               "|---|---|---:|---:|---:|---|\n";
  for (const CatalogRow& row : outcome.rows) {
    shows += row.shows;
    caught += row.caught;
    named += row.named;
    std::cout << fmt::format("| {} | `{}` | {} | {} | {} | {} |\n", name(row.mistake), key(row.mistake), row.shows,
                             row.caught, row.named, row.smallest.empty() ? "—" : row.smallest);
  }

  // The external implementations: code gradcheck did not write, named all the same.
  const std::vector<ExternalFixture> external{
      {"Octave bias_regularized", {}, "octave/bias_regularized", "bias-regularized"},
      {"Octave average_missing", {}, "octave/average_missing", "average-missing"},
      {"Octave sigmoid_for_gradient", {}, "octave/sigmoid_for_gradient", "activation-for-derivative"},
      {"Octave row_major_unrolling", {}, "octave/row_major_unrolling", "row-major-unrolling"},
      {"Python bias_regularized", {"/usr/bin/python3", "python/bias_regularized.py"}, "", "bias-regularized"},
      {"Python average_missing", {"/usr/bin/python3", "python/average_missing.py"}, "", "average-missing"},
      {"Python sigmoid_for_derivative", {"/usr/bin/python3", "python/sigmoid_for_derivative.py"}, "",
       "activation-for-derivative"},
      {"Python cost_unregularized", {"/usr/bin/python3", "python/cost_unregularized.py"}, "", "cost-regularization-missing"},
  };
  std::cout << "\n| external implementation | expected | caught | diagnosis |\n|---|---|---|---|\n";
  int external_caught = 0, external_named = 0;
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  for (const ExternalFixture& f : external) {
    std::vector<std::string> argv = f.argv;
    if (!argv.empty()) argv[1] = (fixtures / argv[1]).string();
    std::string verdict = "—", diagnosis = "—";
    try {
      const Implementation impl = implementation_of(argv, f.octave.empty() ? "" : (fixtures / f.octave).string());
      Child child(impl.argv);
      ExternalOptions judge;
      const ExternalResult r = check_external(child, course.problem, course.theta, judge);
      verdict = r.result.pass ? "no" : "yes";
      external_caught += r.result.pass ? 0 : 1;
      if (r.result.diagnosis) {
        diagnosis = r.result.diagnosis->summary;
        const auto& keys = r.result.diagnosis->mistakes;
        if (!keys.empty() && keys.front() == f.expected) ++external_named;
      }
    } catch (const std::exception& e) {
      diagnosis = std::string("could not run: ") + one_line(e.what());
    }
    std::cout << fmt::format("| {} | {} | {} | {} |\n", f.label, f.expected, verdict, diagnosis);
  }

  int networks = 0, alarms = 0;
  long long kinks = 0;
  std::cout << "\n| hidden g | output/cost | networks | false alarms | entries skipped at ReLU kinks |\n"
               "|---|---|---:|---:|---:|\n";
  for (const FalseAlarmRow& row : outcome.false_alarms) {
    networks += row.networks;
    alarms += row.alarms;
    kinks += row.kinks;
    std::cout << fmt::format("| {} | {} | {} | {} | {} |\n", name(row.activation), name(row.output), row.networks,
                             row.alarms, row.kinks);
  }
  const int all = caught + external_caught, total = shows + static_cast<int>(external.size());
  const int all_named = named + external_named;
  const double caught_share = 100.0 * all / std::max(1, total), named_share = 100.0 * all_named / std::max(1, total);
  std::cout << fmt::format("\ncaught {} of {} ({:.1f}%), named correctly {} of {} ({:.1f}%), false alarms {} of {} "
                           "correct checks ({} entries skipped at ReLU kinks)\n",
                           all, total, caught_share, all_named, total, named_share, alarms, networks, kinks);
  const bool met = all == total && named_share >= 90 && alarms == 0;
  std::cout << (met ? "PASS: every mistake caught, ≥ 90% named, no false alarm\n"
                    : "FAIL: the catalog's targets are 100% caught, ≥ 90% named, 0 false alarms\n");
  return met ? pass : mismatch;
}

struct ExplainCommand {
  std::string arch = "3-3-3";
  Index examples = 2;
  double lambda = 0;
  std::string activation = "sigmoid";
  std::string cost = "sigmoid-logistic";
  std::optional<std::uint64_t> seed;
  int digits = 6;
  std::vector<std::string> implementation;
  std::string octave;
  std::string problem;
};

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

struct MergeCommand {
  std::vector<std::string> files;
  std::vector<std::string> out;
  bool reports = false;
  bool quiet = false;
};

void add_fuzz(CLI::App& app, FuzzCommand& f) {
  auto* fuzz = app.add_subcommand(
      "fuzz", "Check an implementation on random architectures; shrink a failure to the smallest failing network");
  fuzz->add_option("implementation", f.implementation, "After --: the implementation's command (docs/protocol.md)");
  fuzz->add_option("--octave", f.octave, "Fuzz the course's nnCostFunction.m in this folder (3-layer sigmoid networks)");
  fuzz->add_option("-n,--cases", f.cases, "How many random networks to try")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  fuzz->add_option("-s,--seed", f.seed, "RapidCheck's seed: the same seed tries the same networks (default: random)");
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
  fuzz->add_option("-o,--out", f.out, "Write the report of the smallest failing network here (.json, .xml, .md, .txt)");
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
  catalog->add_option("-s,--seed", k.options.seed, "Seed of the random networks")->capture_default_str();
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
  explain->add_option("-s,--seed", e.seed, "Random Θ, X and y from this seed instead of debugInitializeWeights");
  explain->add_option("--digits", e.digits, "Significant digits")->check(CLI::Range(2, 17))->capture_default_str();
  explain->footer(R"(Prints a^(1), z^(2), a^(2), …, δ^(L) = a^(L) − y, each δ^(l) with its formula, Δ^(l) after each
example, D^(l) and every shape; beside each δ^(l) the numerical ∂J_t/∂z^(l) (moving z itself),
beside each D^(l) the numerical gradient, and an implementation's D^(l) when one is given.

Examples:
  gradcheck explain                                 the 3-3-3 network of the course's question, m = 2
  gradcheck explain --arch 2-2-1 --examples 1 --lambda 1
  gradcheck explain --octave ~/ml/ex4               your nnCostFunction's D^(l) beside the reference's)");
}

void add_merge(CLI::App& app, MergeCommand& m) {
  auto* merge = app.add_subcommand("merge", "Join the partial reports of 'gradcheck check --shard i/N' into one report");
  merge->add_option("files", m.files, "The N shard reports (any order)")->required()->check(CLI::ExistingFile);
  merge->add_option("-o,--out", m.out,
                    "Write the report of the whole check here; the format follows the extension: .json, .xml "
                    "(JUnit), .md (Markdown), .txt; repeat for several");
  merge->add_flag("--reports", m.reports, "Write the report in every format under reports/ (gradcheck.txt, .json, .xml, .md, .html)");
  merge->add_flag("-q,--quiet", m.quiet, "Print only the verdict line");
  merge->footer(R"(The merged report is identical to the one an unsharded run prints.

Examples:
  for i in 1 2 3 4; do gradcheck check --arch 784-256-128-10 --seed 1 --shard $i/4 & done; wait
  gradcheck merge reports/shard-*-of-4.json --out reports/check.json

Exit codes: 0 pass, 1 gradient mismatch, 2 bad usage or shard files that are not the N parts of one check.)");
}

int main(int argc, char** argv) {
  for (int k = 0; k < argc; ++k) {
    const std::string a = k == 0 ? "gradcheck" : argv[k];
    invocation += (k ? " " : "") + (a.find_first_of(" '\"$") == std::string::npos ? a : "'" + a + "'");
  }
  CLI::App app{"gradcheck: tells whether a backpropagation implementation is right, and if not, where."};
  app.set_version_flag("--version", "gradcheck 0.1.0");
  app.require_subcommand(1);
  app.footer("Run 'gradcheck check --help', 'gradcheck fuzz --help' or 'gradcheck merge --help' for their options.\n"
             "With no options, 'gradcheck check' reproduces the course's checkNNGradients.");
  CheckCommand check;
  check.options.threads = std::max(1u, std::thread::hardware_concurrency());
  add_check(app, check);
  MergeCommand merge;
  add_merge(app, merge);
  FuzzCommand fuzz_command;
  add_fuzz(app, fuzz_command);
  CatalogCommand catalog_command;
  add_catalog(app, catalog_command);
  ExplainCommand explain_command;
  add_explain(app, explain_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "gradcheck: error: " << one_line(e.what()) << " (see 'gradcheck --help')\n";
    return bad_usage;
  }

  // catalog and merge keep the default actions: they hold no child that could outlive them.
  if (!app.got_subcommand("catalog") && !app.got_subcommand("merge")) install_stop_handlers();
  try {
    if (app.got_subcommand("merge")) return run_merge(merge.files, with_default_reports(merge.out, merge.reports), merge.quiet);
    if (app.got_subcommand("catalog")) return run_catalog_command(catalog_command);
    const int code = app.got_subcommand("fuzz")      ? run_fuzz(fuzz_command)
                     : app.got_subcommand("explain") ? run_explain(explain_command)
                                                     : run_check(check);
    if (stop_signal == 0) return code;
    std::cerr << "gradcheck: interrupted by " << stop_signal_name()
              << (app.got_subcommand("check") ? ": the report covers what was measured and is marked incomplete\n"
                                              : ": stopped early; no report written\n");
    return 128 + stop_signal;
  } catch (const Interrupted& e) {
    std::cerr << "gradcheck: interrupted by " << stop_signal_name() << ": " << one_line(e.what())
              << "; no report written\n";
    return 128 + stop_signal;
  } catch (const ImplementationError& e) {
    std::cerr << "gradcheck: implementation failed: " << one_line(e.what()) << '\n';
    return implementation_failed;
  } catch (const std::invalid_argument& e) {
    std::cerr << "gradcheck: error: " << one_line(e.what()) << '\n';
    return bad_usage;
  } catch (const std::runtime_error& e) {  // files that cannot be written
    std::cerr << "gradcheck: error: " << one_line(e.what()) << '\n';
    return bad_usage;
  } catch (const std::bad_alloc&) {
    std::cerr << "gradcheck: error: out of memory; try a smaller --arch or fewer --examples\n";
    return bad_usage;
  } catch (const std::exception& e) {
    std::cerr << "gradcheck: internal error: " << one_line(e.what()) << '\n';
    return internal_error;
  }
}
