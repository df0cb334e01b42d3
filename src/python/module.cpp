// gradcheck's Python package, its C++ half (gradcheck._gradcheck): `gradcheck check` run in the
// caller's own process. The implementation answers the same protocol requests, through a Python
// callable instead of a child's pipes, and the same code judges and reports: the command line's
// parsing, its checks, its report files and its exit codes. One judge, not two.

#include "cli/commands.hpp"
#include "gradcheck/report/json_report.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;
using namespace gradcheck;
using namespace gradcheck::cli;

namespace {

/// The implementation, answering in this process: each request line goes to `answer`, a Python
/// callable returning the reply line. An exception it raises (the user's own code failing) leaves
/// the check as py::error_already_set and reaches the caller as the exception it was.
class PythonChannel final : public Channel {
 public:
  PythonChannel(py::function answer, std::string name) : answer_(std::move(answer)), name_(std::move(name)) {}

  std::string exchange(const std::string& line, const std::string&) override {
    py::gil_scoped_acquire gil;
    return answer_(line).cast<std::string>();
  }
  const std::string& command() const override { return name_; }
  /// No timeout is enforced in process (the caller's code is the caller's); it only sizes the
  /// batches of points, at most a second's work each.
  std::chrono::milliseconds timeout() const override { return std::chrono::minutes(10); }

 private:
  py::function answer_;
  std::string name_;
};

/// std::cout and std::cerr into strings while it lives: what the command line would print.
class Captured {
 public:
  Captured() : out_(std::cout.rdbuf(out.rdbuf())), err_(std::cerr.rdbuf(err.rdbuf())) {}
  ~Captured() {
    std::cout.rdbuf(out_);
    std::cerr.rdbuf(err_);
  }
  Captured(const Captured&) = delete;
  Captured& operator=(const Captured&) = delete;
  std::ostringstream out, err;

 private:
  std::streambuf* out_;
  std::streambuf* err_;
};

/// The command line's state is the process's (its promised report files, its run's identity):
/// one check at a time.
std::mutex one_at_a_time;

/// Runs `gradcheck ARGS…` (a check command line) with `answer` as the implementation named `name`,
/// as main() runs it: (exit code, what it printed on stdout, on stderr). Bad options and bad input
/// are exit 2 with their line on stderr, as on the command line; an exception the implementation
/// raised propagates.
std::tuple<int, std::string, std::string> run(std::vector<std::string> args, py::function answer, std::string name) {
  // A check from inside the function under check would wait for the one it is part of.
  thread_local bool checking = false;
  if (checking)
    return {bad_usage, "", "gradcheck: error: a check was started from inside the function it checks; check that "
                           "function on its own, before or after\n"};
  struct Checking {
    Checking() { checking = true; }
    ~Checking() { checking = false; }
  } inside;
  PythonChannel channel(std::move(answer), std::move(name));
  int code = 0;
  std::string out, err;
  {
    py::gil_scoped_release released;  // taken back by the channel for each request
    const std::lock_guard<std::mutex> lock(one_at_a_time);
    Captured captured;
    const auto settled = [&](const std::string& verdict, int exit_code, const std::string& line) {
      settle_reports(verdict);
      captured.err << line << '\n';
      return exit_code;
    };
    pending_reports = PendingReports{};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    CommandLine commands;
    try {
      if (const auto exit_now = parse_command_line(static_cast<int>(argv.size()), argv.data(), commands)) {
        code = *exit_now;
      } else {
        commands.check.channel = &channel;
        code = run_check(commands.check);
        settle_reports("gradcheck ended without writing this report");
      }
    } catch (py::error_already_set&) {
      settle_reports("the implementation raised an exception");
      throw;
    } catch (const Interrupted& e) {
      code = settled("interrupted: " + std::string(e.what()), 130, "gradcheck: interrupted: " + one_line(e.what()));
    } catch (const ImplementationError& e) {
      code = settled("the implementation failed: " + std::string(e.what()), implementation_failed,
                     "gradcheck: implementation failed: " + one_line(e.what()));
      captured.out << "ERROR: the implementation failed: " << one_line(e.what()) << '\n';
    } catch (const std::invalid_argument& e) {
      code = settled("bad input: " + std::string(e.what()), bad_usage, "gradcheck: error: " + one_line(e.what()));
    } catch (const std::runtime_error& e) {
      code = settled(e.what(), bad_usage, "gradcheck: error: " + one_line(e.what()));
    } catch (const std::bad_alloc&) {
      code = settled("out of memory", bad_usage, "gradcheck: error: out of memory");
    } catch (const std::exception& e) {
      code = settled("internal error: " + std::string(e.what()), internal_error,
                     "gradcheck: internal error: " + one_line(e.what()));
    }
    out = captured.out.str();
    err = captured.err.str();
  }
  return {code, out, err};
}

}  // namespace

namespace gradcheck::cli {

// --shrink searches with RapidCheck's shrinking (src/cli/smallest.cpp), and Debian's RapidCheck is a
// static library built without -fPIC, which no shared module can link: in process it is refused, in
// the words of the command that has it. The package offers no shrink option, so this is never reached.
std::string smallest_like(const Architecture&, Index, double, const std::string&, const std::function<bool(const NetworkCase&)>&,
                          bool) {
  throw std::invalid_argument("--shrink is not available in process; run `gradcheck check --shrink` on the command line");
}

}  // namespace gradcheck::cli

PYBIND11_MODULE(_gradcheck, m) {
  m.doc() = "gradcheck's judge, run in this process (use the gradcheck package, not this module)";
  // Its report files go to a folder the package reads and removes at once: nothing to make durable.
  gradcheck::sync_written_files = false;
  m.def("run", &run, py::arg("args"), py::arg("answer"), py::arg("name"),
        "Runs `gradcheck check` with the implementation answering through `answer(request_line) -> "
        "reply_line`; returns (exit code, stdout, stderr).");
}
