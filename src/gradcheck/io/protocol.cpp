#include "gradcheck/io/protocol.hpp"

#include "gradcheck/io/problem_json.hpp"
#include "gradcheck/io/process.hpp"
#include "gradcheck/io/reply_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>

namespace gradcheck {
namespace {

using problem_json::Json;
using problem_json::Tape;
using problem_json::Value;
using protocol_detail::read_matrix;
using protocol_detail::reply_number;

/// Appends a double as JSON: the shortest text that reads back bit for bit, always with a '.'
/// or an exponent (so that readers such as Python's json see a float), NaN and ±∞ as strings.
void write_number(std::string& out, double x) {
  if (std::isnan(x) || std::isinf(x)) {
    fmt::format_to(std::back_inserter(out), "\"{}\"", std::isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
    return;
  }
  const std::size_t start = out.size();
  fmt::format_to(std::back_inserter(out), "{}", x);
  if (out.find_first_of(".e", start) == std::string::npos) out += ".0";
}

}  // namespace

std::optional<std::vector<double>> read_base64(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> bytes;
  bytes.reserve(text.size() / 4 * 3);
  const auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    std::uint32_t n = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = k >= 4 - pad ? 0 : digit(text[i + static_cast<std::size_t>(k)]);
      if (d < 0) return std::nullopt;
      n = (n << 6) | static_cast<std::uint32_t>(d);
    }
    for (int k = 0; k < 3 - pad; ++k) bytes.push_back(static_cast<unsigned char>(n >> (16 - 8 * k)));
  }
  if (bytes.size() % 8 != 0) return std::nullopt;
  std::vector<double> values(bytes.size() / 8);
  for (std::size_t k = 0; k < values.size(); ++k) {
    std::uint64_t bits = 0;
    for (int b = 0; b < 8; ++b) bits |= std::uint64_t{bytes[k * 8 + static_cast<std::size_t>(b)]} << (8 * b);
    std::memcpy(&values[k], &bits, 8);
  }
  return values;
}

namespace {

/// Appends a matrix as an array of rows.
/// Doubles as base64 of their little-endian bytes (row-major for a matrix): exact, and a third the
/// size of decimal text.
void write_base64(std::string& out, const double* values, std::size_t count, std::initializer_list<Index> shape) {
  static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> bytes(count * 8);
  for (std::size_t k = 0; k < count; ++k) {
    std::uint64_t bits;
    std::memcpy(&bits, values + k, 8);
    for (int b = 0; b < 8; ++b) bytes[k * 8 + static_cast<std::size_t>(b)] = static_cast<unsigned char>(bits >> (8 * b));
  }
  out += "{\"base64\":\"";
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (i + 1 < bytes.size() ? std::uint32_t{bytes[i + 1]} << 8 : 0) |
                            (i + 2 < bytes.size() ? std::uint32_t{bytes[i + 2]} : 0);
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? digits[n & 63] : '=';
  }
  out += "\",\"shape\":[";
  bool first = true;
  for (const Index d : shape) fmt::format_to(std::back_inserter(out), "{}{}", std::exchange(first, false) ? "" : ",", d);
  out += "]}";
}

void write_rows(std::string& out, const Eigen::MatrixXd& M, Encoding encoding = Encoding::json) {
  if (encoding == Encoding::base64) {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = M;
    write_base64(out, rows.data(), static_cast<std::size_t>(rows.size()), {M.rows(), M.cols()});
    return;
  }
  out.push_back('[');
  for (Index i = 0; i < M.rows(); ++i) {
    out += i ? ",[" : "[";
    for (Index j = 0; j < M.cols(); ++j) {
      if (j) out.push_back(',');
      write_number(out, M(i, j));
    }
    out.push_back(']');
  }
  out.push_back(']');
}

/// The class labels 1 … K when every row of Y is one-hot, else nothing.
std::optional<std::vector<int>> labels_of(const Eigen::MatrixXd& Y) {
  std::vector<int> labels;
  for (Index t = 0; t < Y.rows(); ++t) {
    Index hot = -1;
    for (Index k = 0; k < Y.cols(); ++k) {
      if (Y(t, k) == 1 && hot < 0)
        hot = k;
      else if (Y(t, k) != 0)
        return std::nullopt;
    }
    if (hot < 0) return std::nullopt;
    labels.push_back(static_cast<int>(hot + 1));
  }
  return labels;
}

/// Θ^(l) = [b^(l) W^(l)] (W^(l) transposed first when inputs × outputs) from a request's "W"
/// and "b"; throws std::invalid_argument naming the field.
Weights<double> weights_from(const Tape& W_tape, const Tape& b_tape, const Architecture& architecture, WeightLayout layout) {
  const Index L = architecture.layers();
  const Value Ws(W_tape), bs(b_tape);
  if (!Ws.is_array() || !bs.is_array() || static_cast<Index>(Ws.size()) != L - 1 || static_cast<Index>(bs.size()) != L - 1)
    throw std::invalid_argument(fmt::format("request: \"W\" and \"b\": expected L − 1 = {} matrices and {} vectors", L - 1, L - 1));
  Weights<double> theta;
  Value W = Ws.front(), b = bs.front();
  const bool out_in = layout == WeightLayout::w_out_in;
  try {
    for (Index l = 1; l < L; ++l, W = W.next(), b = b.next()) {
      const Index outputs = architecture.size(l + 1), inputs = architecture.size(l);
      Eigen::MatrixXd T(outputs, inputs + 1);
      const Eigen::MatrixXd M = read_matrix(W, out_in ? outputs : inputs, out_in ? inputs : outputs, fmt::format("W{}", l),
                                            out_in ? "(outputs × inputs)" : "(inputs × outputs)",
                                            [l](Index i, Index k) { return fmt::format("W{}[{},{}]", l, i, k); });
      T.rightCols(inputs) = out_in ? M : Eigen::MatrixXd(M.transpose());
      if (!b.is_array() || static_cast<Index>(b.size()) != outputs)
        throw ImplementationError(fmt::format("b{} that is not {} numbers", l, outputs));
      Value x = b.front();
      for (Index i = 0; i < outputs; ++i, x = x.next()) T(i, 0) = x.is_number() ? x.get_double() : reply_number(x, fmt::format("b{}[{}]", l, i));
      if (!T.allFinite()) throw ImplementationError(fmt::format("W{} or b{} holding NaN or ±∞", l, l));
      theta.push_back(std::move(T));
    }
  } catch (const ImplementationError& e) {  // the reply readers' words, as a request's error
    throw std::invalid_argument(std::string("request: ") + e.what());
  }
  return theta;
}

void write_want(std::string& out, Want want) {
  out += "\"want\":[";
  if (want != Want::gradient) out += want == Want::both ? "\"J\"," : "\"J\"";
  if (want != Want::cost) out += "\"gradient\"";
  out += "]";
}

void write_vector(std::string& out, const Eigen::VectorXd& v, Encoding encoding = Encoding::json) {
  if (encoding == Encoding::base64) {
    write_base64(out, v.data(), static_cast<std::size_t>(v.size()), {v.size()});
    return;
  }
  out.push_back('[');
  for (Index k = 0; k < v.size(); ++k) {
    if (k) out.push_back(',');
    write_number(out, v(k));
  }
  out.push_back(']');
}

/// "theta": [Θ^(1), …], or in a W, b layout "W": [W^(1), …], "b": [b^(1), …].
void write_parameters(std::string& out, const Weights<double>& theta, WeightLayout layout, Encoding encoding) {
  if (layout == WeightLayout::theta) {
    out += "\"theta\":[";
    for (std::size_t l = 0; l < theta.size(); ++l) {
      if (l) out.push_back(',');
      write_rows(out, theta[l], encoding);
    }
    out += "]";
    return;
  }
  out += "\"W\":[";
  for (std::size_t l = 0; l < theta.size(); ++l) {
    if (l) out.push_back(',');
    const auto W = theta[l].rightCols(theta[l].cols() - 1);
    write_rows(out, layout == WeightLayout::w_out_in ? Eigen::MatrixXd(W) : Eigen::MatrixXd(W.transpose()), encoding);
  }
  out += "],\"b\":[";
  for (std::size_t l = 0; l < theta.size(); ++l) {
    if (l) out.push_back(',');
    write_vector(out, theta[l].col(0), encoding);
  }
  out += "]";
}

}  // namespace

std::string make_request(std::size_t id, const Problem& problem, const Weights<double>& theta, Want want, Encoding encoding) {
  // Written directly, not through a DOM: a big problem's request is as big as the problem.
  const Architecture& arch = problem.architecture;
  std::size_t numbers = static_cast<std::size_t>(problem.X.size() + problem.Y.size());
  for (const auto& t : theta) numbers += static_cast<std::size_t>(t.size());
  std::string out;  // returned as it is: no copy of a text as big as the problem
  out.reserve(numbers * 24 + 1024);
  const auto text = [&](std::string_view s) { out.append(s); };
  fmt::format_to(std::back_inserter(out), "{{\"id\":{},", id);
  write_want(out, want);
  text(",\"sizes\":[");
  for (std::size_t l = 0; l < arch.sizes.size(); ++l) fmt::format_to(std::back_inserter(out), "{}{}", l ? "," : "", arch.sizes[l]);
  text("],\"activations\":[");
  for (std::size_t l = 0; l < arch.hidden.size(); ++l) fmt::format_to(std::back_inserter(out), "{}\"{}\"", l ? "," : "", name(arch.hidden[l]));
  fmt::format_to(std::back_inserter(out), "],\"cost\":\"{}\",\"lambda\":", name(arch.output));
  write_number(out, problem.lambda);
  text(",\"X\":");
  write_rows(out, problem.X, encoding);
  text(",\"Y\":");
  write_rows(out, problem.Y, encoding);
  if (const auto labels = labels_of(problem.Y)) {
    text(",\"labels\":[");
    for (std::size_t t = 0; t < labels->size(); ++t) fmt::format_to(std::back_inserter(out), "{}{}", t ? "," : "", (*labels)[t]);
    text("]");
  }
  const Conventions& conventions = problem.conventions;
  if (!conventions.course())
    fmt::format_to(std::back_inserter(out), ",\"conventions\":{{\"layout\":\"{}\",\"regularization\":\"{}\",\"reduction\":\"{}\"}}",
                   name(conventions.layout), name(conventions.regularization), name(conventions.reduction));
  out.push_back(',');
  write_parameters(out, theta, conventions.layout, encoding);
  out.push_back('}');
  return out;
}

std::string make_theta_request(std::size_t id, const Weights<double>& theta, Want want, WeightLayout layout, Encoding encoding) {
  std::size_t numbers = 0;
  for (const auto& t : theta) numbers += static_cast<std::size_t>(t.size());
  std::string out;
  out.reserve(numbers * 24 + 64);
  fmt::format_to(std::back_inserter(out), "{{\"id\":{},", id);
  write_want(out, want);
  out.push_back(',');
  write_parameters(out, theta, layout, encoding);
  out.push_back('}');
  return out;
}

std::string make_points_request(std::size_t id, const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions,
                                Encoding encoding) {
  std::string out;
  std::size_t numbers = 0;
  for (const auto& v : directions) numbers += static_cast<std::size_t>(v.size());
  out.reserve(at.size() * 32 + numbers * 24 + 64);
  fmt::format_to(std::back_inserter(out), "{{\"id\":{},\"want\":[\"J\"],\"at\":[", id);
  for (std::size_t p = 0; p < at.size(); ++p) {
    fmt::format_to(std::back_inserter(out), "{}[{},", p ? "," : "", at[p].index);
    write_number(out, at[p].step);
    out.push_back(']');
  }
  out.push_back(']');
  if (!directions.empty()) {
    out += ",\"directions\":[";
    for (std::size_t d = 0; d < directions.size(); ++d) {
      if (d) out.push_back(',');
      write_vector(out, directions[d], encoding);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

Index protocol_index(const Layout& layout, Index k, WeightLayout weights) {
  const ParamIndex p = layout.entry(k);
  if (weights == WeightLayout::theta) return layout.offset(p.l) + (p.i - 1) * layout.cols(p.l) + p.j;
  // Every W^(l) row by row, then every b^(l).
  Index before = 0, all_W = 0, biases_before = 0;
  for (Index l = 1; l <= layout.matrices(); ++l) {
    const Index size = layout.rows(l) * (layout.cols(l) - 1);
    if (l < p.l) before += size, biases_before += layout.rows(l);
    all_W += size;
  }
  if (p.j == 0) return all_W + biases_before + (p.i - 1);
  const Index outputs = layout.rows(p.l), inputs = layout.cols(p.l) - 1;
  return before + (weights == WeightLayout::w_out_in ? (p.i - 1) * inputs + (p.j - 1) : (p.j - 1) * outputs + (p.i - 1));
}

Index unrolled_index(const Layout& layout, Index p, WeightLayout weights) {
  if (weights == WeightLayout::theta) {
    Index l = layout.matrices();
    while (l > 1 && layout.offset(l) > p) --l;
    const Index within = p - layout.offset(l);
    return layout.flat({l, within / layout.cols(l) + 1, within % layout.cols(l)});
  }
  for (Index k = 0; k < layout.parameters(); ++k)  // seldom asked: a search is enough
    if (protocol_index(layout, k, weights) == p) return k;
  throw std::out_of_range(fmt::format("protocol index {} is outside 0 … P − 1", p));
}

Eigen::VectorXd in_protocol_order(const Layout& layout, const Eigen::VectorXd& flat, WeightLayout weights) {
  Eigen::VectorXd out(flat.size());
  for (Index k = 0; k < flat.size(); ++k) out(protocol_index(layout, k, weights)) = flat(k);
  return out;
}

Request parse_request(const std::string& line) {
  const std::string source = "request";
  problem_json::check_text(line, source);
  problem_json::Document document = problem_json::read_document(line, problem_json::problem_reading({"id", "want", "W", "b"}));
  // W and b are read below, once the conventions say how; the problem's own reader sees neither.
  std::optional<Tape> W, b;
  if (const auto at = document.fields.find("W"); at != document.fields.end()) W = std::move(at->second), document.fields.erase(at);
  if (const auto at = document.fields.find("b"); at != document.fields.end()) b = std::move(at->second), document.fields.erase(at);
  ProblemFile parsed = problem_json::problem_from_document(document, source, {"id", "want", "W", "b"});
  Request request;
  const Tape* id = document.find("id");
  if (!id || !Value(*id).is_number_unsigned())
    throw std::invalid_argument("request: \"id\": " + (id ? Value(*id).dump().substr(0, 40) : "missing") +
                                "; expected a whole number ≥ 0");
  request.id = static_cast<std::size_t>(Value(*id).get_unsigned());
  const Tape* want = document.find("want");
  const Json wanted = want ? Value(*want).json(problem_json::max_kept_string_bytes) : Json::array({"J", "gradient"});
  bool J = false, gradient = false;
  for (const Json& w : wanted.is_array() ? wanted : Json::array({nullptr})) {
    J = J || w == "J";
    gradient = gradient || w == "gradient";
    if (w != "J" && w != "gradient")
      throw std::invalid_argument("request: \"want\": " + wanted.dump().substr(0, 40) +
                                  "; expected an array of \"J\" and/or \"gradient\"");
  }
  if (want && Value(*want).is_array() && Value(*want).size() > wanted.size())  // more entries than were kept
    throw std::invalid_argument(fmt::format("request: \"want\": an array of {}; expected an array of \"J\" and/or \"gradient\"",
                                            Value(*want).size()));
  if (!J && !gradient) throw std::invalid_argument("request: \"want\" is empty; expected \"J\" and/or \"gradient\"");
  request.want = J && gradient ? Want::both : J ? Want::cost : Want::gradient;
  const WeightLayout layout = parsed.problem.conventions.layout;
  if (layout == WeightLayout::theta && (W || b))
    throw std::invalid_argument("request: \"W\" and \"b\" come with \"conventions\" {\"layout\": \"w-out-in\" or \"w-in-out\"}; "
                                "expected \"theta\" in the course's layout");
  if (layout != WeightLayout::theta) {
    if (parsed.theta || !W || !b)
      throw std::invalid_argument("request: with \"layout\": \"" + name(layout) + "\", expected \"W\" and \"b\" (not \"theta\")");
    parsed.theta = weights_from(*W, *b, parsed.problem.architecture, layout);
  }
  if (!parsed.theta) throw std::invalid_argument("request: \"theta\": missing; expected L − 1 matrices Θ^(l)");
  request.problem = std::move(parsed.problem);
  request.theta = std::move(*parsed.theta);
  return request;
}

}  // namespace gradcheck
