#pragma once
// What the subcommands of the gradcheck command share: exit codes, Ctrl-C, option checks,
// progress, reports, and implementations to run.

#include "gradcheck/check/check.hpp"
#include "gradcheck/model/course.hpp"
#include "gradcheck/model/generators.hpp"
#include "gradcheck/io/process.hpp"
#include "gradcheck/io/sandbox.hpp"
#include "gradcheck/report/run_report.hpp"
#include "report_files.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gradcheck::cli {

/// Exit codes: 0 pass · 1 gradient mismatch · 2 bad usage or bad input · 3 the implementation
/// under test failed · 4 internal error · 5 cannot judge (the numerical gradient cannot be trusted
/// at these options and numbers) · 128 + signal when interrupted.
enum Exit : int { pass = 0, mismatch = 1, bad_usage = 2, implementation_failed = 3, internal_error = 4, cannot_judge_exit = 5 };

/// The command line this run was started with, quoted where needed: reports show it to reproduce the run.
extern std::string invocation;

/// `text` on one line, safe for a terminal, at most 2,000 bytes (terminal_safe in text.hpp).
std::string one_line(std::string text);

/// SIGINT, SIGTERM and SIGHUP: the first asks the work to stop (check writes the report of what it
/// measured, marked incomplete, and exits 128 + the signal's number); a second ends the process
/// at once, as the default action does. Report files are written atomically either way.
extern StopFlag stop_flag;
extern volatile std::sig_atomic_t stop_signal;
void install_stop_handlers();
const char* stop_signal_name();

/// Limits for an implementation's child process, stopped by stop_flag.
ChildLimits child_limits(double timeout_seconds, std::size_t max_reply_mib = 512);

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

/// --activation: one name for every hidden layer, or one per hidden layer.
std::vector<Activation> parse_activations(const std::string& text, Index hidden_layers);

/// "\r  numerical gradient 1200/10285 (11%), … 35 s left" on stderr, at most a few times a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void operator()(Index done, Index total);

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point shown_{};
};

/// The command that checks one case on its own; `rest` names what is checked ("--plant x", "-- cmd").
std::string reproduce_command(const NetworkCase& c, const std::string& rest);

/// The smallest network like `arch` (its hidden activations and cost, no more layers, units,
/// examples or λ) that still fails, by RapidCheck's shrinking; "" when 100 tries all pass.
std::string smallest_like(const Architecture& arch, Index m, double lambda, const std::string& rest,
                          const std::function<bool(const NetworkCase&)>& passes, bool same_depth = false);

/// Prints the verdict and the text report, writes the report files asked for; the exit code.
int report(const CheckResult& result, const Subject& subject, const std::vector<std::string>& out, bool quiet);

/// The exit code of a run's outcome: 0, 1, 3, 5, or 128 + the signal that stopped it.
int exit_code(Outcome outcome);

/// report() for several checks: every file is written whatever the outcome (a failed
/// implementation gets an error report, never a stale one); the exit code is the run's outcome's.
/// `text`, when given, is the text report (stdout and .txt files) a mode writes itself.
int report(const std::vector<ReportPart>& parts, const std::vector<std::string>& out, bool quiet,
           const std::string& text = "");

/// A temporary folder that removes itself.
class TemporaryFolder {
 public:
  TemporaryFolder();
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Whose nnCostFunction a homework is written for: the course's Octave exercise (nnCostFunction.m,
/// Θ unrolled column by column, labels 1 … K) or its Python edition (a function in a .py file or
/// a notebook, unrolled row by row by numpy's ravel(), labels 0 … K − 1, `lambda_`).
enum class Edition { none, octave, python };

/// A student's homework: --octave DIR or --python-ex4 PATH (edition none: neither was given).
struct Homework {
  Edition edition = Edition::none;
  std::string path;
};

/// The homework the options name; throws std::invalid_argument when both are given.
Homework homework_of(const std::string& octave, const std::string& python_ex4);

/// Whether `file` is a notebook or .py file that defines nnCostFunction (the course's utils.py does
/// not; a student's may).
bool defines_nn_cost_function(const std::filesystem::path& file);
/// Whether a file's text holds the statement `def nnCostFunction(` at the start of a line (of a
/// cell, in a notebook's JSON), not the words in a comment or a string.
bool defines_nn_cost_function(std::string_view text, bool notebook);

/// The Python edition's files in `folder` that define nnCostFunction, in the order one is chosen:
/// notebooks first, then .py files, each by name, utils.py last. `check
/// --python-ex4 FOLDER` and `grade` check the first, and say which.
std::vector<std::filesystem::path> python_student_files(const std::filesystem::path& folder);

/// An implementation's command: the argv after --, or Octave or Python running the driver this
/// binary carries on the student's nnCostFunction (the driver's folder lives as long as this).
struct Implementation {
  std::vector<std::string> argv;
  std::unique_ptr<TemporaryFolder> driver;
  std::string shown;  // how a reproduce command names it: "-- python3 x.py", "--octave DIR", "--python-ex4 PATH"
  Edition edition = Edition::none;
  std::string student;  // how the student's function is named in messages: "nnCostFunction.m in DIR"
};

Implementation implementation_of(const std::vector<std::string>& argv, const Homework& homework);

/// The implementation moved into `box` (when enabled): its command wrapped, gradcheck's driver
/// files readable there, and the memory of all its processes bounded through `limits`.
void confine(Implementation& impl, ChildLimits& limits, sandbox::Sandbox box);

/// How Θ is unrolled into nn_params for `edition`: row by row for the Python edition, else column by column.
Unrolling unrolling_of(Edition edition);

/// The course's homework runs on the course's network only.
void require_course_network(const Architecture& arch, const Homework& homework);

}  // namespace gradcheck::cli
