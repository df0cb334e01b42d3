#pragma once
/// @file
/// When an implementation's J differs from the reference's: the settings of the command line
/// (hidden activation, output/cost, regularization, reduction, and for W and b apart the
/// orientation of W) under which the reference's J at the same θ and data would equal it. A CI
/// job run without the implementation's --activation or --cost otherwise reads only "J differs".

#include "gradcheck/check/compare.hpp"
#include "gradcheck/model/problem.hpp"

#include <string>
#include <vector>

namespace gradcheck {

/// One set of settings, as the options that select them.
struct SettingsMatch {
  std::vector<std::string> options;  ///< e.g. {"--activation relu", "--cost softmax-crossentropy"}
  double J = 0;                      ///< the reference's J under them
};

/// The settings that change the fewest options from `problem`'s and under which the reference's J
/// at θ equals `J.implementation` as J is judged (CostComparison::judge with `tolerance`): every
/// match with that fewest number, or none. A W, b layout's other orientation (w-out-in read as
/// w-in-out) is tried where every W is square, the only case in which it gives a J rather than a
/// reply of the wrong shape. Costs one forward pass per setting tried (at most 420), fewer where
/// m·P makes a pass costly (then at most two options are changed).
std::vector<SettingsMatch> settings_matching(const Problem& problem, const Weights<double>& theta,
                                             const CostComparison& J, double tolerance);

/// The sentence for a report: "with --activation relu --cost softmax-crossentropy the reference's
/// J matches yours (0.5213)", or that none of the settings gives it.
std::string settings_sentence(const std::vector<SettingsMatch>& matches, const CostComparison& J);

/// Adds what the settings say to a diagnosis of a J that differs from the reference's: a
/// discrepancy the catalog left unrecognised becomes "J matches the reference's with …: rerun
/// with those" (key "settings-differ"); a named one keeps its name, the sentence joins its
/// evidence. Nothing for a J that matches.
void explain_settings(Diagnosis& diagnosis, const Problem& problem, const Weights<double>& theta, const CostComparison& J,
                      double tolerance);

}  // namespace gradcheck
