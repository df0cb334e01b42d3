// `gradcheck catalog`: the bug catalog, measured.

#include "catalog.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/diagnosis/diagnosis.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace gradcheck {
namespace {

/// A random network of `space` from a plain engine (sizes, activations, cost, m, λ and a seed).
NetworkCase draw(std::mt19937_64& engine, const generate::SearchSpace& space, int min_lambda_tenths) {
  const auto pick = [&engine](auto lo, auto hi) { return lo + static_cast<decltype(lo)>(engine() % static_cast<std::uint64_t>(hi - lo + 1)); };
  NetworkCase c;
  const int L = pick(space.min_layers, space.max_layers);
  for (int l = 0; l < L; ++l) c.architecture.sizes.push_back(pick(Index{1}, space.max_units));
  for (int l = 0; l + 2 < L; ++l)
    c.architecture.hidden.push_back(space.activations[engine() % space.activations.size()]);
  c.architecture.output = space.outputs[engine() % space.outputs.size()];
  c.examples = pick(Index{1}, space.max_examples);
  c.lambda = pick(min_lambda_tenths, space.max_lambda_tenths) / 10.0;
  c.seed = engine() % (1u << 30);
  return c;
}

/// Does `mistake` change this problem's gradient (or J) materially, so that a check can see it?
bool shows(Mistake mistake, const Instance& n) {
  const Gradient<double> right = backprop(n.problem, n.theta), wrong = backprop_with(mistake, n.problem, n.theta);
  if (spoils_cost(mistake)) return std::abs(wrong.J - right.J) > 1e-3 * std::max(1.0, std::abs(right.J));
  for (std::size_t l = 0; l < right.D.size(); ++l)
    if (!((wrong.D[l] - right.D[l]).norm() <= 1e-3 * std::max(right.D[l].norm(), 1e-8))) return true;
  return false;
}

std::string describe_case(const NetworkCase& c) {
  return fmt::format("{}{}, {}, m = {}, λ = {:g}", format_sizes(c.architecture),
                     c.architecture.hidden.empty() ? "" : fmt::format(" ({})", name(c.architecture.hidden.front())),
                     name(c.architecture.output), c.examples, c.lambda);
}

void status(bool enabled, const std::string& text) {
  if (!enabled) return;
  std::fprintf(stderr, "\r\033[K  catalog: %s", text.c_str());
  std::fflush(stderr);
}

}  // namespace

CatalogOutcome run_catalog(const CatalogOptions& options) {
  CatalogOutcome out;
  const generate::SearchSpace space;  // 2–6 layers of 1–8 units, every activation and cost, m ≤ 16, λ ≤ 5
  std::mt19937_64 engine(options.seed);
  std::vector<NetworkCase> cases;
  for (int k = 0; k < options.networks; ++k) cases.push_back(draw(engine, space, 1));  // λ > 0: regularization shows

  // 1. Every compiled-in mistake on the same networks, where it shows.
  for (const Mistake mistake : catalog()) {
    status(options.progress, fmt::format("{}", name(mistake)));
    CatalogRow row;
    row.mistake = mistake;
    for (const NetworkCase& c : cases) {
      if (stop_requested(options.stop)) throw Interrupted("gradcheck catalog stopped part-way");
      const Instance n = c.instance();
      if (!shows(mistake, n)) continue;
      ++row.shows;
      const CheckResult r = check_reference(n.problem, n.theta, {}, mistake);
      if (r.pass) continue;
      ++row.caught;
      // Named: among the mistakes the diagnosis gives (two can give the very same D on a small network).
      const auto& named = r.diagnosis ? r.diagnosis->mistakes : std::vector<std::string>{};
      if (std::find(named.begin(), named.end(), std::string(key(mistake))) != named.end()) ++row.named;
    }
    // The smallest network that still shows the mistake, by RapidCheck's shrinking.
    const SearchOutcome smallest = shrink_search(space, options.seed, 200, [&](const NetworkCase& c) {
      if (stop_requested(options.stop)) return true;  // ends the search; the loop above throws
      const Instance n = c.instance();
      return check_reference(n.problem, n.theta, {}, mistake).pass;
    });
    if (smallest.smallest) row.smallest = describe_case(*smallest.smallest);
    out.rows.push_back(row);
  }

  // 2. False alarms: the reference itself, over every activation and output/cost pair.
  for (const Activation g : space.activations)
    for (const Output o : space.outputs) {
      status(options.progress, fmt::format("false alarms: {} with {}", name(g), name(o)));
      generate::SearchSpace pair = space;
      pair.activations = {g};
      pair.outputs = {o};
      FalseAlarmRow row{g, o, 0, 0, 0};
      for (int k = 0; k < options.false_alarm_networks; ++k) {
        if (stop_requested(options.stop)) throw Interrupted("gradcheck catalog stopped part-way");
        const NetworkCase c = draw(engine, pair, 0);
        const Instance n = c.instance();
        const CheckResult r = check_reference(n.problem, n.theta, {});
        ++row.networks;
        row.alarms += r.pass ? 0 : 1;
        row.kinks += r.kinks;
      }
      out.false_alarms.push_back(row);
    }
  status(options.progress, "");
  if (options.progress) std::fputs("\r\033[K", stderr);
  return out;
}

}  // namespace gradcheck
