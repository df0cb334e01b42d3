// Reading replies: what every reply has (id, "output", "error", "changed"), then J and the gradient,
// or J at many points.

#include "gradcheck/io/protocol.hpp"

#include "gradcheck/io/problem_json.hpp"
#include "gradcheck/io/reply_values.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string_view>

namespace gradcheck {
namespace {

using problem_json::Json;
using problem_json::Tape;
using problem_json::Value;
using protocol_detail::read_matrix;
using protocol_detail::reply_number;

/// How a reply is read: the gradient up to twice the parameters (more is no gradient of this
/// network, whatever its shape), the rest in part; keys other than a reply's are skipped.
problem_json::Reading reply_reading(const Architecture& architecture) {
  problem_json::Reading reading;
  reading.keys = {"id", "error", "J", "gradient", "dW", "db", "output", "protocol", "encodings", "changed"};
  const auto P = static_cast<std::size_t>(std::max<Index>(parameters_within_limit(architecture.sizes), 0));
  reading.limit = [P](std::string_view key, const problem_json::Document&) -> problem_json::FieldLimit {
    if (key == "gradient" || key == "dW" || key == "db") return {2 * P + 1000, false};
    return {4096, true};
  };
  reading.max_depth = std::numeric_limits<int>::max();  // a reply's nesting costs no more than its length
  return reading;
}

}  // namespace

void refuse_nul(const std::string& line) {
  if (const auto nul = line.find('\0'); nul != std::string::npos)
    throw ImplementationError(fmt::format("a reply that holds a NUL byte at column {}; expected one line of JSON", nul + 1));
}

namespace {

/// What every reply has, checked: JSON, an object, the request's id, "output" (into `reply`) and
/// "error" (thrown as ErrorReply).
template <class Out>
void read_head(const problem_json::Document& document, const std::string& line, std::size_t id, Out& reply) {
  if (!document.syntax_error.empty()) {  // parse_error, or out_of_range for a number like 1e999
    if (document.syntax_error.find("number overflow") != std::string::npos)
      throw ImplementationError("a number beyond a double's range in a reply (" +
                                problem_json::printable(document.syntax_error.substr(0, 120)) +
                                "); expected doubles, NaN and Infinity spelled so");
    const std::string shown = line.size() > 80 ? problem_json::printable(line.substr(0, 80)) + "…" : problem_json::printable(line);
    throw ImplementationError("a line that is not JSON: '" + shown +
                              "' (a reply is one JSON object per line; print anything else to stderr)");
  }
  refuse_nul(line);
  if (document.root) throw ImplementationError("a reply that is not a JSON object: " + Value(*document.root).dump().substr(0, 80));
  if (document.repeated_key)
    throw ImplementationError(fmt::format("a reply with \"{}\" twice; expected each key once (JSON leaves which one counts "
                                          "undefined)", problem_json::printable(*document.repeated_key)));
  const Tape* id_tape = document.find("id");
  const std::optional<Value> reply_id = id_tape ? std::optional<Value>(Value(*id_tape)) : std::nullopt;
  if (!reply_id || !reply_id->is_number_integer() || reply_id->get_unsigned() != id)  // a negative id wraps, as in a DOM
    throw ImplementationError(fmt::format("a reply whose id is {}; expected {}", reply_id ? reply_id->dump() : "missing", id));
  if (const Tape* output = document.find("output")) {
    if (!Value(*output).is_string())
      throw ImplementationError(fmt::format("a reply whose \"output\" is {}; expected a string (what your code printed)",
                                            Value(*output).dump().substr(0, 80)));
    reply.output = Value(*output).get_string();
    reply.output_bytes = std::max(output->last_string_bytes(), reply.output.size());  // "NaN" is kept as a number
  }
  if (const Tape* protocol = document.find("protocol"); protocol && !Value(*protocol).is_number_unsigned())
    throw ImplementationError(fmt::format("a reply whose \"protocol\" is {}; expected a whole number, the version it "
                                          "speaks (2)", Value(*protocol).dump().substr(0, 40)));
  if (const Tape* changed = document.find("changed")) reply.changed = read_changed(Value(*changed).json(4096));
  // The implementation's own code failed and says how; what it printed before goes with it.
  if (const Tape* error = document.find("error"))
    throw ErrorReply(Value(*error).is_string() ? Value(*error).get_string() : Value(*error).dump(), reply.output);
}

}  // namespace

std::vector<Changed> read_changed(const nlohmann::ordered_json& changed) {
  const auto refused = [&] {
    return ImplementationError(fmt::format("a reply whose \"changed\" is {}; expected an array of {{\"input\": name, \"says\": "
                                           "sentence}}, what the call changed of its inputs", changed.dump().substr(0, 80)));
  };
  if (!changed.is_array() || changed.size() > 16) throw refused();
  std::vector<Changed> out;
  for (const auto& c : changed) {
    if (!c.is_object() || !c.contains("input") || !c.contains("says") || !c["input"].is_string() || !c["says"].is_string() ||
        c["input"].get<std::string>().empty() || c["says"].get<std::string>().empty())
      throw refused();
    out.push_back({terminal_safe(c["input"].get<std::string>(), 200), terminal_safe(c["says"].get<std::string>(), 1000)});
  }
  return out;
}

Reply parse_reply(const std::string& line, std::size_t id, const Architecture& architecture, Want want, WeightLayout layout) {
  // Streamed: the gradient's numbers go from the line to a tape (9 bytes each) to the matrices.
  const problem_json::Document document = problem_json::read_document(line, reply_reading(architecture));
  if (!document.too_large.empty() && document.syntax_error.empty())
    throw ImplementationError(fmt::format("a gradient of more than {} numbers; expected P = {}, one per parameter Θ^(l)_ij",
                                          document.too_large_max, parameters_within_limit(architecture.sizes)));
  Reply reply;
  read_head(document, line, id, reply);
  if (const Tape* protocol = document.find("protocol"); protocol && Value(*protocol).is_number_unsigned())
    reply.protocol = static_cast<int>(std::clamp<std::uint64_t>(Value(*protocol).get_unsigned(), 1, 1000));
  if (const Tape* encodings = document.find("encodings"))
    reply.base64 = Value(*encodings).json().dump().find("\"base64\"") != std::string::npos;
  if (want != Want::gradient) {
    const Tape* J = document.find("J");
    if (!J) throw ImplementationError("a reply without \"J\", which the request asked for");
    reply.J = reply_number(Value(*J), "\"J\"");
  }
  if (want == Want::cost) return reply;
  const Index L = architecture.layers();
  const auto layers_of = [&](const char* key, const char* what) {
    const Tape* tape = document.find(key);
    if (!tape || !Value(*tape).is_array())
      throw ImplementationError(fmt::format("a reply without a \"{}\" array, which the request asked for", key));
    const Value layers(*tape);
    if (static_cast<Index>(layers.size()) != L - 1)
      throw ImplementationError(fmt::format("a {} of {} layers; expected L − 1 = {}, one per {}",
                                            std::string_view(key) == "gradient" ? "gradient" : fmt::format("\"{}\"", key),
                                            layers.size(), L - 1, what));
    return layers;
  };
  if (layout == WeightLayout::theta) {
    Value rows = layers_of("gradient", "Θ^(l)").front();
    for (Index l = 1; l < L; ++l, rows = rows.next())
      reply.gradient.push_back(read_matrix(rows, architecture.size(l + 1), architecture.size(l) + 1,
                                           fmt::format("a gradient for Θ^({})", l),
                                           fmt::format("(s_{} × (s_{} + 1), bias column first)", l + 1, l),
                                           [l](Index i, Index k) { return fmt::format("gradient Θ^({})_{{{},{}}}", l, i + 1, k); }));
    return reply;
  }
  // W^(l) and b^(l) apart: dW and db, mapped into Θ^(l)'s shape [db dW] (dW transposed first when
  // the layout is inputs × outputs).
  const bool out_in = layout == WeightLayout::w_out_in;
  Value W = layers_of("dW", "W^(l)").front(), b = layers_of("db", "b^(l)").front();
  for (Index l = 1; l < L; ++l, W = W.next(), b = b.next()) {
    const Index outputs = architecture.size(l + 1), inputs = architecture.size(l);
    Eigen::MatrixXd D(outputs, inputs + 1);
    const Eigen::MatrixXd dW = read_matrix(W, out_in ? outputs : inputs, out_in ? inputs : outputs, fmt::format("dW{}", l),
                                           out_in ? fmt::format("(s_{} outputs × s_{} inputs)", l + 1, l)
                                                  : fmt::format("(s_{} inputs × s_{} outputs)", l, l + 1),
                                           [l](Index i, Index k) { return fmt::format("dW{}[{},{}]", l, i, k); });
    D.rightCols(inputs) = out_in ? dW : Eigen::MatrixXd(dW.transpose());
    if (!b.is_array() || static_cast<Index>(b.size()) != outputs)
      throw ImplementationError(fmt::format("a db{} that is {}; expected {} numbers, one per unit of layer {}", l,
                                            b.is_array() ? fmt::format("{} numbers", b.size()) : "not an array", outputs, l + 1));
    Value entry = b.front();
    for (Index i = 0; i < outputs; ++i, entry = entry.next())
      D(i, 0) = entry.is_number() ? entry.get_double() : reply_number(entry, fmt::format("db{}[{}]", l, i));
    reply.gradient.push_back(std::move(D));
  }
  return reply;
}

Costs parse_costs(const std::string& line, std::size_t id, std::size_t count) {
  problem_json::Reading reading;
  reading.keys = {"id", "error", "J", "output", "protocol", "changed"};
  reading.limit = [count](std::string_view key, const problem_json::Document&) -> problem_json::FieldLimit {
    if (key == "J") return {count + 1000, false};
    return {4096, true};
  };
  reading.max_depth = std::numeric_limits<int>::max();
  const problem_json::Document document = problem_json::read_document(line, reading);
  if (!document.too_large.empty() && document.syntax_error.empty())
    throw ImplementationError(fmt::format("\"J\" of more than {} numbers; expected {}, one per point asked", count + 1000, count));
  Costs costs;
  read_head(document, line, id, costs);
  const Tape* J = document.find("J");
  if (!J) throw ImplementationError("a reply without \"J\", which the request asked for");
  const Value values(*J);
  if (!values.is_array() || values.size() != count)
    throw ImplementationError(fmt::format("a reply whose \"J\" is {}; expected an array of {} numbers, one per point of \"at\"",
                                          values.is_array() ? fmt::format("an array of {}", values.size())
                                                            : values.dump().substr(0, 80),
                                          count));
  Value v = values.front();
  for (std::size_t p = 0; p < count; ++p, v = v.next())
    costs.J.push_back(v.is_number() ? v.get_double() : reply_number(v, fmt::format("\"J\"[{}]", p)));
  return costs;
}

}  // namespace gradcheck
