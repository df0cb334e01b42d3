// The command-line settings under which the reference's J equals an implementation's.

#include "gradcheck/diagnosis/cost_settings.hpp"

#include "gradcheck/model/network.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradcheck {
namespace {

constexpr Activation activations[] = {Activation::sigmoid, Activation::tanh,     Activation::relu, Activation::identity,
                                      Activation::leaky_relu, Activation::softplus, Activation::elu};
constexpr Output outputs[] = {Output::sigmoid_logistic, Output::softmax_cross_entropy, Output::identity_quadratic,
                              Output::sigmoid_quadratic, Output::identity_mse};
constexpr Regularization regularizations[] = {Regularization::course, Regularization::l2, Regularization::none};
constexpr Reduction reductions[] = {Reduction::mean, Reduction::sum};

/// The reference's J as external.cpp compares it: J_yours = a · J_course(λ').
double reference_J(const Problem& problem, const Weights<double>& theta) {
  return cost_scale(problem) * cost(course_equivalent(problem), theta);
}

/// Θ with every W block transposed (each square): what an implementation reading W in the other
/// orientation computes with.
Weights<double> other_orientation(const Weights<double>& theta) {
  Weights<double> out = theta;
  for (auto& T : out) T.rightCols(T.cols() - 1) = T.rightCols(T.cols() - 1).transpose().eval();
  return out;
}

bool all_square(const Weights<double>& theta) {
  return std::all_of(theta.begin(), theta.end(), [](const Matrix<double>& T) { return T.rows() == T.cols() - 1; });
}

}  // namespace

int affordable_changes(const Problem& problem, const Weights<double>& theta) {
  Index P = 0;
  for (const auto& T : theta) P += T.size();
  const double pass = static_cast<double>(problem.examples()) * static_cast<double>(P);
  return pass <= 1e6 ? 5 : pass <= 1e7 ? 2 : pass <= 1e8 ? 1 : 0;
}

std::vector<SettingsMatch> settings_matching(const Problem& problem, const Weights<double>& theta,
                                             const CostComparison& J, double tolerance, int most_changes) {
  const Architecture& given = problem.architecture;
  const bool hidden = !given.hidden.empty();
  const bool uniform = hidden && std::all_of(given.hidden.begin(), given.hidden.end(),
                                             [&](Activation g) { return g == given.hidden.front(); });
  const bool apart = problem.conventions.layout != WeightLayout::theta;
  const bool orientable = apart && all_square(theta);
  std::vector<SettingsMatch> found;
  int fewest = most_changes + 1;
  for (const Activation g : activations)
    for (const Output o : outputs)
      for (const Regularization r : regularizations)
        for (const Reduction d : reductions)
          for (const bool flip : {false, true}) {
            if (flip && !orientable) continue;
            if (!hidden && g != Activation::sigmoid) continue;
            const bool g_changed = hidden && !(uniform && g == given.hidden.front());
            const int changes = g_changed + (o != given.output) + (r != problem.conventions.regularization) +
                                (d != problem.conventions.reduction) + flip;
            if (changes == 0 || changes > fewest || changes > most_changes) continue;
            Problem p = problem;
            if (hidden) p.architecture.hidden.assign(given.hidden.size(), g);
            p.architecture.output = o;
            p.conventions.regularization = r;
            p.conventions.reduction = d;
            CostComparison tried = J;
            tried.reference = reference_J(p, flip ? other_orientation(theta) : theta);
            tried.relative_error = relative_error(tried.implementation, tried.reference, 1e-12);
            if (!std::isfinite(tried.reference) || !tried.judge(tolerance)) continue;
            SettingsMatch m;
            m.J = tried.reference;
            if (g_changed) m.options.push_back(fmt::format("--activation {}", name(g)));
            if (o != given.output) m.options.push_back(fmt::format("--cost {}", name(o)));
            if (r != problem.conventions.regularization) m.options.push_back("--regularization " + name(r));
            if (d != problem.conventions.reduction) m.options.push_back("--reduction " + name(d));
            if (flip)
              m.options.push_back("--layout " + name(problem.conventions.layout == WeightLayout::w_out_in ? WeightLayout::w_in_out
                                                                                                         : WeightLayout::w_out_in));
            if (changes < fewest) found.clear(), fewest = changes;
            found.push_back(std::move(m));
          }
  return found;
}

std::string settings_sentence(const std::vector<SettingsMatch>& matches, const CostComparison& J, int most_changes) {
  if (matches.empty())
    return fmt::format("no other setting gradcheck supports (--activation, --cost, --regularization, --reduction, and "
                       "--layout's orientation of a square W{}) gives your J ({:.10g}) at this θ and data",
                       most_changes < 5 ? fmt::format(", {} of them changed at a time at most", most_changes) : "",
                       J.implementation);
  std::string with;
  for (std::size_t k = 0; k < matches.size() && k < 4; ++k) {
    std::string options;
    for (const auto& o : matches[k].options) options += (options.empty() ? "" : " ") + o;
    with += (k == 0 ? "" : ", or ") + options;
  }
  if (matches.size() > 4) with += fmt::format(", or {} more", matches.size() - 4);
  return fmt::format("with {} the reference's J matches yours ({:.10g})", with, J.implementation);
}

void explain_settings(Diagnosis& d, const Problem& problem, const Weights<double>& theta, const CostComparison& J,
                      double tolerance) {
  if (J.pass || d.kind == Diagnosis::Kind::right) return;
  const int most_changes = affordable_changes(problem, theta);
  if (most_changes == 0) return;  // a network this large: not searched, and nothing said
  const std::vector<SettingsMatch> matches = settings_matching(problem, theta, J, tolerance, most_changes);
  const std::string sentence = settings_sentence(matches, J, most_changes);
  if (d.kind == Diagnosis::Kind::unrecognised && !matches.empty()) {
    d.kind = Diagnosis::Kind::recognised;
    d.mistakes = {"settings-differ"};
    d.summary = "J differs from the reference's because the settings differ: " + sentence + "; rerun with " +
                (matches.size() == 1 && matches.front().options.size() == 1 ? "it" : "those") +
                " if that is what your code computes";
    d.evidence = "J of the reference recomputed at the same θ and data under each setting gradcheck supports; " +
                 sentence + (d.evidence.empty() ? "" : "; " + d.evidence);
    return;
  }
  d.evidence += (d.evidence.empty() ? "" : "; ") + sentence;
}

}  // namespace gradcheck
