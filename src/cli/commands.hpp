#pragma once
// The subcommands of the gradcheck command: each one's options (filled from the command line by
// command_line.cpp) and how it runs. Each run_… returns the exit code (cli.hpp).

#include "catalog.hpp"
#include "cli.hpp"

#include "gradcheck/io/sandbox.hpp"
#include "gradcheck/numeric/directional.hpp"
#include "gradcheck/report/json_report.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradcheck::cli {

/// gradcheck check: the reference, or an implementation, against finite differences.
struct CheckCommand {
  std::string arch = "3-5-3";
  Index examples = 5;
  double lambda = 0;
  bool lambda_given = false;  // --lambda on the command line: check that λ alone
  std::string activation = "sigmoid";
  std::string cost = "sigmoid-logistic";
  std::optional<std::uint64_t> seed;
  Mistake planted = Mistake::none;
  bool complex_step = false;
  bool directional = false;
  bool jitter = false;  // --model: check at θ moved by a random amount from --seed (jitter.hpp)
  int directions = 3;
  std::string shard;  // "i/N", empty when not sharded
  std::vector<std::string> out;  // report files; the format follows the extension
  bool reports = false;          // every format under reports/
  bool shrink = false;           // on failure, search for the smallest failing network like this one
  std::optional<double> entry_tolerance, norm_tolerance;
  std::vector<std::string> implementation;  // argv of an implementation to check, after --
  std::string octave;                       // a folder with the course's nnCostFunction.m
  std::string python_ex4;                   // the Python edition's nnCostFunction: a .py, a notebook or their folder
  bool model = false;                       // a model of named tensors (model.hpp), after --
  std::string layout, regularization, reduction;  // the implementation's conventions ("" for the course's)
  std::string notation = "yours";  // how reports name entries: "yours" or "course"
  std::string problem;                      // a problem file instead of --arch, --examples, …
  bool self = false;
  std::optional<Index> sample;
  double timeout = 60;
  std::size_t max_reply_mib = 512;
  int protocol = protocol_version;       // the newest protocol version to speak with an implementation
  std::string encoding;                  // request 1's arrays: "json", "base64", or "" (base64 for our own drivers that read it)
  CheckOptions options;
  bool quiet = false;
  std::string gradescope;                // results.json for Gradescope's autograder, "" for none
  std::string points = "20,20,30,30";    // its points: cost, regularized cost, gradient, regularized gradient
  sandbox::Sandbox sandbox;              // where the implementation runs (--sandbox DIR; none by default)
  /// The implementation answering in this process (gradcheck's Python package, src/python/): no
  /// child is started, and the command after -- (or --python-ex4's value) only names it.
  Channel* channel = nullptr;
};

int run_check(const CheckCommand& c);

/// The implementation to talk to: c.channel when it answers in this process, else `impl` started
/// as a child (in c's sandbox, under its limits), held by `started`.
Channel& open_channel(const CheckCommand& c, Implementation& impl, std::unique_ptr<Child>& started);

/// --points as four numbers ≥ 0; throws std::invalid_argument saying what is expected.
std::vector<double> gradescope_points(const std::string& text);

/// Gradescope's results.json for the checks of one submission (`failure`: why there are none, or
/// why the implementation failed): four tests, J and the gradient at λ = 0 and at λ > 0.
std::string gradescope_results(const std::vector<ReportPart>& parts, const std::vector<double>& points,
                               const std::string& failure);

/// results.json after a later part of `grade` failed (`stage`: "at ex4's size 400-25-10", "on
/// random networks") with `message`: a test keeps its points only where it passed there too.
/// `later` is that part's own results.json, read test by test; without one (a fuzz, a timeout) the
/// tests of the part the message names lose theirs (J's for a J mismatch, the gradient's for a
/// gradient mismatch, every test otherwise). The class table's verdict and the points agree.
std::string gradescope_after(const std::string& results, const std::string& later, const std::string& stage,
                             const std::string& message);

/// --arch, --activation and --cost as an architecture, refused when too large for --examples.
Architecture architecture_of(const CheckCommand& c);

/// The problem to check and Θ: from --problem FILE, or made for --arch and --examples (by the
/// course's debugInitializeWeights, or drawn from --seed), Θ likewise when the file has none.
Instance instance_of(const CheckCommand& c);

/// The subject of a check's report: what was checked, on which network, how, and the command
/// that reproduces it; `title` names it ("" for the implementation's own words).
Subject subject_of(const CheckCommand& c, const Instance& instance, std::string title);

/// gradcheck check on an implementation (--octave or after --), at λ = 0 and λ = 3 unless --lambda.
int run_external(const CheckCommand& c, const Instance& instance, CheckOptions options);

/// gradcheck check --model -- COMMAND: a model of named tensors, against its own J.
int run_model(const CheckCommand& c);

/// --shard "i/N" as {i, N}; throws std::invalid_argument unless 1 ≤ i ≤ N.
std::pair<Index, Index> parse_shard(const std::string& text);

/// The fast mode's options from --directions, --epsilon and --seed.
DirectionalOptions directional_options(const CheckCommand& c, const Tolerances& tolerances);

/// Writes a shard's partial report where --out says (default reports/shard-i-of-N.json) and says so.
int write_shard(const CheckCommand& c, const Shard& shard);

/// The λ > 0 an implementation is also checked at when no --lambda is given: the course's own
/// second check, checkNNGradients(3); m times that for the course's λ/(2m) Σ Θ² on a J summed
/// over m examples, which weighs the same.
inline constexpr double regularized_lambda = 3;

/// gradcheck merge: the shards' partial reports joined into the report of the whole check.
struct MergeCommand {
  std::vector<std::string> files;
  std::vector<std::string> out;
  bool reports = false;
  bool quiet = false;
};

int run_merge(const MergeCommand& m);

/// gradcheck fuzz: random architectures against an implementation; the smallest that fails.
struct FuzzCommand {
  std::vector<std::string> implementation;
  std::string octave;
  std::string python_ex4;
  int cases = 100;
  std::optional<std::uint64_t> seed;
  int min_layers = 2, max_layers = 6;
  Index max_units = 8, max_examples = 16;
  double max_lambda = 5;
  std::string activations = "sigmoid,tanh,relu,identity";
  std::string costs = "sigmoid-logistic,softmax-crossentropy,identity-quadratic,sigmoid-quadratic,identity-mse";
  bool self = false;
  std::optional<Index> sample;
  double timeout = 60;
  std::vector<std::string> out;
  bool reports = false;
  bool quiet = false;
  sandbox::Sandbox sandbox;
};

int run_fuzz(const FuzzCommand& f);

/// gradcheck catalog: the bug catalog measured.
struct CatalogCommand {
  CatalogOptions options;
  std::string fixtures = GRADCHECK_FIXTURES;
  bool quiet = false;
};

int run_catalog_command(const CatalogCommand& k);

/// gradcheck explain: backprop worked through with the numbers.
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
  std::string python_ex4;
  std::string problem;
};

int run_explain(const ExplainCommand& e);

/// gradcheck grade: a folder of submissions, one subfolder or archive per student.
struct GradeCommand {
  std::string submissions;
  std::string out = "grades";
  unsigned jobs = 2;
  double time_limit = 120;       // seconds per student, every check included
  unsigned memory_mib = 2048;    // all of a student's processes together (the sandbox's bound)
  unsigned processes = 256;      // a student's processes at once
  unsigned scratch_mib = 512;    // bytes a student's code may write (its copy, and /tmp)
  bool no_sandbox = false;       // run the students' code as the teacher, unconfined
  std::string sandbox = "auto";  // auto, bubblewrap or user (root: the unprivileged users alone)
  std::string points = "20,20,30,30";
  int fuzz_cases = 10;
  unsigned max_submission_mib = 256;      // a submission's bytes, unpacked: past it, ERROR unread
  unsigned max_submission_files = 10000;  // its files, folders and links
  bool no_cache = false;
  bool quiet = false;
  std::string gradescope;        // grade one submission (`submissions` is it) into this results.json
};

int run_grade(const GradeCommand& g);

/// The command line: one subcommand and the options of each.
struct CommandLine {
  CheckCommand check;
  MergeCommand merge;
  FuzzCommand fuzz;
  CatalogCommand catalog;
  ExplainCommand explain;
  GradeCommand grade;
  std::string subcommand;  // "check", "merge", "fuzz", "catalog" or "explain"
};

/// Fills `commands` from argv; an exit code when the run ends here: --help and --version (0),
/// bad usage (2, said on stderr in one line).
std::optional<int> parse_command_line(int argc, char** argv, CommandLine& commands);

}  // namespace gradcheck::cli
