// A problem read out of a streamed JSON document (problem_json.hpp): each field checked and
// turned into sizes, activations, matrices and λ, with one-line messages naming the field.

#include "gradcheck/io/problem_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradcheck {
namespace problem_json {
namespace {

constexpr std::string_view problem_keys[] = {"sizes", "activations", "cost", "lambda", "X", "Y", "labels", "theta", "conventions"};
constexpr std::string_view matrix_keys[] = {"X", "Y", "labels", "theta"};

/// How much of a small field (sizes, activations, cost, lambda, id, want) is kept: more than any
/// valid one needs, and enough to say what is wrong with any other.
constexpr std::size_t small_field_values = 4096;

/// "1 number", "3 numbers".
std::string counted(std::size_t n, const char* noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

/// How a JSON value looks, for messages: "the string \"abc\"", "an object".
std::string shown(const Value& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return j.get_bool() ? "true" : "false";
  if (j.is_string()) {
    const std::string text = Json(j.get_string()).dump();
    return "the string " + (text.size() > 40 ? text.substr(0, 40) + "…\"" : text);
  }
  if (j.is_array()) return fmt::format("an array of {}", j.size());
  if (j.is_object()) return "an object";
  return j.dump();
}

/// A finite number; `field` names it in the message (called only then: formatting a name for
/// each of 10^8 entries would cost more than reading them).
template <class Where> double finite_number_at(const Value& j, const Fields& fields, const Where& field) {
  if (j.is_number()) return j.get_double();  // JSON numbers are finite: 1e999 is a parse error
  const std::optional<double> x = j.is_string() || j.is_null() ? j.number() : std::nullopt;
  if (!x) fields.fail(field(), fmt::format("is {}; expected a number", shown(j)));
  if (!std::isfinite(*x))
    fields.fail(field(), fmt::format("is {}; expected a finite number", std::isnan(*x) ? "NaN" : *x > 0 ? "Infinity" : "-Infinity"));
  return *x;
}

double finite_number(const Value& j, const Fields& fields, const std::string& field) {
  return finite_number_at(j, fields, [&] { return field; });
}

template <class Where>
Index whole_number(const Value& j, const Fields& fields, const Where& field, Index lo, Index hi, const std::string& expected) {
  const bool integral = j.is_number_integer() || (j.is_number_float() && std::isfinite(j.get_double()) &&
                                                  std::floor(j.get_double()) == j.get_double() &&
                                                  std::abs(j.get_double()) < 1e15);
  if (!integral) fields.fail(field(), fmt::format("is {}; expected {}", shown(j), expected));
  const double value = j.is_number_unsigned() ? static_cast<double>(j.get_unsigned()) : j.get_double();
  if (value < static_cast<double>(lo) || value > static_cast<double>(hi))
    fields.fail(field(), fmt::format("is {}; expected {}", j.dump(), expected));
  return static_cast<Index>(value);
}

/// A matrix of `rows` × `cols` finite numbers (rows < 0: any number of rows, at least one): an
/// array of rows, or as Octave's jsonencode writes a vector (a flat array) or a 1 × 1 matrix (a number).
Eigen::MatrixXd matrix(const Value& j, const Fields& fields, const std::string& field, Index rows, Index cols,
                       const std::string& shape) {
  if ((j.is_number() || j.is_string() || j.is_null()) && cols == 1 && rows <= 1)
    return Eigen::MatrixXd::Constant(1, 1, finite_number(j, fields, field));
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected an array of rows ({})", shown(j), shape));
  if (j.empty()) fields.fail(field, fmt::format("is empty; expected {}", shape));
  const bool flat = !j.front().is_array();
  if (flat) {
    // A column when there is one column, else a single row.
    const Index n = static_cast<Index>(j.size());
    const bool column = cols == 1 && (rows < 0 || rows == n);
    if (!column && !(n == cols && (rows < 0 || rows == 1)))
      fields.fail(field, fmt::format("is a flat array of {}; expected an array of rows ({})", counted(static_cast<std::size_t>(n), "number"), shape));
    Eigen::MatrixXd M(column ? n : 1, column ? 1 : n);
    Value entry = j.front();
    for (Index k = 0; k < n; ++k, entry = entry.next())
      M.reshaped()(k) = finite_number_at(entry, fields, [&] { return fmt::format("{} entry {}", field, k + 1); });
    return M;
  }
  const Index n = static_cast<Index>(j.size());
  if (rows >= 0 && n != rows) fields.fail(field, fmt::format("has {}; expected {}", counted(static_cast<std::size_t>(n), "row"), shape));
  Eigen::MatrixXd M(n, cols);
  Value row = j.front();
  for (Index i = 0; i < n; ++i, row = row.next()) {
    const auto where = [&] { return fmt::format("{} row {}", field, i + 1); };
    if (!row.is_array()) fields.fail(where(), fmt::format("is {}; expected an array of {} numbers ({})", shown(row), cols, shape));
    if (static_cast<Index>(row.size()) != cols)
      fields.fail(where(), fmt::format("has {}; expected {} ({})", counted(row.size(), "number"), cols, shape));
    Value entry = row.front();
    for (Index k = 0; k < cols; ++k, entry = entry.next())
      M(i, k) = finite_number_at(entry, fields, [&] { return fmt::format("{}, column {}", where(), k + 1); });
  }
  return M;
}

std::vector<Index> sizes_of(const Value& j, const Fields& fields) {
  const std::string field = "\"sizes\"";
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected layer sizes [s_1, …, s_L], e.g. [400, 25, 10]", shown(j)));
  if (j.size() < 2)
    fields.fail(field, fmt::format("has {} layer{}; expected at least an input and an output layer, e.g. [400, 25, 10]",
                                   j.size(), j.size() == 1 ? "" : "s"));
  if (j.size() > 1000) fields.fail(field, fmt::format("has {} layers; expected at most 1000", j.size()));
  std::vector<Index> sizes;
  Value entry = j.front();
  for (std::size_t l = 0; l < j.size(); ++l, entry = entry.next())
    sizes.push_back(whole_number(entry, fields, [&] { return fmt::format("\"sizes\" entry {} (s_{})", l + 1, l + 1); }, 1,
                                 max_parameters, fmt::format("a whole number of units, 1 … {}", max_parameters)));
  if (parameters_within_limit(sizes) < 0)
    fields.fail(field, fmt::format("asks for more than {} parameters; expected a smaller network", max_parameters));
  return sizes;
}

std::vector<Activation> activations_of(const Tape* tape, const Fields& fields, Index hidden) {
  if (!tape) return std::vector<Activation>(static_cast<std::size_t>(hidden), Activation::sigmoid);
  const Value j(*tape);
  const std::string field = "\"activations\"";
  const auto parse = [&](const Value& name, const std::string& where) {
    if (!name.is_string()) fields.fail(where, fmt::format("is {}; expected sigmoid, tanh, relu or identity", shown(name)));
    try {
      return parse_activation(name.get_string());
    } catch (const std::invalid_argument& e) {
      fields.fail(where, e.what());
    }
  };
  if (j.is_string()) return std::vector<Activation>(static_cast<std::size_t>(hidden), parse(j, field));
  if (!j.is_array() || static_cast<Index>(j.size()) != hidden)
    fields.fail(field, fmt::format("is {}; expected one name per hidden layer, L − 2 = {} (or one name for all)",
                                   shown(j), hidden));
  std::vector<Activation> list;
  Value entry = j.front();
  for (std::size_t k = 0; k < j.size(); ++k, entry = entry.next())
    list.push_back(parse(entry, fmt::format("{} entry {} (layer {})", field, k + 1, k + 2)));
  return list;
}

Output output_of(const Tape* tape, const Fields& fields) {
  if (!tape) return Output::sigmoid_logistic;
  const Value j(*tape);
  if (!j.is_string()) fields.fail("\"cost\"", fmt::format("is {}; expected the name of an output/cost pair", shown(j)));
  try {
    return parse_output(j.get_string());
  } catch (const std::invalid_argument& e) {
    fields.fail("\"cost\"", e.what());
  }
}

Eigen::MatrixXd labels_to_targets(const Value& j, const Fields& fields, Index m, Index K) {
  const std::string field = "\"labels\"";
  // One output unit: the binary cross-entropy's y, 0 or 1 (and the course's label 1 still means 1).
  const bool binary = K == 1;
  const std::string expected = binary ? std::string("0 or 1 (one output unit: the binary y)")
                                      : fmt::format("a class label 1 … K = {} (K = s_L; the course's y, not 0-based)", K);
  const Index lowest = binary ? 0 : 1;
  const auto set = [binary](Eigen::MatrixXd& Y, Index t, Index y) {
    if (binary)
      Y(t, 0) = static_cast<double>(y);
    else
      Y(t, y - 1) = 1;
  };
  if (j.is_number() && m == 1) {  // jsonencode's 1 × 1
    Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(1, K);
    set(Y, 0, whole_number(j, fields, [&] { return field + " entry 1"; }, lowest, K, expected));
    return Y;
  }
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected m = {} class labels, {} … {}", shown(j), m, lowest, K));
  if (static_cast<Index>(j.size()) != m)
    fields.fail(field, fmt::format("has {}; expected one per row of X, m = {}", counted(j.size(), "label"), m));
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(m, K);
  Value entry = j.front();
  for (Index t = 0; t < m; ++t, entry = entry.next()) {
    const Value label = entry.is_array() && entry.size() == 1 ? entry.front() : entry;  // a column from jsonencode
    set(Y, t, whole_number(label, fields, [&] { return fmt::format("{} entry {}", field, t + 1); }, lowest, K, expected));
  }
  return Y;
}

/// The largest number of values each matrix field may hold: what the size limits allow, for the
/// network of "sizes" when it came first and is valid, else for any network.
FieldLimit problem_field_limit(std::string_view key, const Document& so_far) {
  if (std::find(std::begin(matrix_keys), std::end(matrix_keys), key) == std::end(matrix_keys))
    return {small_field_values, true};
  std::size_t limit = static_cast<std::size_t>(max_activations);
  if (key == "theta") limit = static_cast<std::size_t>(max_parameters);
  if (const Tape* sizes_tape = so_far.find("sizes")) {
    try {
      const std::vector<Index> sizes = sizes_of(Value(*sizes_tape), Fields(""));
      Index units = 0;
      for (const Index s : sizes) units += s;
      const auto m = static_cast<std::size_t>(max_activations / units);  // the most examples allowed
      if (key == "X") limit = m * static_cast<std::size_t>(sizes.front());
      if (key == "Y") limit = m * static_cast<std::size_t>(sizes.back());
      if (key == "labels") limit = m;
      if (key == "theta") limit = static_cast<std::size_t>(parameters_within_limit(sizes));
    } catch (const std::invalid_argument&) {  // reported in its turn, after the whole text is read
    }
  }
  return {limit, false};
}

}  // namespace

void fail_stopped(const Document& document, const std::string& source) {
  const Fields fields(source);
  if (document.too_deep)
    fields.fail("", fmt::format("nests arrays deeper than {} levels; expected a problem (matrices are arrays of rows)",
                                max_json_depth));
  if (!document.too_large.empty())
    fields.fail(Json(document.too_large).dump(),
                fmt::format("has more than {} values, more than a problem within the size limits (P ≤ {}, "
                            "m × Σ s_l ≤ {}) can have; expected a smaller problem",
                            document.too_large_max, max_parameters, max_activations));
  fields.fail("", "is not valid JSON: " + printable(document.syntax_error));
}

Reading problem_reading(std::initializer_list<std::string_view> extra_keys) {
  Reading reading;
  reading.keys.assign(std::begin(problem_keys), std::end(problem_keys));
  reading.keys.insert(reading.keys.end(), extra_keys.begin(), extra_keys.end());
  reading.limit = problem_field_limit;
  return reading;
}

ProblemFile problem_from_document(Document& document, const std::string& source,
                                  std::initializer_list<std::string_view> extra_keys) {
  const Fields fields(source);
  if (document.stopped()) fail_stopped(document, source);
  if (document.root) fields.fail("", fmt::format("holds {}; expected one JSON object", shown(Value(*document.root))));
  if (document.repeated_key)
    fields.fail(Json(*document.repeated_key).dump(), "given twice; expected each key once (JSON leaves which one counts undefined)");
  if (document.unknown_key) {
    std::string accepted;
    for (const auto k : problem_keys) accepted += (accepted.empty() ? "" : ", ") + std::string(k);
    for (const auto k : extra_keys) accepted += ", " + std::string(k);
    fields.fail(Json(*document.unknown_key).dump(), "unknown key; expected only " + accepted);
  }
  const auto field = [&](const char* key) { return document.find(key); };
  const auto required = [&](const char* key, const char* expected) -> const Tape& {
    const Tape* tape = document.find(key);
    if (!tape) fields.fail(fmt::format("\"{}\"", key), fmt::format("missing; expected {}", expected));
    return *tape;
  };
  const auto done = [&](const char* key) { document.fields.erase(key); };  // its numbers are in a matrix now

  ProblemFile file;
  Problem& p = file.problem;
  Architecture& arch = p.architecture;
  arch.sizes = sizes_of(Value(required("sizes", "layer sizes [s_1, …, s_L], e.g. [400, 25, 10]")), fields);
  const Index L = arch.layers(), s1 = arch.size(1), K = arch.size(L);
  arch.hidden = activations_of(field("activations"), fields, L - 2);
  arch.output = output_of(field("cost"), fields);
  if (const Tape* lambda = field("lambda")) {
    p.lambda = finite_number(Value(*lambda), fields, "\"lambda\"");
    if (p.lambda < 0) fields.fail("\"lambda\"", fmt::format("is {:g}; expected λ ≥ 0", p.lambda));
  }

  if (const Tape* conventions = field("conventions")) {
    // {"layout": …, "regularization": …, "reduction": …}, each optional: the implementation's.
    const Value value(*conventions);
    const char* expected = "an object with \"layout\" (theta, w-out-in, w-in-out), \"regularization\" (course, l2, none) "
                           "and \"reduction\" (mean, sum), each optional";
    if (!value.is_object()) fields.fail("\"conventions\"", fmt::format("is {}; expected {}", shown(value), expected));
    const Json object = value.json();  // kept: items() iterates over it
    for (const auto& [key, v] : object.items()) {
      if (!v.is_string() || (key != "layout" && key != "regularization" && key != "reduction"))
        fields.fail(fmt::format("\"conventions\" \"{}\"", key), fmt::format("is {}; expected {}", v.dump().substr(0, 40), expected));
      try {
        if (key == "layout") p.conventions.layout = parse_layout(v.get<std::string>());
        if (key == "regularization") p.conventions.regularization = parse_regularization(v.get<std::string>());
        if (key == "reduction") p.conventions.reduction = parse_reduction(v.get<std::string>());
      } catch (const std::invalid_argument& e) {
        fields.fail(fmt::format("\"conventions\" \"{}\"", key), e.what());
      }
    }
  }

  const Tape& X = required("X", "the inputs, an array of m rows of s_1 numbers");
  p.X = matrix(Value(X), fields, "\"X\"", -1, s1, fmt::format("m rows of s_1 = {} numbers, one row per example", s1));
  done("X");
  // X is no bigger than the file; the activations of m examples, allocated by the check, can be.
  check_size(arch.sizes, p.examples(),
             fmt::format("{}: a network of {} with m = {}", source, format_sizes(arch), p.examples()));

  const Tape* labels = field("labels");
  const Tape* Y = field("Y");
  if (!labels && !Y) fields.fail("\"labels\"", fmt::format("missing; expected the course's y (m class labels 1 … {}) or \"Y\" (m × s_L targets)", K));
  if (labels) {
    p.Y = labels_to_targets(Value(*labels), fields, p.examples(), K);
    done("labels");
  }
  if (Y) {
    const Eigen::MatrixXd targets = matrix(Value(*Y), fields, "\"Y\"", p.examples(), K,
                                           fmt::format("m × s_L = {} × {}, one row of targets per example", p.examples(), K));
    done("Y");
    if (labels && targets != p.Y)
      fields.fail("\"Y\"", "disagrees with \"labels\"; expected the one-hot rows of the labels (or give only one of them)");
    p.Y = targets;
  }
  try {
    validate(p);
  } catch (const std::invalid_argument& e) {
    fields.fail("", e.what());
  }

  if (const Tape* theta_tape = field("theta")) {
    const Value theta(*theta_tape);
    if (!theta.is_array() || static_cast<Index>(theta.size()) != L - 1)
      fields.fail("\"theta\"", fmt::format("is {}; expected L − 1 = {} matrices Θ^(1) … Θ^({}), each an array of rows",
                                           shown(theta), L - 1, L - 1));
    Weights<double> weights;
    Value layer = theta.front();
    for (Index l = 1; l < L; ++l, layer = layer.next())
      weights.push_back(matrix(layer, fields, fmt::format("\"theta\" Θ^({})", l), arch.size(l + 1), arch.size(l) + 1,
                               fmt::format("s_{} × (s_{} + 1) = {} × {}, bias column first", l + 1, l,
                                           arch.size(l + 1), arch.size(l) + 1)));
    done("theta");
    file.theta = std::move(weights);
  }
  return file;
}

}  // namespace problem_json
}  // namespace gradcheck
