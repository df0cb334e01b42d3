// gradcheck catalog: every mistake of the catalog caught and named over random networks, the
// external fixtures, and the reference's false alarms, as Markdown tables.

#include "commands.hpp"

#include "gradcheck/check/external.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace gradcheck::cli {

namespace {

/// The external fixtures with the mistake each carries, checked on the course's problem at λ = 3.
struct ExternalFixture {
  std::string label;
  std::vector<std::string> argv;  // empty with an Octave folder
  std::string octave;
  std::string expected;
};

}  // namespace

int run_catalog_command(const CatalogCommand& k) {
  const auto fixtures = std::filesystem::path(k.fixtures);
  CatalogOptions options = k.options;
  options.progress = !k.quiet && isatty(STDERR_FILENO);
  options.stop = &stop_flag;
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
      // Right J and gradient; theta[0][:, 0] = 0 in place changes the caller's θ: a side effect.
      {"Python changes_inputs", {"/usr/bin/python3", "python/changes_inputs.py"}, "", "changes-inputs"},
  };
  std::cout << "\n| external implementation | expected | caught | diagnosis |\n|---|---|---|---|\n";
  int external_caught = 0, external_named = 0;
  const Instance course = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  for (const ExternalFixture& f : external) {
    std::vector<std::string> argv = f.argv;
    if (!argv.empty()) argv[1] = (fixtures / argv[1]).string();
    std::string verdict = "—", diagnosis = "—";
    try {
      const Implementation impl = implementation_of(argv, homework_of(f.octave.empty() ? "" : (fixtures / f.octave).string(), ""));
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

}  // namespace gradcheck::cli
