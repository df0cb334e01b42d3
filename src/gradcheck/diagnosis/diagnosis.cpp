#include "gradcheck/diagnosis/diagnosis.hpp"

#include "gradcheck/model/backprop.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace gradcheck {
namespace {

/// A gradient "equals" a mistake's when it is within `same` of it (float implementations land
/// near 1e-7) and at least `separation` times closer to it than the mistake is to the right
/// gradient: a name needs evidence that tells the mistake apart from being right.
constexpr double same = 1e-6;
constexpr double separation = 100;
/// Below this a mistake does not change the problem at all (rounding).
constexpr double invisible = 1e-12;

/// max over layers of ‖x^(l) − y^(l)‖ / ‖y^(l)‖ (with a tiny floor), NaN-aware.
double layer_distance(const Weights<double>& x, const Weights<double>& y) {
  double worst = 0;
  for (std::size_t l = 0; l < y.size(); ++l) {
    const double d = (x[l] - y[l]).norm(), scale = std::max(y[l].norm(), 1e-12);
    if (std::isnan(d)) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, d / scale);
  }
  return worst;
}

double relative(double x, double y) { return std::abs(x - y) / std::max({std::abs(x), std::abs(y), 1e-12}); }

std::string layers_list(const std::vector<Index>& layers, const Names& names) {
  std::string text;
  for (const Index l : layers) text += (text.empty() ? "" : ", ") + names.gradient(l);
  return text;
}

/// Whether the user's layout keeps the biases b apart from W (then they are not "the bias column").
bool biases_apart(const Names& names) {
  return names.style() == Names::Style::w_out_in || names.style() == Names::Style::w_in_out;
}

/// Where the gradient is wrong, in the course's terms: which D^(l), which columns, where it starts.
std::string where_wrong(const CheckResult& result, const Weights<double>& D, const Weights<double>& reference, Index L,
                        Diagnosis& claims, const Names& names) {
  std::vector<Index> wrong;
  // "Only the bias column" when every entry the check failed has j = 0: read from the entries as
  // judged, not from D against the course's D (through a J that is not the course's, or at a
  // precision the tolerances do not allow, those tell another story).
  bool bias_only = true, any_entry = false;
  Index offset = 0;
  for (const LayerReport& layer : result.layers) {
    const Index size = layer.rows * layer.cols;
    if (!layer.pass) {
      wrong.push_back(layer.l);
      for (Index k = offset; k < offset + size && k < result.entry_errors.size(); ++k) {
        if (!result.skipped.empty() && result.skipped[static_cast<std::size_t>(k)]) continue;
        if (result.entry_errors(k) <= result.tolerances.entry) continue;  // NaN fails
        any_entry = true;
        bias_only = bias_only && (k - offset) < layer.rows;
      }
    }
    offset += size;
  }
  bias_only = bias_only && any_entry && D.size() == reference.size();
  claims.wrong_layers = wrong;
  if (wrong.empty()) {
    claims.gradient_said_right = true;
    return names.course() ? "every D^(l) is right" : "every layer's gradient is right";
  }
  std::string text = "wrong: " + layers_list(wrong, names);
  if (bias_only) text += biases_apart(names) ? " (only the biases b)" : " (only the bias column, j = 0)";
  // Only what the check measured: which layers are right. Backprop runs from the top, so when the
  // wrong layers are exactly the bottom ones, the mistake lies in what feeds only those layers:
  // δ^(l) for l ≤ top + 1 (below the output's), or the Δ and D of those layers themselves. Which of
  // them cannot be told from D alone, so no single one is named.
  const Index top_wrong = *std::max_element(wrong.begin(), wrong.end());
  if (static_cast<Index>(wrong.size()) == top_wrong && top_wrong < L - 1) {
    for (Index l = top_wrong + 1; l < L; ++l) claims.right_layers.push_back(l);
    std::vector<Index> below(static_cast<std::size_t>(top_wrong));
    std::iota(below.begin(), below.end(), Index{1});
    text += names.course() ? fmt::format("; D^({}) and above are right, so the mistake is below them: in δ^({}) or further "
                                         "down, or in how Δ^(l) and D^(l) are formed for l ≤ {}",
                                         top_wrong + 1, top_wrong + 1, top_wrong)
                           : fmt::format("; {} and above are right, so the mistake is below them: in the error sent back "
                                         "to layer {} (δ^({}) in the course's notation) or further down, or in how {} {} formed",
                                         names.gradient(top_wrong + 1), top_wrong + 1, top_wrong + 1, layers_list(below, names),
                                         top_wrong == 1 ? "is" : "are");
  }
  return text;
}

/// What the numbers look like when no catalog entry explains them.
std::string pattern(const Weights<double>& D, const Weights<double>& reference, const CheckResult& result,
                    const Names& names) {
  std::vector<std::string> lines;
  for (std::size_t l = 0; l < D.size(); ++l) {
    if (result.layers[l].pass) continue;
    const Index layer = static_cast<Index>(l) + 1;
    const Eigen::ArrayXd a = D[l].reshaped().array(), r = reference[l].reshaped().array();
    // A constant ratio to the right gradient points at a scale or a sign.
    std::vector<double> ratios;
    for (Index k = 0; k < a.size(); ++k)
      if (std::abs(r(k)) > 1e-8) ratios.push_back(a(k) / r(k));
    if (!ratios.empty()) {
      std::sort(ratios.begin(), ratios.end());
      const double median = ratios[ratios.size() / 2];
      const bool constant = std::abs(ratios.front() - median) <= 1e-6 * std::abs(median) &&
                            std::abs(ratios.back() - median) <= 1e-6 * std::abs(median);
      if (constant && median == 0) {
        lines.push_back(fmt::format("{} is zero in every entry", names.gradient(layer)));
        continue;
      }
      if (constant && std::abs(median - 1) <= 1e-6) {
        lines.push_back(fmt::format("{} agrees with the reference's backprop to 1e-6 in every entry: what fails is "
                                    "finer than that (tolerances tighter than the gradient's precision)", names.gradient(layer)));
        continue;
      }
      if (constant) {
        lines.push_back(fmt::format("{} is {:.6g} × the right gradient in every entry", names.gradient(layer), median));
        continue;
      }
    }
    const Eigen::ArrayXXd diff = (D[l] - reference[l]).array().abs();
    const double bias = diff.col(0).maxCoeff(), weights = diff.cols() > 1 ? diff.rightCols(diff.cols() - 1).maxCoeff() : 0;
    if (weights <= 1e-12 * std::max(1.0, reference[l].cwiseAbs().maxCoeff()))
      lines.push_back(fmt::format("in {} only {} wrong", names.gradient(layer),
                                  biases_apart(names) ? "the biases b are" : "the bias column (j = 0) is"));
    else if (bias <= 1e-12 * std::max(1.0, reference[l].cwiseAbs().maxCoeff()))
      lines.push_back(fmt::format("in {} {} right and the weights are wrong", names.gradient(layer),
                                  biases_apart(names) ? "the biases b are" : "the bias column is"));
    else
      lines.push_back(fmt::format("{} differs from the right gradient by {:.3g} (relative, normwise)", names.gradient(layer),
                                  (D[l] - reference[l]).norm() / std::max(reference[l].norm(), 1e-300)));
  }
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "; ") + line;
  return text;
}

/// A gradient with NaN or ±∞ in it: where, and what usually causes it.
Diagnosis not_finite(const CheckResult& result, const Names& names) {
  const NotFiniteSides sides = not_finite_sides(result);
  const std::size_t analytic = sides.analytic.size(), numerical = sides.numerical.size();
  std::vector<Index> layers;
  for (const EntryReport& e : result.not_finite)
    if (layers.empty() || layers.back() != e.where.l) layers.push_back(e.where.l);
  Diagnosis d;
  d.kind = Diagnosis::Kind::unrecognised;
  d.summary = fmt::format("NaN or ±∞ in {} entr{} of the gradient", result.not_finite.size(),
                          result.not_finite.size() == 1 ? "y" : "ies");
  for (const Index l : layers) d.where += (d.where.empty() ? "in " : ", ") + names.gradient(l);
  d.where += fmt::format("; first at {}", names.entry(result.not_finite.front().where));
  if (analytic > 0 && numerical == 0)
    d.evidence = fmt::format("{} analytic entr{} not finite while J and its finite differences are: backprop divides "
                             "by zero or overflows (an uninitialised Δ, 0/0 in a softmax, exp of a large z)",
                             analytic, analytic == 1 ? "y is" : "ies are");
  else
    d.evidence = fmt::format("{} numerical entr{} not finite: J itself is NaN or ±∞ near θ (log(0) of a saturated "
                             "sigmoid in the logistic cost, an overflowing exp)", numerical,
                             numerical == 1 ? "y is" : "ies are");
  return d;
}

}  // namespace

Diagnosis diagnose(const Problem& problem, const Weights<double>& theta, const Weights<double>& D,
                   std::optional<double> J, const CheckResult& result, const Names& names) {
  Diagnosis d;
  bool gradient_right = true;
  for (const LayerReport& layer : result.layers) gradient_right = gradient_right && layer.pass;
  const bool cost_right = !result.cost || result.cost->pass;
  if (gradient_right && cost_right && (result.pass || !result.complete)) return d;
  if (!result.not_finite.empty()) return not_finite(result, names);

  const Gradient<double> reference = backprop(problem, theta);
  const Index L = problem.architecture.layers();
  // Test every catalog entry that changes this problem's gradient (or J) materially.
  struct Match {
    Mistake mistake;
    double distance;
  };
  std::vector<Match> matches;
  for (const Mistake m : catalog()) {
    const Gradient<double> mutant = backprop_with(m, problem, theta);
    if (spoils_cost(m)) {
      const double visible = relative(mutant.J, reference.J);
      if (!J || cost_right || visible <= invisible) continue;
      const double distance = relative(*J, mutant.J);
      if (distance <= std::min(same, visible / separation)) matches.push_back({m, distance});
    } else {
      const double visible = layer_distance(mutant.D, reference.D);
      if (gradient_right || visible <= invisible) continue;
      const double distance = layer_distance(D, mutant.D);
      if (distance <= std::min(same, visible / separation)) matches.push_back({m, distance});
    }
  }
  // Stable: equally close mistakes keep the catalog's order, simplest explanations first.
  std::stable_sort(matches.begin(), matches.end(), [](const Match& x, const Match& y) { return x.distance < y.distance; });

  // A mistake the implementation's layout cannot make (an unrolling, with W and b apart) is no
  // explanation of its numbers, however close.
  matches.erase(std::remove_if(matches.begin(), matches.end(),
                               [&](const Match& m) { return name(m.mistake, problem.unrolling, problem.conventions).empty(); }),
                matches.end());
  d.where = where_wrong(result, D, reference.D, L, d, names);
  if (!cost_right) d.where += fmt::format("; J is {:.12g}, the reference's {:.12g}", result.cost->implementation,
                                           result.cost->reference);
  if (matches.empty()) {
    d.kind = Diagnosis::Kind::unrecognised;
    d.summary = "unrecognised discrepancy";
    d.evidence = gradient_right ? "J differs from the reference in no way the catalog knows"
                                : "no mistake in the catalog gives this gradient; " + pattern(D, reference.D, result, names);
    return d;
  }
  d.kind = Diagnosis::Kind::recognised;
  std::string in_gradient, in_cost;  // alternatives within each, "and" between them
  for (const Match& m : matches) {
    const std::string_view said = name(m.mistake, problem.unrolling, problem.conventions);
    d.mistakes.emplace_back(key(m.mistake, problem.unrolling));
    std::string& where = spoils_cost(m.mistake) ? in_cost : in_gradient;
    where += fmt::format("{}{}", where.empty() ? "" : ", or ", said);
  }
  d.summary = in_gradient.empty() ? in_cost : in_cost.empty() ? in_gradient : in_gradient + "; and in J: " + in_cost;
  const Match& best = matches.front();
  // Each clause states a measurement: the match, and what the per-layer check found of the rest.
  const bool gradient_named = !in_gradient.empty();
  d.evidence = spoils_cost(best.mistake)
                   ? fmt::format("J equals the reference's J with this mistake to {:.1e} (relative)", best.distance)
                   : fmt::format("D equals the reference's with this mistake planted to {:.1e} (relative, normwise, "
                                 "every layer)", best.distance);
  if (gradient_right) {
    d.evidence += "; the gradient matches the numerical gradient in every layer";
    d.gradient_said_right = true;
  }
  else if (!gradient_named)
    d.evidence += "; the gradient is wrong too, in no way the catalog knows: " + pattern(D, reference.D, result, names);
  return d;
}

}  // namespace gradcheck
