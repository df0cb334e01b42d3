#include "gradcheck/check/external.hpp"

#include "gradcheck/diagnosis/diagnosis.hpp"
#include "gradcheck/numeric/incremental.hpp"
#include "gradcheck/io/protocol.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace gradcheck {
namespace {

/// The implementation's J against the reference J at θ, in the implementation's conventions:
/// J_yours = a · J_course(λ').
CostComparison compare_cost(double implementation, const Problem& problem, const Weights<double>& theta,
                            const Tolerances& tolerances) {
  CostComparison J;
  J.implementation = implementation;
  J.reference = cost_scale(problem) * cost(course_equivalent(problem), theta);
  J.relative_error = relative_error(J.implementation, J.reference, 1e-12);
  J.pass = J.relative_error <= tolerances.cost;
  return J;
}

}  // namespace
std::vector<Index> sample_coordinates(const Layout& layout, Index count, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<Index> picked;
  for (Index l = 1; l <= layout.matrices(); ++l) {
    std::vector<Index> layer(static_cast<std::size_t>(layout.rows(l) * layout.cols(l)));
    std::iota(layer.begin(), layer.end(), layout.offset(l));
    // A partial Fisher–Yates shuffle with our own draws: the same sample on every platform.
    const auto take = std::min<std::size_t>(layer.size(), static_cast<std::size_t>(std::max<Index>(count, 0)));
    for (std::size_t c = 0; c < take; ++c) {
      const std::size_t swap_with = c + static_cast<std::size_t>(engine() % (layer.size() - c));
      std::swap(layer[c], layer[swap_with]);
    }
    picked.insert(picked.end(), layer.begin(), layer.begin() + static_cast<std::ptrdiff_t>(take));
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

ExternalResult check_external(Child& child, const Problem& problem, const Weights<double>& theta,
                              const ExternalOptions& options, PrintedOutput* printed) {
  validate(problem);
  validate(problem.architecture, theta);
  const Layout layout(problem.architecture);
  Session session(child, problem, printed, options.protocol);
  const Reply first = session.ask(theta, Want::both);
  const Eigen::VectorXd flat = unroll(theta), analytic = unroll(first.gradient);

  Measurements measured;
  const bool sampled = options.coordinates || (options.self && options.sample_per_layer);
  measured.coordinates = options.coordinates ? *options.coordinates
                         : options.self && options.sample_per_layer
                             ? sample_coordinates(layout, *options.sample_per_layer, options.sample_seed)
                             : shard_coordinates(layout.parameters(), 1, 1);
  measured.analytic.resize(static_cast<Index>(measured.coordinates.size()));
  for (std::size_t c = 0; c < measured.coordinates.size(); ++c)
    measured.analytic(static_cast<Index>(c)) = analytic(measured.coordinates[c]);

  // Kinks are a property of the architecture, which the implementation shares: find them with
  // the reference, whose numerical gradient reference mode also needs.
  IncrementalOptions reference;
  reference.difference = options.check.difference;
  reference.threads = options.check.threads;
  reference.coordinates = measured.coordinates;
  if (options.self) reference.difference.progress = nullptr;  // the implementation's requests are the long part
  // The reference speaks the course's conventions: J_yours = a · J_course(λ'), so its numerical
  // gradient is a times the course's at λ'.
  const Problem course = course_equivalent(problem);
  const double a = cost_scale(problem);
  NumericalGradient theirs_or_ours = incremental_gradient(course, theta, reference, &measured.kinks);
  theirs_or_ours.gradient *= a;

  double noise = 0;  // of the implementation's J, measured in self mode
  if (options.self) {
    // The implementation's own J, differenced.
    const auto J = [&](const std::vector<Point>& at) { return session.costs(at); };
    const NumericalGradient numerical =
        numerical_gradient_at_points(J, flat, options.check.difference, measured.coordinates);
    measured.numerical = numerical.gradient;
    measured.evaluations = numerical.evaluations;
    measured.method = describe(options.check.difference) + " of the implementation's own J";
    measured.keep_completed(std::min(numerical.completed, theirs_or_ours.completed));
    noise = measured_noise([&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      return session.costs(at, directions);
    }, first.J, layout.parameters(), options.check.difference.step);
  } else {
    measured.numerical = theirs_or_ours.gradient;
    measured.evaluations = theirs_or_ours.evaluations;
    measured.method = describe(options.check.difference) + " of the reference J";
    measured.keep_completed(theirs_or_ours.completed);
  }
  ExternalResult out;
  out.result = judge(layout, measured, options.check, sampled);
  if (const std::string why = cannot_judge(options.check.difference, first.J, noise, options.check.tolerances); !why.empty())
    out.result.cannot_judge = why, out.result.pass = false;
  if (!options.self) {
    out.result.cost = compare_cost(first.J, problem, theta, options.check.tolerances);
    out.result.gradient_pass = out.result.pass;
    out.result.pass = out.result.pass && out.result.cost->pass;
  }
  // The catalog is the course's: the implementation's answers go to it in the course's scale.
  Weights<double> in_course = first.gradient;
  for (auto& D : in_course) D /= a;
  Problem as_checked = course;  // the course's numbers, the implementation's words
  as_checked.conventions = problem.conventions;
  out.result.diagnosis = diagnose(as_checked, theta, in_course,
                                  options.self ? std::nullopt : std::optional<double>(first.J / a), out.result);
  out.measured = std::move(measured);
  out.requests = session.requests();
  return out;
}

DirectionalResult check_external_directional(Child& child, const Problem& problem, const Weights<double>& theta,
                                             const ExternalOptions& options, const DirectionalOptions& directional,
                                             PrintedOutput* printed, std::size_t& requests) {
  validate(problem);
  validate(problem.architecture, theta);
  const Layout layout(problem.architecture);
  Session session(child, problem, printed, options.protocol);
  const Reply first = session.ask(theta, Want::both);
  const Eigen::VectorXd flat = unroll(theta), analytic = unroll(first.gradient);
  DirectionalResult result;
  if (options.self) {
    const auto J = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      return session.costs(at, directions);
    };
    result = check_directional_at_points(J, flat, analytic, layout, directional);
    const std::string why = cannot_judge(options.check.difference, first.J,
                                         measured_noise(J, first.J, layout.parameters(), options.check.difference.step),
                                         options.check.tolerances);
    if (!why.empty()) result.cannot_judge = why, result.pass = false;
  } else {
    const Problem course = course_equivalent(problem);
    const double a = cost_scale(problem);
    const auto J = [&](const Eigen::VectorXd& point) { return a * cost(course, reroll(layout, point)); };
    result = check_directional(J, flat, analytic, layout, directional);
    result.cost = compare_cost(first.J, problem, theta, options.check.tolerances);
    result.pass = result.pass && result.cost->pass;
  }
  requests = session.requests();
  return result;
}

}  // namespace gradcheck
