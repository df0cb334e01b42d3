// gradcheck_benchmark protocol: what talking to an implementation costs, through the Python
// adapter (Debian's /usr/bin/python3 with numpy), protocol version 1 against version 2, and the
// fast mode through an implementation at the course's ex4 size. One run, one machine.

#include "gradcheck/check/external.hpp"
#include "gradcheck/check/model.hpp"
#include "gradcheck/model/course.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace gradcheck;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// Seconds per J evaluation and requests per second, asking `points` coordinates' J through a
/// session of `version` with `script` (one child, started before timing).
struct Rate {
  double per_evaluation = 0;
  double requests_per_second = 0;
  std::size_t requests = 0;
};

Rate rate(const std::string& script, const Instance& n, int version, std::size_t points) {
  Child child({"/usr/bin/python3", script});
  Session session(child, n.problem, nullptr, version);
  session.ask(n.theta, Want::both);
  const Index P = Layout(n.problem.architecture).parameters();
  std::vector<Point> at;
  for (std::size_t p = 0; p < points; ++p) at.push_back({static_cast<Index>(p) % P, p % 2 ? -1e-4 : 1e-4});
  const std::size_t before = session.requests();
  const auto start = Clock::now();
  session.costs(at);
  const double took = since(start);
  Rate r;
  r.requests = session.requests() - before;
  r.per_evaluation = took / static_cast<double>(points);
  r.requests_per_second = static_cast<double>(r.requests) / took;
  return r;
}

std::string ms(double seconds) { return seconds >= 1 ? fmt::format("{:.2f} s", seconds) : fmt::format("{:.3f} ms", seconds * 1e3); }

}  // namespace

int protocol_benchmark(const std::string& fixtures) {
  const std::string correct = fixtures + "/python/correct.py", null = fixtures + "/python/null_cost.py";
  fmt::print("gradcheck_benchmark protocol: through the Python adapter (/usr/bin/python3, numpy), one child per row\n\n");
  fmt::print("| network | m | J evaluations | version | requests | requests/s | per J: numpy backprop | per J: protocol overhead "
             "(a J that costs nothing) |\n|---|---:|---:|---|---:|---:|---:|---:|\n");
  struct Case {
    const char* sizes;
    Index m;
    std::size_t points;
  };
  // ex4's size in version 2 only: in version 1 each of its requests carries 41.7 MB of X.
  for (const Case c : {Case{"3-5-3", 5, 400}, Case{"200-40-10", 50, 400}, Case{"400-25-10", 5000, 100}}) {
    const Instance n = course_instance(make_architecture(c.sizes, Activation::sigmoid, Output::sigmoid_logistic), c.m, 0);
    for (const int version : {1, 2}) {
      if (c.m > 1000 && version == 1) continue;
      const Rate real = rate(correct, n, version, c.points), overhead = rate(null, n, version, c.points);
      fmt::print("| {} | {} | {} | {} | {} | {:.0f} | {} | {} |\n", c.sizes, c.m, c.points, version, real.requests,
                 real.requests_per_second, ms(real.per_evaluation), ms(overhead.per_evaluation));
      std::fflush(stdout);
    }
  }

  // The measurement: self mode on 200-40-10, m = 50, --sample 50, through the adapter,
  // end to end (the child started, every request, the judgement).
  fmt::print("\n| self mode, 200-40-10, m = 50, --sample 50, end to end | version | requests | time | ratio |\n"
             "|---|---|---:|---:|---:|\n");
  double first = 0;
  for (const int version : {1, 2}) {
    const Instance n = course_instance(make_architecture("200-40-10", Activation::sigmoid, Output::sigmoid_logistic), 50, 0);
    ExternalOptions options;
    options.self = true;
    options.sample_per_layer = 50;
    options.protocol = version;
    const auto start = Clock::now();
    Child child({"/usr/bin/python3", correct});
    const ExternalResult r = check_external(child, n.problem, n.theta, options);
    const double took = since(start);
    if (version == 1) first = took;
    fmt::print("| {} | {} | {} | {} | {} |\n", r.result.pass ? "PASS" : "FAIL", version, r.requests, ms(took),
               version == 1 ? "1" : fmt::format("{:.0f}× faster", first / took));
    std::fflush(stdout);
  }

  // The fast mode at ex4's size: 400-25-10, m = 5,000, a numpy backprop, end to end, request 1 in
  // base64 as with --encoding base64 (benchmark_protocol_path.cpp has it in JSON too).
  fmt::print("\n| fast mode (--directional), 400-25-10, m = 5,000, numpy, --encoding base64, end to end | mode | requests | time | verdict |\n"
             "|---|---|---:|---:|---|\n");
  const Instance ex4 = course_instance(make_architecture("400-25-10", Activation::sigmoid, Output::sigmoid_logistic), 5000, 3);
  for (const std::string fixture : {"correct", "bias_regularized", "average_missing", "sigmoid_for_derivative", "cost_unregularized"}) {
    for (const bool self : {true, false}) {
      ExternalOptions options;
      options.self = self;
      DirectionalOptions directional;
      directional.tolerances = options.check.tolerances;
      std::size_t requests = 0;
      const auto start = Clock::now();
      Child child({"/usr/bin/python3", fixtures + "/python/" + fixture + ".py"});
      child.peer = {protocol_version, true};  // it reads base64 from request 1 on
      const DirectionalResult r = check_external_directional(child, ex4.problem, ex4.theta, options, directional, nullptr, requests);
      fmt::print("| {} | {} | {} | {} | {} |\n", fixture, self ? "self" : "reference", requests, ms(since(start)),
                 r.pass ? "PASS" : "FAIL");
      std::fflush(stdout);
    }
  }
  return 0;
}

/// Side by side with torch.autograd.gradcheck (full and fast_mode), on the same network, data and
/// planted mistakes (fixtures/torch/conv_net.py), in one run.
int torch_benchmark(const std::string& fixtures) {
  const std::string conv = fixtures + "/torch/conv_net.py";
  // The peer first: fixtures/torch/peer_gradcheck.py prints mistake, mode, seconds, what it said.
  std::map<std::string, std::string> peer;
  const std::string command = "/usr/bin/python3 " + fixtures + "/torch/peer_gradcheck.py";
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) {
      std::istringstream line(buffer);
      std::string mistake, mode, seconds, said;
      std::getline(line, mistake, '\t');
      std::getline(line, mode, '\t');
      std::getline(line, seconds, '\t');
      std::getline(line, said);
      peer[mistake + "/" + mode] = fmt::format("{} ms: {}", static_cast<int>(std::stod(seconds) * 1e3), said);
    }
    pclose(pipe);
  }
  fmt::print("gradcheck_benchmark torch: fixtures/torch/conv_net.py (Conv2d 3→8, 3×3, a custom Swish, a custom linear layer; "
             "P = {}), float64, one run\n\n", 8 * 3 * 3 * 3 + 8 + 4 * 128 + 4);
  fmt::print("| planted mistake | torch.autograd.gradcheck | its fast_mode | gradcheck check --model | gradcheck check --model --directional |\n"
             "|---|---|---|---|---|\n");
  for (const std::string mistake : {"correct", "swish_backward", "linear_bias_grad", "linear_weight_scale"}) {
    std::string ours[2];
    for (const bool fast : {false, true}) {
      ModelOptions options;
      options.check.tolerances = sound_tolerances(options.check.difference, std::nullopt, std::nullopt, options.check.tolerances.floor);
      if (fast) options.directional = DirectionalOptions{};
      if (fast) options.directional->tolerances = options.check.tolerances;
      std::vector<std::string> argv{"/usr/bin/python3", conv};
      if (mistake != "correct") argv.push_back(mistake);
      const auto start = Clock::now();
      Child child(argv);
      const ModelResult r = check_model(child, options);
      const double took = since(start);
      std::string said = format_text(r, "");
      said = said.substr(said.rfind('\n', said.size() - 2) + 1);
      said.pop_back();
      ours[fast] = fmt::format("{} ms: {}", static_cast<int>(took * 1e3), said);
    }
    fmt::print("| {} | {} | {} | {} | {} |\n", mistake, peer[mistake + "/full"], peer[mistake + "/fast_mode"], ours[0], ours[1]);
    std::fflush(stdout);
  }
  return 0;
}
