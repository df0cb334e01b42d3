// gradcheck_benchmark: how fast the full finite-difference check and the reference backprop are.
//
// For each network it times, in one run on one machine:
//   naive         central differences with a whole forward pass per evaluation of J (2P passes)
//   incremental   the same quotients by incremental evaluation (incremental.hpp), 1 thread
//   threads       incremental on every hardware thread
//   backprop      the vectorized reference backprop, its GFLOP/s, and the GFLOP/s of Eigen's
//                 matrix product alone on exactly the products backprop makes
// A measurement whose full run would exceed the budget times an evenly spaced sample of the
// coordinates instead and scales it to all P; such entries are marked "≈".
//
// Then it measures the fast mode (--directional) against the planted mistakes: over random
// networks, how often a mistake that the full check catches is also caught by the directional
// derivatives and by the Taylor test alone.
//
// Usage: gradcheck_benchmark [budget seconds per measurement, default 3]
//        gradcheck_benchmark protocol     (benchmark_protocol.cpp: the protocol and the fast mode
//                                          through an implementation)
//        gradcheck_benchmark torch        (side by side with torch.autograd.gradcheck)
//        gradcheck_benchmark protocol-path (benchmark_protocol_path.cpp: an implementation at ex4's
//                                          size against the reference alone, before and after)
//        gradcheck_benchmark fast-mode [N] (the fast mode's catch rates alone, Taylor steps N halvings apart)

#include "gradcheck/model/backprop.hpp"
#include "gradcheck/check/check.hpp"
#include "gradcheck/model/course.hpp"
#include "gradcheck/numeric/directional.hpp"
#include "gradcheck/diagnosis/mutants.hpp"
#include "gradcheck/numeric/finite_diff.hpp"
#include "gradcheck/numeric/incremental.hpp"
#include "gradcheck/util/allocator.hpp"

#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace gradcheck;
using Clock = std::chrono::steady_clock;

/// Mean wall time of f over enough repetitions to fill `at_least` seconds (one run if longer).
template <class F> double seconds(F&& f, double at_least = 0.25) {
  int runs = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    f();
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < at_least);
  return elapsed / runs;
}

/// Every stride-th flat index, so each layer is represented in proportion to its size.
std::vector<Index> sample(Index parameters, Index count) {
  std::vector<Index> picked;
  const Index stride = std::max<Index>(1, parameters / std::max<Index>(1, count));
  for (Index k = 0; k < parameters; k += stride) picked.push_back(k);
  return picked;
}

struct Timing {
  double seconds = 0;
  bool estimated = false;  // from a sample of the coordinates, scaled to all P
};

std::string show(const Timing& t) {
  const std::string value = t.seconds >= 100 ? fmt::format("{:.0f} s", t.seconds)
                            : t.seconds >= 1    ? fmt::format("{:.2f} s", t.seconds)
                            : t.seconds >= 1e-3 ? fmt::format("{:.1f} ms", t.seconds * 1e3)
                                                : fmt::format("{:.1f} µs", t.seconds * 1e6);
  return (t.estimated ? "≈ " : "") + value;
}

/// Times a full pass over all P coordinates, or a sample scaled to P when the full pass would
/// exceed the budget. `run(coordinates)` does the work for the given coordinates.
template <class Run> Timing time_coordinates(Index parameters, double budget, Run&& run) {
  const std::vector<Index> probe = sample(parameters, 32);
  const double per_coordinate = seconds([&] { run(probe); }, 0.05) / static_cast<double>(probe.size());
  if (per_coordinate * static_cast<double>(parameters) <= budget) {
    const std::vector<Index> all = sample(parameters, parameters);
    return {seconds([&] { run(all); }), false};
  }
  const auto count = static_cast<Index>(budget / per_coordinate);
  const std::vector<Index> picked = sample(parameters, std::max<Index>(count, 32));
  const double t = seconds([&] { run(picked); });
  return {t * static_cast<double>(parameters) / static_cast<double>(picked.size()), true};
}

/// Floating-point operations of one vectorized backprop: forward z = a Θᵀ, then Δ = δᵀ a per
/// layer and δ Θ for every layer but the first (2 flops per multiply-add).
double backprop_flops(const Architecture& arch, Index m) {
  double flops = 0;
  for (Index l = 1; l < arch.layers(); ++l)
    flops += 2.0 * static_cast<double>(m * arch.size(l) * arch.size(l + 1)) * (l == 1 ? 2 : 3);
  return flops;
}

/// The matrix products of one backprop, alone, with the same shapes.
double matrix_product_seconds(const Instance& n) {
  const Architecture& arch = n.problem.architecture;
  const Index m = n.problem.examples();
  std::vector<Eigen::MatrixXd> a, delta, z, Delta, back;
  for (Index l = 1; l < arch.layers(); ++l) {
    a.push_back(Eigen::MatrixXd::Random(m, arch.size(l)));
    delta.push_back(Eigen::MatrixXd::Random(m, arch.size(l + 1)));
    z.emplace_back(m, arch.size(l + 1));
    Delta.emplace_back(arch.size(l + 1), arch.size(l));
    back.emplace_back(m, arch.size(l));
  }
  return seconds([&] {
    for (std::size_t k = 0; k < a.size(); ++k) {
      const auto weights = n.theta[k].rightCols(arch.size(static_cast<Index>(k) + 1));
      z[k].noalias() = a[k] * weights.transpose();
      Delta[k].noalias() = delta[k].transpose() * a[k];
      if (k > 0) back[k].noalias() = delta[k] * weights;
    }
  });
}

/// For each planted mistake, over `networks` random networks (2–6 layers of 1–8 units, every
/// activation and output/cost pair, m ≤ 16, λ ∈ (0, 5]): in how many the full check fails (the
/// mistake changes D there), and how many of those the fast mode also fails.
void measure_fast_mode(const std::string& title, const std::vector<Instance>& cases, const DirectionalOptions& options) {
  fmt::print("\nThe fast mode (3 random directions per layer) against the planted mistakes, over {}:\n\n", title);
  fmt::print("| mistake | full check fails | fast mode fails | directional derivatives fail | Taylor test fails | missed by the fast mode |\n");
  fmt::print("|---|---:|---:|---:|---:|---:|\n");
  // The planted mistakes, then two error patterns confined to one entry (a random k per network),
  // the kind random projections dilute.
  struct Row {
    std::string name;
    std::function<Eigen::VectorXd(const Instance&, std::uint64_t)> gradient;
  };
  std::vector<Row> rows;
  for (const Mistake mistake : mistakes)
    rows.push_back({std::string(name(mistake)), [mistake](const Instance& n, std::uint64_t) {
                      return Eigen::VectorXd(unroll(backprop_with(mistake, n.problem, n.theta).D));
                    }});
  const auto one_entry = [](double factor) {
    return [factor](const Instance& n, std::uint64_t pick) {
      Eigen::VectorXd D = unroll(backprop(n.problem, n.theta).D);
      D(static_cast<Index>(pick % static_cast<std::uint64_t>(D.size()))) *= factor;
      return D;
    };
  };
  rows.push_back({"one entry 10% off (synthetic)", one_entry(1.1)});
  rows.push_back({"one entry's sign flipped (synthetic)", one_entry(-1)});

  for (const Row& row : rows) {
    int full = 0, fast = 0, directional = 0, taylor = 0;
    for (std::size_t c = 0; c < cases.size(); ++c) {
      const Instance& n = cases[c];
      const Layout layout(n.problem.architecture);
      const Eigen::VectorXd theta = unroll(n.theta), D = row.gradient(n, 7919 * c + 1);
      IncrementalOptions incremental;
      std::vector<bool> kinks;
      const NumericalGradient numerical = incremental_gradient(n.problem, n.theta, incremental, &kinks);
      if (compare(layout, D, numerical.gradient, default_tolerances({}), kinks).pass) continue;
      ++full;
      const DirectionalResult r = check_directional(reference_cost(n.problem), theta, D, layout, options);
      bool derivative_fails = false, taylor_fails = false;
      for (const auto& layer : r.layers) {
        derivative_fails = derivative_fails || !(layer.max_relative_error <= 1e-4);
        taylor_fails = taylor_fails || !taylor_test_passes(layer, options);
      }
      fast += !r.pass;
      directional += derivative_fails;
      taylor += taylor_fails;
    }
    const auto percent = [full](int k) { return full ? 100.0 * k / full : 0.0; };
    fmt::print("| {} | {} | {} ({:.1f}%) | {} ({:.1f}%) | {} ({:.1f}%) | {} |\n", row.name, full, fast, percent(fast),
               directional, percent(directional), taylor, percent(taylor), full - fast);
  }
  // And the right gradient, where any FAIL is a false alarm.
  int false_alarms = 0;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Instance& n = cases[c];
    const Layout layout(n.problem.architecture);
    const bool pass = check_directional(reference_cost(n.problem), unroll(n.theta), unroll(backprop(n.problem, n.theta).D),
                                        layout, options).pass;
    if (!pass) fmt::print(stderr, "false alarm on network {}: {}\n", c, describe(n.problem.architecture));
    false_alarms += !pass;
  }
  fmt::print("\nThe right gradient (the reference's backprop): the fast mode fails {} of {}.\n", false_alarms, cases.size());
}

double peak_memory_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace

int protocol_benchmark(const std::string& fixtures);
int protocol_path_benchmark();
int catch_rates(const DirectionalOptions& options);
int protocol_path_row(const std::string& fixtures, int argc, char** argv);
int torch_benchmark(const std::string& fixtures);

int main(int argc, char** argv) {
  if (argc > 2 && std::string(argv[1]) == "protocol-path-row") return protocol_path_row(GRADCHECK_FIXTURES, argc - 2, argv + 2);
  keep_freed_memory();  // as the command line does (util/allocator.hpp)
  if (argc > 1 && std::string(argv[1]) == "protocol") return protocol_benchmark(GRADCHECK_FIXTURES);
  if (argc > 1 && std::string(argv[1]) == "protocol-path") return protocol_path_benchmark();
  if (argc > 1 && std::string(argv[1]) == "fast-mode") {  // the catch rates alone; [N]: Taylor steps N halvings apart
    DirectionalOptions options;
    if (argc > 2) options.taylor_stride = std::atoi(argv[2]);
    return catch_rates(options);
  }
  if (argc > 1 && std::string(argv[1]) == "torch") return torch_benchmark(GRADCHECK_FIXTURES);
  const double budget = argc > 1 ? std::atof(argv[1]) : 3.0;
  if (!(budget > 0)) {
    fmt::print(stderr, "gradcheck_benchmark: error: budget '{}' is not a positive number of seconds\n", argv[1]);
    return 2;
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  struct Case {
    const char* sizes;
    Index m;
  };
  const Case cases[] = {{"3-5-3", 5}, {"400-25-10", 5000}, {"784-100-10", 1000}, {"784-256-128-10", 256}};

  fmt::print("gradcheck_benchmark: sigmoid hidden layers, sigmoid-logistic output, dense random X in [−1, 1],\n"
             "central differences with ε = 1e-4 over all P parameters; {} hardware threads; budget {} s\n\n",
             threads, budget);
  fmt::print("| network | m | P | naive FD | incremental, 1 thread | incremental, {} threads | speed-up | backprop | "
             "backprop GFLOP/s | matrix product GFLOP/s | backprop / product | peak memory |\n",
             threads);
  fmt::print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Case& c : cases) {
    const Architecture arch = make_architecture(c.sizes, Activation::sigmoid, Output::sigmoid_logistic);
    const Instance n = random_instance(arch, c.m, 0, 1);
    const Index P = Layout(arch).parameters();
    const Eigen::VectorXd flat = unroll(n.theta);
    const FiniteDifference fd;

    const Timing naive = time_coordinates(P, budget, [&](const std::vector<Index>& coordinates) {
      numerical_gradient(reference_cost(n.problem), flat, fd, coordinates);
    });
    const auto incremental_on = [&](unsigned workers) {
      return time_coordinates(P, budget, [&](const std::vector<Index>& coordinates) {
        IncrementalOptions options;
        options.threads = workers;
        options.coordinates = coordinates;
        incremental_gradient(n.problem, n.theta, options);
      });
    };
    const Timing one = incremental_on(1), many = incremental_on(threads);
    const double backprop_time = seconds([&] { backprop(n.problem, n.theta); });
    const double flops = backprop_flops(arch, c.m);
    const double product_time = matrix_product_seconds(n);

    fmt::print("| {} | {} | {} | {} | {} | {} | {:.0f}× | {} | {:.1f} | {:.1f} | {:.0f}% | {:.0f} MB |\n", c.sizes, c.m, P,
               show(naive), show(one), show(many), naive.seconds / many.seconds, show({backprop_time, false}),
               flops / backprop_time * 1e-9, flops / product_time * 1e-9, 100 * product_time / backprop_time,
               peak_memory_mb());
    std::fflush(stdout);
  }
  fmt::print("\n≈: timed on an evenly spaced sample of the coordinates and scaled to all P.\n"
             "peak memory: the process's maximum resident set so far (ru_maxrss).\n");
  return catch_rates({});
}

/// The fast mode's catch rates on the catalog's mistakes (README, "The fast mode"), with `options`.
int catch_rates(const DirectionalOptions& options) {
  std::mt19937_64 engine(2026);
  std::vector<Instance> small, wide;
  while (small.size() < 1000) {
    Architecture arch;
    const auto L = 2 + static_cast<Index>(engine() % 5);
    for (Index l = 0; l < L; ++l) arch.sizes.push_back(1 + static_cast<Index>(engine() % 8));
    for (Index l = 0; l + 2 < L; ++l) arch.hidden.push_back(static_cast<Activation>(engine() % 4));
    arch.output = static_cast<Output>(engine() % 4);
    const auto m = 1 + static_cast<Index>(engine() % 16);
    small.push_back(random_instance(arch, m, 0.1 * static_cast<double>(1 + engine() % 50), engine()));
  }
  measure_fast_mode("1,000 random networks (2–6 layers of 1–8 units, every activation and output/cost pair, "
                    "m ≤ 16, λ ∈ (0, 5])", small, options);
  const Architecture wide_arch = make_architecture("100-25-10", Activation::sigmoid, Output::sigmoid_logistic);
  while (wide.size() < 50) wide.push_back(random_instance(wide_arch, 200, 1, engine()));
  measure_fast_mode("50 random 100-25-10 networks (P = 2,785, m = 200, λ = 1)", wide, options);
  return 0;
}
