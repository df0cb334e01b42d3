#include "gradcheck/problem_file.hpp"

#include "gradcheck/json_numbers.hpp"
#include "gradcheck/problem_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace gradcheck {
namespace problem_json {
namespace {

constexpr std::string_view problem_keys[] = {"sizes", "activations", "cost", "lambda", "X", "Y", "labels", "theta"};

/// Errors that name where they come from: "problem.json: \"X\" row 3: …".
class Fields {
 public:
  explicit Fields(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw std::invalid_argument(fmt::format("{}: {}{}", source_, field.empty() ? "" : field + ": ", message));
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

/// "1 number", "3 numbers".
std::string counted(std::size_t n, const char* noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

/// How a JSON value looks, for messages: "the string \"abc\"", "an object".
std::string shown(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_string()) {
    const std::string text = j.dump();
    return "the string " + (text.size() > 40 ? text.substr(0, 40) + "…\"" : text);
  }
  if (j.is_array()) return fmt::format("an array of {}", j.size());
  if (j.is_object()) return "an object";
  return j.dump();
}

/// The deepest nesting of [ and { in `text`, outside strings; stops counting past `limit`.
int depth_of(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') in_string = true;
    else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if (ch == ']' || ch == '}') --depth;
  }
  return deepest;
}

double finite_number(const Json& j, const Fields& fields, const std::string& field) {
  const std::optional<double> x = j.is_string() || j.is_number() || j.is_null() ? json_numbers::read(j) : std::nullopt;
  if (!x) fields.fail(field, fmt::format("is {}; expected a number", shown(j)));
  if (!std::isfinite(*x))
    fields.fail(field, fmt::format("is {}; expected a finite number", std::isnan(*x) ? "NaN" : *x > 0 ? "Infinity" : "-Infinity"));
  return *x;
}

Index whole_number(const Json& j, const Fields& fields, const std::string& field, Index lo, Index hi,
                   const std::string& expected) {
  const bool integral = j.is_number_integer() || (j.is_number_float() && std::isfinite(j.get<double>()) &&
                                                  std::floor(j.get<double>()) == j.get<double>() &&
                                                  std::abs(j.get<double>()) < 1e15);
  if (!integral) fields.fail(field, fmt::format("is {}; expected {}", shown(j), expected));
  const double value = j.is_number_unsigned() ? static_cast<double>(j.get<std::uint64_t>()) : j.get<double>();
  if (value < static_cast<double>(lo) || value > static_cast<double>(hi))
    fields.fail(field, fmt::format("is {}; expected {}", j.dump(), expected));
  return static_cast<Index>(value);
}

/// A matrix of `rows` × `cols` finite numbers (rows < 0: any number of rows, at least one): an
/// array of rows, or as Octave's jsonencode writes a vector (a flat array) or a 1 × 1 matrix (a number).
Eigen::MatrixXd matrix(const Json& j, const Fields& fields, const std::string& field, Index rows, Index cols,
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
    for (Index k = 0; k < n; ++k)
      M.reshaped()(k) = finite_number(j[static_cast<std::size_t>(k)], fields, fmt::format("{} entry {}", field, k + 1));
    return M;
  }
  const Index n = static_cast<Index>(j.size());
  if (rows >= 0 && n != rows) fields.fail(field, fmt::format("has {}; expected {}", counted(static_cast<std::size_t>(n), "row"), shape));
  Eigen::MatrixXd M(n, cols);
  for (Index i = 0; i < n; ++i) {
    const Json& row = j[static_cast<std::size_t>(i)];
    const std::string where = fmt::format("{} row {}", field, i + 1);
    if (!row.is_array()) fields.fail(where, fmt::format("is {}; expected an array of {} numbers ({})", shown(row), cols, shape));
    if (static_cast<Index>(row.size()) != cols)
      fields.fail(where, fmt::format("has {}; expected {} ({})", counted(row.size(), "number"), cols, shape));
    for (Index k = 0; k < cols; ++k)
      M(i, k) = finite_number(row[static_cast<std::size_t>(k)], fields, fmt::format("{}, column {}", where, k + 1));
  }
  return M;
}

std::vector<Index> sizes_of(const Json& j, const Fields& fields) {
  const std::string field = "\"sizes\"";
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected layer sizes [s_1, …, s_L], e.g. [400, 25, 10]", shown(j)));
  if (j.size() < 2)
    fields.fail(field, fmt::format("has {} layer{}; expected at least an input and an output layer, e.g. [400, 25, 10]",
                                   j.size(), j.size() == 1 ? "" : "s"));
  if (j.size() > 1000) fields.fail(field, fmt::format("has {} layers; expected at most 1000", j.size()));
  std::vector<Index> sizes;
  for (std::size_t l = 0; l < j.size(); ++l)
    sizes.push_back(whole_number(j[l], fields, fmt::format("\"sizes\" entry {} (s_{})", l + 1, l + 1), 1, max_parameters,
                                 fmt::format("a whole number of units, 1 … {}", max_parameters)));
  if (parameters_within_limit(sizes) < 0)
    fields.fail(field, fmt::format("asks for more than {} parameters; expected a smaller network", max_parameters));
  return sizes;
}

std::vector<Activation> activations_of(const Json* j, const Fields& fields, Index hidden) {
  if (!j) return std::vector<Activation>(static_cast<std::size_t>(hidden), Activation::sigmoid);
  const std::string field = "\"activations\"";
  const auto parse = [&](const Json& name, const std::string& where) {
    if (!name.is_string()) fields.fail(where, fmt::format("is {}; expected sigmoid, tanh, relu or identity", shown(name)));
    try {
      return parse_activation(name.get<std::string>());
    } catch (const std::invalid_argument& e) {
      fields.fail(where, e.what());
    }
  };
  if (j->is_string()) return std::vector<Activation>(static_cast<std::size_t>(hidden), parse(*j, field));
  if (!j->is_array() || static_cast<Index>(j->size()) != hidden)
    fields.fail(field, fmt::format("is {}; expected one name per hidden layer, L − 2 = {} (or one name for all)",
                                   shown(*j), hidden));
  std::vector<Activation> list;
  for (std::size_t k = 0; k < j->size(); ++k) list.push_back(parse((*j)[k], fmt::format("{} entry {} (layer {})", field, k + 1, k + 2)));
  return list;
}

Output output_of(const Json* j, const Fields& fields) {
  if (!j) return Output::sigmoid_logistic;
  if (!j->is_string()) fields.fail("\"cost\"", fmt::format("is {}; expected the name of an output/cost pair", shown(*j)));
  try {
    return parse_output(j->get<std::string>());
  } catch (const std::invalid_argument& e) {
    fields.fail("\"cost\"", e.what());
  }
}

Eigen::MatrixXd labels_to_targets(const Json& j, const Fields& fields, Index m, Index K) {
  const std::string field = "\"labels\"";
  if (j.is_number() && m == 1) return labels_to_targets(Json::array({j}), fields, m, K);  // jsonencode's 1 × 1
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected m = {} class labels, 1 … {}", shown(j), m, K));
  if (static_cast<Index>(j.size()) != m)
    fields.fail(field, fmt::format("has {}; expected one per row of X, m = {}", counted(j.size(), "label"), m));
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(m, K);
  for (Index t = 0; t < m; ++t) {
    const Json* label = &j[static_cast<std::size_t>(t)];
    if (label->is_array() && label->size() == 1) label = &label->front();  // a column from jsonencode
    const Index y = whole_number(*label, fields, fmt::format("{} entry {}", field, t + 1), 1, K,
                                 fmt::format("a class label 1 … K = {} (K = s_L; the course's y, not 0-based)", K));
    Y(t, y - 1) = 1;
  }
  return Y;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte >= 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += ch;
  }
  return out;
}

Json parse_object(std::string_view text, const std::string& source) {
  const Fields fields(source);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    fields.fail("", "is empty; expected one JSON object with \"sizes\", \"X\" and \"labels\" or \"Y\"");
  if (text.size() >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') || (text[0] == '\xfe' && text[1] == '\xff')))
    fields.fail("", "is UTF-16 (it starts with a byte-order mark); expected UTF-8 JSON (convert it with "
                    "iconv -f UTF-16 -t UTF-8)");
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    fields.fail("", fmt::format("holds a NUL byte at offset {}; expected JSON text", nul));
  if (depth_of(text, max_json_depth) > max_json_depth)
    fields.fail("", fmt::format("nests arrays deeper than {} levels; expected a problem (matrices are arrays of rows)",
                                max_json_depth));
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 5: …"
    if (const auto bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
    fields.fail("", "is not valid JSON: " + printable(what));
  }
  if (!j.is_object()) fields.fail("", fmt::format("holds {}; expected one JSON object", shown(j)));
  return j;
}

ProblemFile problem_from_json(const Json& j, const std::string& source, std::initializer_list<std::string_view> extra_keys) {
  const Fields fields(source);
  for (const auto& [key, value] : j.items()) {
    bool known = std::find(std::begin(problem_keys), std::end(problem_keys), key) != std::end(problem_keys);
    for (const auto extra : extra_keys) known = known || key == extra;
    if (!known) {
      std::string accepted;
      for (const auto k : problem_keys) accepted += (accepted.empty() ? "" : ", ") + std::string(k);
      for (const auto k : extra_keys) accepted += ", " + std::string(k);
      fields.fail(Json(key).dump(), "unknown key; expected only " + accepted);
    }
  }
  const auto field = [&](const char* key) -> const Json* { return j.contains(key) ? &j[key] : nullptr; };
  const auto required = [&](const char* key, const char* expected) -> const Json& {
    if (!j.contains(key)) fields.fail(fmt::format("\"{}\"", key), fmt::format("missing; expected {}", expected));
    return j[key];
  };

  ProblemFile file;
  Problem& p = file.problem;
  Architecture& arch = p.architecture;
  arch.sizes = sizes_of(required("sizes", "layer sizes [s_1, …, s_L], e.g. [400, 25, 10]"), fields);
  const Index L = arch.layers(), s1 = arch.size(1), K = arch.size(L);
  arch.hidden = activations_of(field("activations"), fields, L - 2);
  arch.output = output_of(field("cost"), fields);
  if (const Json* lambda = field("lambda")) {
    p.lambda = finite_number(*lambda, fields, "\"lambda\"");
    if (p.lambda < 0) fields.fail("\"lambda\"", fmt::format("is {:g}; expected λ ≥ 0", p.lambda));
  }

  const Json& X = required("X", "the inputs, an array of m rows of s_1 numbers");
  p.X = matrix(X, fields, "\"X\"", -1, s1, fmt::format("m rows of s_1 = {} numbers, one row per example", s1));
  // X is no bigger than the file; the activations of m examples, allocated by the check, can be.
  check_size(arch.sizes, p.examples(),
             fmt::format("{}: a network of {} with m = {}", source, format_sizes(arch), p.examples()));

  const Json* labels = field("labels");
  const Json* Y = field("Y");
  if (!labels && !Y) fields.fail("\"labels\"", fmt::format("missing; expected the course's y (m class labels 1 … {}) or \"Y\" (m × s_L targets)", K));
  if (labels) {
    p.Y = labels_to_targets(*labels, fields, p.examples(), K);
  }
  if (Y) {
    const Eigen::MatrixXd targets = matrix(*Y, fields, "\"Y\"", p.examples(), K,
                                           fmt::format("m × s_L = {} × {}, one row of targets per example", p.examples(), K));
    if (labels && targets != p.Y)
      fields.fail("\"Y\"", "disagrees with \"labels\"; expected the one-hot rows of the labels (or give only one of them)");
    p.Y = targets;
  }
  try {
    validate(p);
  } catch (const std::invalid_argument& e) {
    fields.fail("", e.what());
  }

  if (const Json* theta = field("theta")) {
    if (!theta->is_array() || static_cast<Index>(theta->size()) != L - 1)
      fields.fail("\"theta\"", fmt::format("is {}; expected L − 1 = {} matrices Θ^(1) … Θ^({}), each an array of rows",
                                           shown(*theta), L - 1, L - 1));
    Weights<double> weights;
    for (Index l = 1; l < L; ++l)
      weights.push_back(matrix((*theta)[static_cast<std::size_t>(l - 1)], fields, fmt::format("\"theta\" Θ^({})", l),
                               arch.size(l + 1), arch.size(l) + 1,
                               fmt::format("s_{} × (s_{} + 1) = {} × {}, bias column first", l + 1, l,
                                           arch.size(l + 1), arch.size(l) + 1)));
    file.theta = std::move(weights);
  }
  return file;
}

}  // namespace problem_json

ProblemFile parse_problem(std::string_view text, const std::string& source) {
  return problem_json::problem_from_json(problem_json::parse_object(text, source), source);
}

ProblemFile read_problem_file(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status))
    throw std::invalid_argument(fmt::format("--problem {}: no such file; expected a JSON problem file", path));
  if (std::filesystem::is_directory(status))
    throw std::invalid_argument(fmt::format("--problem {}: is a folder; expected a JSON problem file", path));
  const auto bytes = std::filesystem::file_size(path, error);
  if (!error && bytes > max_problem_file_bytes)
    throw std::invalid_argument(fmt::format("{}: {:.1f} GiB; expected a problem file of at most {} GiB", path,
                                            static_cast<double>(bytes) / (1 << 30), max_problem_file_bytes >> 30));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("--problem {}: cannot be read; expected a readable JSON file", path));
  // Read in pieces, so that a pipe or device, whose size is not known beforehand, is capped too.
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_problem_file_bytes)
      throw std::invalid_argument(fmt::format("{}: more than {} GiB; expected a smaller problem file", path,
                                              max_problem_file_bytes >> 30));
  }
  return parse_problem(text, path);
}

}  // namespace gradcheck
