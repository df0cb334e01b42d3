// gradcheck_benchmark protocol-path: an implementation checked through the protocol at ex4's
// size (400-25-10, m = 5,000, λ = 3, the numpy fixture) against the reference check alone, each
// row a whole process (this program again, `protocol-path-row …`), the median of 3 runs, with
// what made the protocol path slow switched back on for the "before" rows: the allocator's
// default thresholds (util/allocator.hpp), request 1 in JSON numbers, the Taylor test's 11 steps
// a side. One run, one machine.

#include "gradcheck/check/external.hpp"
#include "gradcheck/model/course.hpp"
#include "gradcheck/numeric/incremental.hpp"
#include "gradcheck/util/allocator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace gradcheck;
using Clock = std::chrono::steady_clock;

Instance ex4_instance() {
  return course_instance(make_architecture("400-25-10", Activation::sigmoid, Output::sigmoid_logistic), 5000, 3);
}

/// How one row runs: what is checked, and which of the old ways are switched back on.
struct Row {
  const char* label;
  const char* what;       // reference (the reference check alone), full (reference mode), fast-self
  const char* allocator;  // default or kept
  const char* first;      // json or base64: request 1's numbers
  int taylor_stride;      // halvings between Taylor steps (1: before)
};

std::string path_of_this_program() {
  std::vector<char> buffer(4096);
  const ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : "gradcheck_benchmark";
}

/// Runs `row` as its own process: seconds end to end and what it printed (its verdict).
std::pair<double, std::string> run(const std::string& self, const Row& row) {
  const std::string command = fmt::format("'{}' protocol-path-row {} {} {} {}", self, row.what, row.allocator, row.first,
                                          row.taylor_stride);
  const auto start = Clock::now();
  std::string said;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) said += buffer;
    pclose(pipe);
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  while (!said.empty() && said.back() == '\n') said.pop_back();
  return {took, said};
}

}  // namespace

/// One row, in this process: what = reference | full | fast-self, allocator = default | kept,
/// first = json | base64, then the Taylor stride. Prints the verdict and its requests.
int protocol_path_row(const std::string& fixtures, int argc, char** argv) {
  if (argc < 4) return 2;
  const std::string what = argv[0], allocator = argv[1], first = argv[2];
  if (allocator == "kept") keep_freed_memory();
  const Instance ex4 = ex4_instance();
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (what == "reference") {
    CheckOptions options;
    options.threads = useful_threads(Layout(ex4.problem.architecture).parameters(), threads);
    fmt::print("{}\n", check_reference(ex4.problem, ex4.theta, options).pass ? "PASS" : "FAIL");
    return 0;
  }
  Child child({"/usr/bin/python3", fixtures + "/python/correct.py"});
  if (first == "base64") child.peer = {protocol_version, true};  // as --python-ex4's driver and --encoding base64
  ExternalOptions options;
  options.check.threads = useful_threads(Layout(ex4.problem.architecture).parameters(), threads);
  options.check.tolerances = for_an_implementation(options.check.tolerances, std::nullopt, std::nullopt);
  if (what == "full") {
    const ExternalResult r = check_external(child, ex4.problem, ex4.theta, options);
    fmt::print("{}, {} request{}\n", r.result.pass ? "PASS" : "FAIL", r.requests, r.requests == 1 ? "" : "s");
    return 0;
  }
  options.self = true;
  DirectionalOptions directional;
  directional.tolerances = options.check.tolerances;
  directional.taylor_stride = std::atoi(argv[3]);
  std::size_t requests = 0;
  const DirectionalResult r = check_external_directional(child, ex4.problem, ex4.theta, options, directional, nullptr, requests);
  fmt::print("{}, {} requests, {} evaluations of J\n", r.pass ? "PASS" : "FAIL", requests, r.evaluations + 1);
  return 0;
}

int protocol_path_benchmark() {
  const std::string self = path_of_this_program();
  fmt::print("gradcheck_benchmark protocol-path: 400-25-10, m = 5,000, λ = 3, fixtures/python/correct.py (numpy) through "
             "/usr/bin/python3; each row a whole process, median of 3\n\n");
  fmt::print("| check | allocator | request 1 | Taylor steps a side | time | × the reference alone | verdict |\n"
             "|---|---|---|---:|---:|---:|---|\n");
  const Row rows[] = {
      {"the reference check alone", "reference", "kept", "-", 2},
      {"reference mode, before", "full", "default", "json", 2},
      {"reference mode", "full", "kept", "json", 2},
      {"reference mode, after", "full", "kept", "base64", 2},
      {"fast self mode, before", "fast-self", "default", "json", 1},
      {"fast self mode", "fast-self", "kept", "base64", 1},
      {"fast self mode, after", "fast-self", "kept", "base64", 2},
  };
  double alone = 0;
  for (const Row& row : rows) {
    std::vector<double> times;
    std::string said;
    for (int k = 0; k < 3; ++k) {
      auto [took, verdict] = run(self, row);
      times.push_back(took);
      said = verdict;
    }
    std::sort(times.begin(), times.end());
    const double median = times[1];
    if (alone == 0) alone = median;
    const bool fast = std::string(row.what) == "fast-self";
    fmt::print("| {} | {} | {} | {} | {:.2f} s | {:.2f} | {} |\n", row.label,
               std::string(row.allocator) == "kept" ? "thresholds set" : "glibc's defaults",
               std::string(row.first) == "-" ? "-" : std::string(row.first) == "json" ? "JSON numbers" : "base64",
               fast ? std::to_string(10 / row.taylor_stride + 1) : "-", median, median / alone, said);
    std::fflush(stdout);
  }
  return 0;
}
