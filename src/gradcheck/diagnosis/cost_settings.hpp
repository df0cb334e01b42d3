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

/// How many options a search may change on this problem: each setting tried costs a forward pass
/// of m·P multiply-adds, so 5 (all 420 settings) up to m·P = 1e6, 2 up to 1e7, 1 up to 1e8 (ex4's
/// 400-25-10 with m = 5,000 is 5e7: 14 passes, a fraction of a second), 0 beyond: no search.
int affordable_changes(const Problem& problem, const Weights<double>& theta);

/// The settings that change the fewest options from `problem`'s, at most `most_changes`, and under
/// which the reference's J at θ equals `J.implementation` as J is judged (CostComparison::judge
/// with `tolerance`): every match with that fewest number, or none. A W, b layout's other
/// orientation (w-out-in read as w-in-out) is tried where every W is square, the only case in
/// which it gives a J rather than a reply of the wrong shape.
std::vector<SettingsMatch> settings_matching(const Problem& problem, const Weights<double>& theta,
                                             const CostComparison& J, double tolerance, int most_changes = 5);

/// The sentence for a report: "with --activation relu --cost softmax-crossentropy the reference's
/// J matches yours (0.5213)", or that none of the settings (changing up to `most_changes` options,
/// when fewer than all five) gives it.
std::string settings_sentence(const std::vector<SettingsMatch>& matches, const CostComparison& J, int most_changes = 5);

/// Adds what the settings say to a diagnosis of a J that differs from the reference's: a
/// discrepancy the catalog left unrecognised becomes "J matches the reference's with …: rerun
/// with those" (key "settings-differ"); a named one keeps its name, the sentence joins its
/// evidence. Nothing for a J that matches.
void explain_settings(Diagnosis& diagnosis, const Problem& problem, const Weights<double>& theta, const CostComparison& J,
                      double tolerance);

}  // namespace gradcheck
