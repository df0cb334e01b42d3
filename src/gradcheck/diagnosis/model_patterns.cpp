// The patterns of a model's wrong gradient, per tensor and across tensors, each held to the check's tolerances.

#include "gradcheck/diagnosis/model_patterns.hpp"

#include "gradcheck/model/unroll.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

namespace gradcheck {
namespace {

using Kind = TensorPattern::Kind;

/// A tensor's measured entries side by side: a, n, the floor, and where each sits (row, column).
struct Entries {
  Eigen::VectorXd a, n, floors;
  std::vector<std::pair<Index, Index>> at;
};

Entries measured(const TensorEvidence& t, double floor_cap) {
  std::vector<double> a, n, f;
  Entries out;
  for (Index j = 0; j < t.numerical.cols(); ++j)
    for (Index i = 0; i < t.numerical.rows(); ++i)
      if (std::isfinite(t.numerical(i, j)) && std::isfinite(t.analytic(i, j))) {
        a.push_back(t.analytic(i, j));
        n.push_back(t.numerical(i, j));
        const double floor = t.floors.size() == t.numerical.size() ? t.floors(i, j) : floor_cap;
        f.push_back(floor > 0 && floor <= floor_cap ? floor : floor_cap);
        out.at.emplace_back(i, j);
      }
  out.a = Eigen::Map<Eigen::VectorXd>(a.data(), static_cast<Index>(a.size()));
  out.n = Eigen::Map<Eigen::VectorXd>(n.data(), static_cast<Index>(n.size()));
  out.floors = Eigen::Map<Eigen::VectorXd>(f.data(), static_cast<Index>(f.size()));
  return out;
}

/// Whether `a` equals `model` as the check judges a gradient against its numerical one: every
/// entry's relative error and the norm figure within the tolerances (compare()'s judge, reused).
bool fits(const Eigen::VectorXd& a, const Eigen::VectorXd& model, const Eigen::VectorXd& floors, const Tolerances& t) {
  if (a.size() == 0) return false;
  const std::vector<double> f(floors.data(), floors.data() + floors.size());
  return compare(Layout::of_matrices({{a.size(), 1}}), a, model, t, {}, 0, {}, f).pass;
}

/// Entries whose n stands above their floor (judged relatively): those a factor is read from.
Index resolved(const Entries& e) { return (e.n.array().abs() > e.floors.array()).count(); }

/// c of a ≈ c·n, least squares.
double factor(const Eigen::VectorXd& a, const Eigen::VectorXd& n) {
  const double nn = n.squaredNorm();
  return nn > 0 ? a.dot(n) / nn : 0;
}

bool scaled_by(const Entries& e, double c, const Tolerances& t) {
  return c != 0 && std::abs(c - 1) > t.entry && fits(e.a, c * e.n, e.floors, t);
}

/// a against n's transpose: n(i, j) beside a at position j·rows + i of a read row-major, which is
/// a(j, i) for a square tensor and, for another shape, nᵀ flattened into n's shape.
bool transposed(const TensorEvidence& tensor, const Entries& e, const Tolerances& t) {
  const Index rows = tensor.analytic.rows(), cols = tensor.analytic.cols();
  if (!tensor.two_dimensional || rows < 2 || cols < 2) return false;
  Eigen::VectorXd a(e.a.size());
  for (Index k = 0; k < a.size(); ++k) {
    const auto [i, j] = e.at[static_cast<std::size_t>(k)];
    const Index q = j * rows + i;
    a(k) = tensor.analytic(q / cols, q % cols);
  }
  return fits(a, e.n, e.floors, t);
}

bool offset_by(const Entries& e, double d, const Tolerances& t) {
  return e.a.size() >= 2 && std::abs(d) > t.entry * e.floors.maxCoeff() &&
         fits(e.a, e.n + Eigen::VectorXd::Constant(e.n.size(), d), e.floors, t);
}

std::string number(double x) { return fmt::format("{:.4g}", x); }

std::string sentence(const TensorEvidence& t, Kind kind, double value) {
  switch (kind) {
    case Kind::zero: return t.name + " is zero in every entry";
    case Kind::scaled: return fmt::format("{} is {} × the right gradient", t.name, number(value));
    case Kind::transposed:
      return t.analytic.rows() == t.analytic.cols()
                 ? t.name + " is the transpose of the right gradient"
                 : fmt::format("{} is the right gradient transposed ({} × {}) and read back in its shape", t.name,
                               t.analytic.cols(), t.analytic.rows());
    case Kind::offset: return fmt::format("{} is the right gradient {} {} in every entry", t.name, value < 0 ? "−" : "+",
                                          number(std::abs(value)));
    case Kind::none: break;
  }
  return "";
}

const char* key(Kind kind) {
  switch (kind) {
    case Kind::zero: return "zero";
    case Kind::scaled: return "scaled";
    case Kind::transposed: return "transposed";
    case Kind::offset: return "offset";
    case Kind::none: break;
  }
  return "none";
}

std::string list(const std::vector<const TensorEvidence*>& tensors) {
  std::string text;
  for (const auto* t : tensors) text += (text.empty() ? "" : ", ") + t->name;
  return text;
}

/// What owns a tensor, for where the error enters: "fc1" of "fc1.weight"; without a dot, the name.
std::string owner(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

/// Which layer a tensor belongs to, to tell two apart: its owner, or for a name without a dot its
/// trailing number ("1" of W1 and b1), or the name itself.
std::string layer_of(const std::string& name) {
  if (name.find('.') != std::string::npos) return owner(name);
  const auto digits = name.find_last_not_of("0123456789");
  return digits == std::string::npos || digits + 1 == name.size() ? name : name.substr(digits + 1);
}

/// One factor for every wrong tensor: c fitted over all their entries, and each tensor's entries
/// within the tolerances of c·n, at least one resolved in each and two in all.
std::optional<double> common_factor(const std::vector<const TensorEvidence*>& wrong, const std::vector<Entries>& entries,
                                    const Tolerances& t) {
  double an = 0, nn = 0;
  Index total = 0;
  for (const auto& e : entries) {
    an += e.a.dot(e.n);
    nn += e.n.squaredNorm();
    const Index r = resolved(e);
    if (r == 0) return std::nullopt;
    total += r;
  }
  if (total < 2 || nn == 0 || wrong.empty()) return std::nullopt;
  const double c = an / nn;
  for (const auto& e : entries)
    if (!scaled_by(e, c, t)) return std::nullopt;
  return c;
}

/// What the wrong tensors' values show: one factor for all, else each tensor's own pattern.
struct Values {
  std::string said, evidence;
  std::vector<std::string> keys;
  std::optional<double> common;  ///< the factor common to every wrong tensor
  bool all_named = true;         ///< every wrong tensor has a pattern
};

Values with_common_factor(const std::vector<const TensorEvidence*>& wrong, const std::vector<Entries>& entries, double c,
                          std::size_t tensors) {
  Values v;
  v.common = c;
  v.keys = {wrong.size() > 1 ? "common-scale" : "scaled"};
  v.said = wrong.size() == tensors ? fmt::format("every tensor's gradient is {} × the right one", number(c))
                                   : fmt::format("{} {} {} × the right gradient", list(wrong), wrong.size() == 1 ? "is" : "are",
                                                 number(c));
  std::string each;
  for (std::size_t k = 0; k < wrong.size(); ++k)
    each += fmt::format("{}{} {}", k == 0 ? "" : ", ", wrong[k]->name, number(factor(entries[k].a, entries[k].n)));
  v.evidence = fmt::format("the least-squares factor c = Σ a·n / Σ n² over the wrong tensors is {} ({}), and every entry "
                           "is within the check's tolerances of c·n", number(c), each);
  if (wrong.size() == tensors)
    v.evidence += "; a factor shared by every tensor usually enters at the top of the backward pass (the loss's "
                  "derivative: a square's 2, a mean's 1/N, a sign)";
  return v;
}

Values values_of(const std::vector<const TensorEvidence*>& wrong, std::size_t tensors, const Tolerances& tolerances) {
  std::vector<Entries> entries;
  for (const auto* t : wrong) entries.push_back(measured(*t, tolerances.floor));
  std::optional<double> c = common_factor(wrong, entries, tolerances);
  if (c && wrong.size() == 1 && resolved(entries.front()) < 2) c.reset();  // one number fits any factor
  if (c) return with_common_factor(wrong, entries, *c, tensors);
  Values v;
  std::string unnamed;
  for (const auto* t : wrong) {
    const TensorPattern p = pattern_of(*t, tolerances);
    if (p.kind == Kind::none) {
      v.all_named = false;
      unnamed += (unnamed.empty() ? "" : ", ") + t->name;
      continue;
    }
    std::string said = sentence(*t, p.kind, p.value);
    for (const auto& [other, value] : p.also) said += fmt::format(" (equally: {})", sentence(*t, other, value));
    v.said += (v.said.empty() ? "" : "; ") + said;
    if (std::find(v.keys.begin(), v.keys.end(), key(p.kind)) == v.keys.end()) v.keys.emplace_back(key(p.kind));
  }
  v.evidence = v.all_named ? "each pattern holds in every entry to the check's tolerances"
                           : fmt::format("{} follow{} no single pattern (a common factor, zero, a transposition, a constant "
                                         "offset) within the check's tolerances",
                                         unnamed, unnamed.find(", ") == std::string::npos ? "s" : "");
  return v;
}

/// Where the wrong tensors are exactly the first `wrong` declared, two or more (one wrong tensor is
/// named by the verdict already), followed by right ones only, the first of another layer
/// (fc1.weight wrong and fc1.bias right says nothing of the backward pass between layers): the
/// index of the first right tensor.
std::optional<std::size_t> boundary(const std::vector<TensorEvidence>& tensors, std::size_t wrong) {
  if (wrong < 2 || wrong >= tensors.size() || layer_of(tensors[wrong].name) == layer_of(tensors[wrong - 1].name))
    return std::nullopt;
  for (std::size_t t = 0; t < tensors.size(); ++t)
    if ((t < wrong) != (tensors[t].verdict == TensorEvidence::Verdict::wrong) ||
        tensors[t].verdict == TensorEvidence::Verdict::unjudged)
      return std::nullopt;
  return wrong;
}

}  // namespace

TensorPattern pattern_of(const TensorEvidence& tensor, const Tolerances& tolerances) {
  const Entries e = measured(tensor, tolerances.floor);
  TensorPattern out;
  if (e.a.size() == 0) return out;
  // Zero: the whole gradient (not only the entries measured) is 0, and some n differs from 0 by
  // more than the check resolves (entry × floor: what failed the tensor).
  if (tensor.analytic.isZero(0) && (e.n.array().abs() > tolerances.entry * e.floors.array()).any()) {
    out.kind = Kind::zero;
    return out;
  }
  if (resolved(e) < 2) return out;  // one number fits any factor and any offset
  std::vector<std::pair<Kind, double>> found;
  if (const double c = factor(e.a, e.n); scaled_by(e, c, tolerances)) found.emplace_back(Kind::scaled, c);
  if (!tensor.directional && transposed(tensor, e, tolerances)) found.emplace_back(Kind::transposed, 0);
  if (const double d = (e.a - e.n).mean(); !tensor.directional && offset_by(e, d, tolerances)) found.emplace_back(Kind::offset, d);
  if (found.empty()) return out;
  out.kind = found.front().first;
  out.value = found.front().second;
  out.also.assign(found.begin() + 1, found.end());
  return out;
}

Diagnosis diagnose_patterns(const std::vector<TensorEvidence>& tensors, const Tolerances& tolerances, Coverage coverage) {
  Diagnosis d;
  std::vector<const TensorEvidence*> wrong, right, unjudged;
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    const TensorEvidence& t = tensors[k];
    const Index l = static_cast<Index>(k) + 1;
    if (t.verdict == TensorEvidence::Verdict::wrong) wrong.push_back(&t), d.wrong_layers.push_back(l);
    if (t.verdict == TensorEvidence::Verdict::right) right.push_back(&t), d.right_layers.push_back(l);
    if (t.verdict == TensorEvidence::Verdict::unjudged) unjudged.push_back(&t);
  }
  if (wrong.empty()) return d;
  const std::string qualifier = coverage == Coverage::sample       ? " (on the entries sampled)"
                                : coverage == Coverage::directions ? " (along the directions tried)"
                                                                   : "";
  d.where = "wrong: " + list(wrong);
  if (!right.empty()) d.where += "; right: " + list(right);
  if (!unjudged.empty()) d.where += "; not judged: " + list(unjudged);
  const Values values = values_of(wrong, tensors.size(), tolerances);
  const std::optional<std::size_t> before = boundary(tensors, wrong.size());
  if (before) {
    d.where += fmt::format("; reading the declared order as the forward order, the error enters the backward pass "
                           "between {} and {}", owner(tensors[*before].name), owner(tensors[*before - 1].name));
  }
  if (!values.all_named && !before) {
    // Some tensors have a pattern, some none: said as evidence, never as the name of the whole.
    d.kind = Diagnosis::Kind::unrecognised;
    d.summary = "unrecognised discrepancy";
    d.evidence = (values.said.empty() ? "" : values.said + "; ") + values.evidence + qualifier;
    return d;
  }
  d.kind = Diagnosis::Kind::recognised;
  d.mistakes = values.keys;
  std::string location;
  if (before) {
    d.mistakes.emplace_back("wrong-before");
    location = fmt::format("only {} (the tensors declared before {}) are wrong", list(wrong), tensors[*before].name);
  }
  d.summary = location.empty()     ? values.said
              : values.said.empty() ? location
              : values.common       ? fmt::format("{}, each {} × the right gradient", location, number(*values.common))
                                    : location + ": " + values.said;
  d.summary += qualifier;
  d.evidence = values.evidence;
  if (coverage == Coverage::directions)
    d.evidence += "; read from the directional derivatives vᵀa and vᵀn, which show a factor but not which entries are wrong";
  return d;
}

}  // namespace gradcheck
