#include "cli.hpp"
#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/util/text.hpp"
#include "gradcheck/octave_driver.hpp"
#include "gradcheck/python_adapter.hpp"
#include "gradcheck/python_model.hpp"
#include "gradcheck/python_ex4_driver.hpp"
#include "gradcheck/python_ex4_loader.hpp"
#include "gradcheck/python_watch.hpp"

#include <fmt/format.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace gradcheck::cli {

std::string invocation;

std::string one_line(std::string text) { return terminal_safe(text); }

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
  sigaction(SIGHUP, &action, nullptr);  // a closed terminal or a CI runner's hang-up
}

const char* stop_signal_name() {
  return stop_signal == SIGINT ? "SIGINT" : stop_signal == SIGHUP ? "SIGHUP" : "SIGTERM";
}

ChildLimits child_limits(double timeout_seconds, std::size_t max_reply_mib) {
  ChildLimits limits;
  limits.max_reply_bytes = max_reply_mib << 20;
  limits.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));
  limits.stop = &stop_flag;
  return limits;
}

std::vector<Activation> parse_activations(const std::string& text, Index hidden_layers) {
  std::vector<Activation> list = parse_list<Activation>(text, parse_activation);
  if (list.size() == 1) list.assign(static_cast<std::size_t>(hidden_layers), list.front());
  if (static_cast<Index>(list.size()) != hidden_layers)
    throw std::invalid_argument(fmt::format("--activation lists {} activations; expected 1 or one per hidden layer ({})",
                                            list.size(), hidden_layers));
  return list;
}

void Progress::operator()(Index done, Index total) {
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

int report(const CheckResult& result, const Subject& subject, const std::vector<std::string>& out, bool quiet) {
  return report(std::vector<ReportPart>{{result, subject}}, out, quiet);
}

int exit_code(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass: return pass;
    case Outcome::fail: return mismatch;
    case Outcome::error: return implementation_failed;
    case Outcome::cannot_judge: return cannot_judge_exit;
    case Outcome::incomplete: break;
  }
  return 128 + (stop_signal != 0 ? static_cast<int>(stop_signal) : SIGINT);
}

int report(const std::vector<ReportPart>& parts, const std::vector<std::string>& out, bool quiet, const std::string& text) {
  std::vector<std::string> contents;  // all formatted before any is written: a bad name writes nothing
  for (const auto& path : out)
    contents.push_back(!text.empty() && std::filesystem::path(path).extension() == ".txt" ? text : formatted(path, parts));
  const Outcome outcome = outcome_of(parts);
  {  // written before anything is printed: a file that cannot be written (a full disk) ends the run
     // with its error, never after a verdict the exit code then contradicts
    const ReportLock lock(out);  // the set in one hold: a run beside this one never mixes in
    for (std::size_t k = 0; k < out.size(); ++k) write_file_atomically(out[k], contents[k]);
  }
  if (quiet) {
    std::cout << run_verdict(parts);
    if (parts.size() == 1 && (outcome == Outcome::pass || outcome == Outcome::fail) && parts.front().result.entry_errors.size() > 0)
      std::cout << fmt::format(" (‖n − a‖/‖n + a‖ = {:.3e})", parts.front().result.norm_figure);
    std::cout << '\n';
  } else {
    std::cout << (text.empty() ? formatted("report.txt", parts) : text);
    for (const auto& path : out) std::cout << "report: " << path << '\n';
  }
  pending_reports.written = true;
  if (outcome == Outcome::cannot_judge)
    for (const auto& part : parts)
      if (part.result.cannot_judge) {
        std::cerr << "gradcheck: cannot judge: " << *part.result.cannot_judge << '\n';
        break;
      }
  return exit_code(outcome);
}

TemporaryFolder::TemporaryFolder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "gradcheck-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder in " + pattern);
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Homework homework_of(const std::string& octave, const std::string& python_ex4) {
  if (!octave.empty() && !python_ex4.empty())
    throw std::invalid_argument("give either --octave DIR or --python-ex4 PATH, not both");
  if (!octave.empty()) return {Edition::octave, octave};
  if (!python_ex4.empty()) return {Edition::python, python_ex4};
  return {};
}

Unrolling unrolling_of(Edition edition) {
  return edition == Edition::python ? Unrolling::row_major : Unrolling::column_major;
}

namespace {

/// True when `program` is an executable file in one of PATH's folders.
bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (std::string_view rest = path ? path : "";;) {
    const auto colon = rest.find(':');
    const std::filesystem::path dir(std::string(rest.substr(0, colon)));
    if (!dir.empty() && access((dir / program).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    rest.remove_prefix(colon + 1);
  }
}

/// Octave running the driver on the course's nnCostFunction.m in `given`, a folder or that file.
Implementation octave_homework(const std::filesystem::path& given) {
  namespace fs = std::filesystem;
  const fs::path folder = given.filename() == "nnCostFunction.m" && fs::is_regular_file(given) ? given.parent_path() : given;
  if (!fs::is_regular_file(folder / "nnCostFunction.m")) {
    const std::string what = !fs::exists(folder)        ? "there is no " + folder.string()
                             : fs::is_directory(folder) ? folder.string() + " has no nnCostFunction.m"
                                                        : folder.string() + " is a file, not a folder";
    throw std::invalid_argument(fmt::format("--octave: {}; expected the folder of your ex4 (nnCostFunction.m, sigmoid.m, "
                                            "sigmoidGradient.m)", what));
  }
  // ./setup.sh check installs only what the check itself needs: say how to get Octave.
  if (!on_path("octave-cli"))
    throw std::invalid_argument("--octave needs Octave, and octave-cli is not on PATH; install it with "
                                "apt-get install --no-install-recommends octave (./setup.sh test installs it)");
  Implementation impl;
  impl.edition = Edition::octave;
  impl.driver = std::make_unique<TemporaryFolder>();
  std::ofstream(impl.driver->path() / "gradcheck_serve.m") << octave_driver;
  // Behind the student's folder on the path (the driver adds it at the end): the course's own
  // sigmoid.m for a submission that left it out, and pause and keyboard made harmless, since
  // they would wait for a key on the stdin that carries gradcheck's requests.
  const std::filesystem::path fallback = impl.driver->path() / "course";
  std::filesystem::create_directories(fallback);
  std::ofstream(fallback / "sigmoid.m") << "function g = sigmoid(z)\n% The course's sigmoid.m, for a submission without one.\n"
                                           "g = 1.0 ./ (1.0 + exp(-z));\nend\n";
  std::ofstream(fallback / "pause.m") << "function pause(varargin)\n% gradcheck: nobody is there to press a key.\nend\n";
  std::ofstream(fallback / "keyboard.m") << "function keyboard(varargin)\n% gradcheck: no debugging prompt while checking.\nend\n";
  // system("echo …") would write to the stdout that carries the replies: its output is collected
  // with what the student's code prints instead, as Octave shows it (status too, as ans).
  std::ofstream(fallback / "system.m")
      << "function [status, output] = system(cmd, return_output, varargin)\n"
         "% gradcheck: the command's output goes with what nnCostFunction prints, never to the replies.\n"
         "[status, output] = builtin('system', cmd, true, varargin{:});\n"
         "if nargout < 2 && (nargin < 2 || ~return_output)\n  printf('%s', output);\nend\nend\n";
  // Ahead of Octave's own: plotting left in does nothing (octave-cli has no screen, and figure
  // errored for a right submission), and exit or quit says what happened instead of ending the
  // check with no reply.
  const std::filesystem::path ahead = impl.driver->path() / "ahead";
  std::filesystem::create_directories(ahead);
  for (const char* name : {"figure", "plot", "hold", "xlabel", "ylabel", "zlabel", "title", "legend", "drawnow", "close",
                           "axis", "grid", "subplot", "clf", "imagesc", "colormap", "colorbar", "scatter", "print", "saveas"})
    std::ofstream(ahead / (std::string(name) + ".m"))
        << "function varargout = " << name << "(varargin)\n% gradcheck: no screen to plot on while checking.\n"
        << "varargout = num2cell(ones(1, nargout));\nend\n";
  for (const char* name : {"exit", "quit"})
    std::ofstream(ahead / (std::string(name) + ".m"))
        << "function " << name << "(varargin)\nerror('gradcheck:exit', 'nnCostFunction called " << name
        << ", which would end the check; remove it');\nend\n";
  impl.argv = {"octave-cli", "--quiet",    "--norc", "--path", folder.string(), "--path", impl.driver->path().string(),
               "--eval",     "gradcheck_serve"};
  impl.shown = "--octave " + folder.string();
  impl.student = "nnCostFunction.m in " + folder.string();
  return impl;
}

}  // namespace

bool defines_nn_cost_function(const std::filesystem::path& file) {
  const std::string name = file.filename().string(), extension = file.extension().string();
  std::error_code unreadable;  // a link in a loop, a dangling one: not a file that defines anything
  if (name.rfind('.', 0) == 0 || (extension != ".py" && extension != ".ipynb") ||
      !std::filesystem::is_regular_file(file, unreadable))
    return false;
  // At most 64 MiB of it (a notebook with its plots is a few MiB): a student's file never costs
  // gradcheck more memory than that.
  constexpr std::size_t cap = std::size_t{64} << 20;
  std::ifstream in(file, std::ios::binary);
  std::string text;
  char buffer[1 << 16];
  while (text.size() < cap && (in.read(buffer, sizeof buffer) || in.gcount() > 0))
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  return defines_nn_cost_function(text, extension == ".ipynb");
}

bool defines_nn_cost_function(std::string_view text, bool notebook) {
  // A statement `def nnCostFunction(` at the start of a line; in a notebook's JSON a cell's line
  // starts after an opening `"` (not an escaped `\"`) or the escape `\n`. The words in a comment
  // or a print are not a definition.
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  for (std::size_t at = text.find("def"); at != std::string_view::npos; at = text.find("def", at + 1)) {
    std::size_t before = at;
    while (before > 0 && blank(text[before - 1])) --before;
    const bool escaped = before >= 2 && text[before - 2] == '\\';
    const bool line_start = before == 0 || text[before - 1] == '\n' ||
                            (notebook && ((text[before - 1] == '"' && !escaped) || (escaped && text[before - 1] == 'n')));
    std::size_t after = at + 3;
    if (!line_start || after >= text.size() || !blank(text[after])) continue;
    while (after < text.size() && blank(text[after])) ++after;
    constexpr std::string_view name = "nnCostFunction";
    if (text.substr(after, name.size()) != name) continue;
    after += name.size();
    while (after < text.size() && blank(text[after])) ++after;
    if (after < text.size() && text[after] == '(') return true;
  }
  return false;
}

std::vector<std::filesystem::path> python_student_files(const std::filesystem::path& folder) {
  // utils.py last: a student who wrote nnCostFunction there imports it into the notebook
  // (`from utils import nnCostFunction`), and checking utils.py checks that definition.
  std::vector<std::filesystem::path> notebooks, scripts, utils;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
    if (defines_nn_cost_function(entry.path()))
      (entry.path().extension() == ".ipynb" ? notebooks : entry.path().filename() == "utils.py" ? utils : scripts)
          .push_back(entry.path());
  std::sort(notebooks.begin(), notebooks.end());
  std::sort(scripts.begin(), scripts.end());
  notebooks.insert(notebooks.end(), scripts.begin(), scripts.end());
  notebooks.insert(notebooks.end(), utils.begin(), utils.end());
  return notebooks;
}

namespace {

/// Python running the driver on the Python edition's nnCostFunction in `path` (a .py file, a
/// notebook, or a folder holding one). Debian's python3 is the one with numpy.
Implementation python_homework(const std::filesystem::path& path) {
  const bool folder = std::filesystem::is_directory(path);
  const std::string extension = path.extension().string();
  if (!folder && !(std::filesystem::is_regular_file(path) && (extension == ".py" || extension == ".ipynb")))
    throw std::invalid_argument(fmt::format("--python-ex4 takes the .py file or the notebook (.ipynb) that defines "
                                            "nnCostFunction, or its folder; got {}",
                                            std::filesystem::exists(path) ? path.string() : path.string() + " (not found)"));
  const char* chosen = std::getenv("GRADCHECK_PYTHON");
  std::string python = chosen && *chosen ? chosen : access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  if (python.find('/') == std::string::npos && !on_path(python))
    throw std::invalid_argument("--python-ex4 needs Python 3 with numpy, and python3 is not on PATH; install it with "
                                "apt-get install python3-numpy (./setup.sh test installs it)");
  Implementation impl;
  impl.edition = Edition::python;
  impl.driver = std::make_unique<TemporaryFolder>();
  std::ofstream(impl.driver->path() / "gradcheck_ex4.py") << python_ex4_driver;
  std::ofstream(impl.driver->path() / "gradcheck_adapter.py") << python_adapter;
  std::ofstream(impl.driver->path() / "gradcheck_model.py") << python_model;
  std::ofstream(impl.driver->path() / "gradcheck_watch.py") << python_watch;
  std::ofstream(impl.driver->path() / "gradcheck_ex4_load.py") << python_ex4_loader;
  // -E -s: the student's folder, not the user's environment or site packages, decides what
  // imports; -B: nothing written beside the student's files.
  // A folder's file is chosen here, as grade chooses it, and named: with an exported notebook
  // beside a .py file, check and grade judged different files and said neither.
  std::filesystem::path file = path;
  std::string others;
  if (folder) {
    const std::vector<std::filesystem::path> files = python_student_files(path);
    if (files.empty())
      throw std::invalid_argument(fmt::format("--python-ex4: no .ipynb or .py file in {} defines nnCostFunction; expected "
                                              "the folder of your exercise 4 (exercise4.ipynb), or that file",
                                              path.string()));
    file = files.front();
    for (std::size_t k = 1; k < files.size(); ++k) others += (others.empty() ? "" : ", ") + files[k].filename().string();
  }
  impl.argv = {python, "-E", "-s", "-B", (impl.driver->path() / "gradcheck_ex4.py").string(), file.string()};
  impl.shown = "--python-ex4 " + path.string();
  impl.student = "nnCostFunction in " + file.string() +
                 (others.empty() ? "" : " (also defined in " + others + ": give that file to --python-ex4 to check it)");
  return impl;
}

}  // namespace

Implementation implementation_of(const std::vector<std::string>& argv, const Homework& homework) {
  if (homework.edition == Edition::none) {
    Implementation impl;
    impl.argv = argv;
    impl.shown = "--";
    for (const auto& a : argv) impl.shown += " " + (a.find_first_of(" '\"") == std::string::npos ? a : "'" + a + "'");
    return impl;
  }
  if (!argv.empty())
    throw std::invalid_argument(fmt::format("give either {} or an implementation after --, not both",
                                            homework.edition == Edition::octave ? "--octave DIR" : "--python-ex4 PATH"));
  const std::filesystem::path path = std::filesystem::absolute(homework.path);
  return homework.edition == Edition::octave ? octave_homework(path) : python_homework(path);
}

void require_course_network(const Architecture& arch, const Homework& homework) {
  if (homework.edition == Edition::none) return;
  if (arch.layers() != 3 || arch.activation(2) != Activation::sigmoid || arch.output != Output::sigmoid_logistic)
    throw std::invalid_argument(fmt::format("{} checks the course's nnCostFunction, which takes 3 layers of "
                                            "sigmoid units and the logistic cost; got {}",
                                            homework.edition == Edition::octave ? "--octave" : "--python-ex4", describe(arch)));
}

}  // namespace gradcheck::cli
