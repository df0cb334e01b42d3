// A model check's tensors handed to the patterns, each with its verdict.

#include "gradcheck/diagnosis/model_diagnosis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradcheck {
namespace {

using Verdict = TensorEvidence::Verdict;

Verdict verdict_of(const LayerReport& layer) {
  if (!layer.pass) return Verdict::wrong;
  return layer.unresolved || layer.in_noise ? Verdict::unjudged : Verdict::right;
}

Verdict verdict_of(const DirectionalLayer& layer) {
  if (layer.at_kink == DirectionalLayer::AtKink::unjudged || layer.unresolved || layer.in_noise) return Verdict::unjudged;
  return layer.pass ? Verdict::right : Verdict::wrong;
}

}  // namespace

/// A tensor whose gradient could not be compared (missing, of another size, said unusable): its
/// entries hold 0 in its place, which no pattern may read, so it is not judged here.
static bool unusable(const ModelResult& r, std::size_t k) { return k < r.unusable.size() && !r.unusable[k].empty(); }

std::vector<TensorEvidence> evidence_of(const ModelResult& r) {
  std::vector<TensorEvidence> out;
  const double floor = r.result.tolerances.floor;
  if (r.directional) {
    for (const DirectionalLayer& layer : r.directional->layers) {
      TensorEvidence t;
      t.name = r.tensors.at(static_cast<std::size_t>(layer.l - 1)).name;
      t.directional = true;
      const auto count = static_cast<Index>(std::min(layer.analytic.size(), layer.numerical.size()));
      t.analytic = Eigen::Map<const Eigen::VectorXd>(layer.analytic.data(), count);
      t.numerical = Eigen::Map<const Eigen::VectorXd>(layer.numerical.data(), count);
      t.floors = Eigen::VectorXd::Constant(count, floor);
      t.verdict = unusable(r, static_cast<std::size_t>(layer.l - 1)) ? Verdict::unjudged : verdict_of(layer);
      out.push_back(std::move(t));
    }
    return out;
  }
  const Layout layout = layout_of(r.tensors);
  for (std::size_t k = 0; k < r.tensors.size(); ++k) {
    const Index l = static_cast<Index>(k) + 1;
    TensorEvidence t;
    t.name = r.tensors[k].name;
    t.two_dimensional = r.tensors[k].shape.size() == 2;
    const Index rows = layout.rows(l), cols = layout.cols(l);
    t.analytic.resize(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) t.analytic(i, j) = r.analytic(layout.flat({l, i + 1, j}));
    t.numerical = Eigen::MatrixXd::Constant(rows, cols, std::numeric_limits<double>::quiet_NaN());
    t.floors = Eigen::MatrixXd::Constant(rows, cols, floor);
    t.verdict = k < r.result.layers.size() && !unusable(r, k) ? verdict_of(r.result.layers[k]) : Verdict::unjudged;
    out.push_back(std::move(t));
  }
  const Measurements& m = r.measured;
  for (std::size_t c = 0; c < m.coordinates.size() && static_cast<Index>(c) < m.numerical.size(); ++c) {
    if (!m.kinks.empty() && m.kinks[c]) continue;  // a corner: no derivative measured
    const ParamIndex p = layout.entry(m.coordinates[c]);
    TensorEvidence& t = out[static_cast<std::size_t>(p.l - 1)];
    t.numerical(p.i - 1, p.j) = m.numerical(static_cast<Index>(c));
    if (!m.floors.empty()) t.floors(p.i - 1, p.j) = std::min(m.floors[c], floor);
  }
  return out;
}

std::optional<Diagnosis> diagnose(const ModelResult& r) {
  if (r.pass || r.cannot_judge) return std::nullopt;
  if (!r.directional && (!r.result.complete || r.result.failure || r.measured.coordinates.empty())) return std::nullopt;
  // A sample where a tensor compared has entries left out (not those of a tensor left out whole).
  const bool sampled = std::any_of(r.result.layers.begin(), r.result.layers.end(),
                                   [](const LayerReport& l) { return l.unchecked > 0 && l.unusable.empty(); });
  const Coverage coverage = r.directional ? Coverage::directions : sampled ? Coverage::sample : Coverage::every_entry;
  Diagnosis d = diagnose_patterns(evidence_of(r), r.result.tolerances, coverage);
  if (d.kind == Diagnosis::Kind::right) return std::nullopt;
  return d;
}

}  // namespace gradcheck
