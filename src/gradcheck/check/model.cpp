#include "gradcheck/check/model.hpp"
#include "gradcheck/model/names.hpp"

#include "gradcheck/check/external.hpp"
#include "gradcheck/io/json_numbers.hpp"
#include "gradcheck/io/problem_json.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

namespace gradcheck {
namespace {

using Json = nlohmann::ordered_json;

/// A flat array of `count` numbers ("NaN", "Infinity", "-Infinity" and null allowed) into out.
void read_values(const Json& values, Index count, Eigen::Ref<Eigen::VectorXd> out, const std::string& where) {
  if (values.is_object() && values.contains("base64") && values["base64"].is_string()) {  // {"base64", "shape"}
    const auto decoded = read_base64(values["base64"].get<std::string>());
    if (!decoded || static_cast<Index>(decoded->size()) != count)
      throw ImplementationError(fmt::format("{} is base64 of {}; expected {} little-endian doubles", where,
                                            decoded ? fmt::format("{} doubles", decoded->size()) : "no whole doubles", count));
    out = Eigen::Map<const Eigen::VectorXd>(decoded->data(), count);
    return;
  }
  if (!values.is_array() || static_cast<Index>(values.size()) != count)
    throw ImplementationError(fmt::format("{} is {}; expected a flat array of {} numbers (row-major)", where,
                                          values.is_array() ? fmt::format("an array of {}", values.size())
                                                            : values.dump().substr(0, 60),
                                          count));
  for (Index k = 0; k < count; ++k) {
    const auto x = json_numbers::read(values[static_cast<std::size_t>(k)]);
    if (!x) throw ImplementationError(fmt::format("{}[{}] is {}, not a number", where, k, values[static_cast<std::size_t>(k)].dump().substr(0, 40)));
    out(k) = *x;
  }
}

/// The first reply again, at θ moved by `jitter` (request 2). The reply must declare the values it
/// was sent: an implementation that cannot move its parameters answers its old ones.
ModelReply moved(Session& session, const ModelReply& first, const Jitter& jitter, const std::string& command) {
  std::vector<Index> sizes;
  for (const Tensor& t : first.tensors) sizes.push_back(t.size());
  const Eigen::VectorXd values = jittered(first.values, sizes, jitter);
  ModelReply reply = session.exchange(make_moved_request(2, values), "request 2 (parameters, J and the gradient at the jittered θ)",
                                      [](const std::string& line) { return parse_model_reply(line, 2); });
  bool same_tensors = reply.tensors.size() == first.tensors.size();
  for (std::size_t t = 0; same_tensors && t < first.tensors.size(); ++t)
    same_tensors = reply.tensors[t].name == first.tensors[t].name && reply.tensors[t].shape == first.tensors[t].shape;
  if (!same_tensors || reply.values != values)
    throw ImplementationError(command + ": its reply to request 2 does not declare the parameters it was asked to move to "
                              "(\"values\"); --jitter needs an implementation that moves its parameters on request "
                              "(gradcheck_adapter.serve_model and gradcheck_torch do; docs/protocol.md, \"Models\")");
  return reply;
}

/// The gradient asked for again at the same θ, as torch.autograd.gradcheck asks backward twice: a
/// function that accumulates its gradient across calls (`grads += dW` never zeroed), or whose
/// backward keeps state, answers differently, and training gets that other gradient from its
/// second step on, however right the first was. The sentence saying so (a mistake: the check
/// fails), or "" when both agree, or when J moved too (a random J is J's noise, judged as such).
/// `said` with `more` after it, when there is more to say.
std::vector<std::string> with(std::vector<std::string> said, const std::string& more) {
  if (!more.empty()) said.push_back(more);
  return said;
}

std::string gradient_again(Session& session, const ModelReply& first, const std::string& command) {
  const std::size_t id = session.requests() + 1;
  const ModelReply again = session.exchange(make_model_request(id), fmt::format("request {} (the gradient again, at the same θ)", id),
                                            [id](const std::string& line) { return parse_model_reply(line, id); });
  if (again.values.size() != first.values.size() || again.J != first.J || again.gradient.size() != first.gradient.size())
    return "";
  const Eigen::VectorXd moved = again.gradient - first.gradient;
  // Bit for bit in deterministic code; a reduction summed in another order moves the last digits.
  if (!moved.allFinite() || moved.norm() <= 1e-9 * first.gradient.norm()) return "";
  Index worst = 0;
  moved.cwiseAbs().maxCoeff(&worst);
  const Layout layout = layout_of(first.tensors);
  const std::string entry = entry_name(first.tensors, layout.entry(unrolled_index(layout, worst)));
  return fmt::format("{}: the gradient changes from call to call: asked again at the same θ, {} is {:.12g} where the first "
                     "call gave {:.12g}, J the same; a gradient accumulated across calls and never zeroed, or state its "
                     "backward keeps, gives training another gradient at every step", command, entry,
                     again.gradient(worst), first.gradient(worst));
}

}  // namespace

Index Tensor::size() const {
  Index n = 1;
  for (const Index d : shape) n *= d;
  return n;
}

std::pair<Index, Index> Tensor::matrix() const {
  if (shape.empty()) return {1, 1};
  return {shape.front(), size() / shape.front()};
}

std::string make_model_request(std::size_t id) {
  return fmt::format(R"({{"id":{},"want":["parameters","J","gradient"]}})", id);
}

std::string make_moved_request(std::size_t id, const Eigen::VectorXd& values) {
  std::string numbers;
  for (Index k = 0; k < values.size(); ++k) numbers += fmt::format("{}{:.17g}", k == 0 ? "" : ",", values(k));
  return fmt::format(R"({{"id":{},"want":["parameters","J","gradient"],"values":[{}]}})", id, numbers);
}

ModelReply parse_model_reply(const std::string& line, std::size_t id) {
  Json reply;
  std::vector<std::set<std::string>> keys;  // of each object open, to refuse a key given twice
  std::optional<std::string> repeated;
  const auto each = [&](int, nlohmann::json::parse_event_t event, Json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) keys.emplace_back();
    if (event == Event::object_end) keys.pop_back();
    if (event == Event::key && !keys.back().insert(parsed.get<std::string>()).second && !repeated)
      repeated = parsed.get<std::string>();
    return true;
  };
  try {
    reply = Json::parse(line, each);
  } catch (const nlohmann::json::exception&) {
    const std::string shown = line.size() > 80 ? problem_json::printable(line.substr(0, 80)) + "…" : problem_json::printable(line);
    throw ImplementationError("a line that is not JSON: '" + shown + "' (a reply is one JSON object per line; print anything else to stderr)");
  }
  refuse_nul(line);
  if (!reply.is_object()) throw ImplementationError("a reply that is not a JSON object: " + reply.dump().substr(0, 80));
  if (repeated)
    throw ImplementationError(fmt::format("a reply with \"{}\" twice in one object; expected each key once (JSON leaves "
                                          "which one counts undefined)", problem_json::printable(*repeated)));
  if (!reply.contains("id") || !reply["id"].is_number_unsigned() || reply["id"].get<std::size_t>() != id)
    throw ImplementationError(fmt::format("a reply whose id is {}; expected {}", reply.contains("id") ? reply["id"].dump() : "missing", id));
  ModelReply out;
  if (reply.contains("output")) {
    if (!reply["output"].is_string()) throw ImplementationError("a reply whose \"output\" is not a string (what your code printed)");
    out.output = reply["output"].get<std::string>();
    out.output_bytes = out.output.size();
  }
  if (reply.contains("error"))
    throw ErrorReply(reply["error"].is_string() ? reply["error"].get<std::string>() : reply["error"].dump(), out.output);
  if (reply.contains("changed")) out.changed = read_changed(reply["changed"]);
  if (reply.contains("encodings") && reply["encodings"].is_array())
    for (const Json& e : reply["encodings"]) out.base64 = out.base64 || e == "base64";
  if (reply.contains("protocol") && reply["protocol"].is_number_unsigned())
    out.protocol = static_cast<int>(std::min<std::uint64_t>(reply["protocol"].get<std::uint64_t>(), 1000));
  const Json& parameters = reply.contains("parameters") ? reply["parameters"] : Json();
  if (!parameters.is_array() || parameters.empty())
    throw ImplementationError("a reply without \"parameters\": expected an array of {\"name\", \"shape\", \"values\"}, one per tensor");
  std::set<std::string> names;
  Index P = 0;
  for (std::size_t t = 0; t < parameters.size(); ++t) {
    const Json& p = parameters[t];
    const std::string where = fmt::format("parameters[{}]", t);
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || p["name"].get<std::string>().empty())
      throw ImplementationError(where + " has no \"name\"; expected a non-empty string such as \"conv1.weight\"");
    Tensor tensor;
    tensor.name = p["name"].get<std::string>();
    // Names go to terminals, reports and JUnit files as they are: no control characters (an
    // escape sequence would rewrite the terminal), and a length a report's column can show.
    if (std::any_of(tensor.name.begin(), tensor.name.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; }) ||
        tensor.name.size() > 200)
      throw ImplementationError(fmt::format("{} is named \"{}\"; expected printable text of at most 200 bytes, such as "
                                            "\"conv1.weight\"", where, problem_json::printable(tensor.name.substr(0, 60))));
    if (!names.insert(tensor.name).second) throw ImplementationError(fmt::format("two tensors are named \"{}\"; names must differ", tensor.name));
    const Json& shape = p.contains("shape") ? p["shape"] : Json();
    if (!shape.is_array()) throw ImplementationError(fmt::format("\"{}\" has no \"shape\"; expected an array of sizes, e.g. [8, 3, 3, 3]", tensor.name));
    for (const Json& d : shape) {
      if (!d.is_number_unsigned() || d.get<std::uint64_t>() < 1 || d.get<std::uint64_t>() > (1u << 30))
        throw ImplementationError(fmt::format("\"{}\" has shape {}; expected sizes that are whole numbers ≥ 1", tensor.name, shape.dump().substr(0, 60)));
      tensor.shape.push_back(d.get<Index>());
    }
    if (tensor.size() > (Index{1} << 30) || P + tensor.size() > (Index{1} << 30))
      throw ImplementationError(fmt::format("\"{}\" makes more than 2^30 parameters", tensor.name));
    P += tensor.size();
    out.tensors.push_back(std::move(tensor));
  }
  out.values.resize(P);
  out.gradient = Eigen::VectorXd::Zero(P);
  out.unusable.assign(out.tensors.size(), "");
  const Json& gradient = reply.contains("gradient") ? reply["gradient"] : Json();
  if (!gradient.is_object()) throw ImplementationError("a reply without a \"gradient\" object: expected {name: values, …}, one per tensor");
  const Json& errors = reply.contains("gradient_errors") ? reply["gradient_errors"] : Json::object();
  if (!errors.is_object())
    throw ImplementationError("a reply whose \"gradient_errors\" is not an object; expected {name: why its gradient is unusable}");
  for (const auto& [name, why] : errors.items()) {
    if (!names.count(name)) throw ImplementationError(fmt::format("\"gradient_errors\" names \"{}\", which is not among the parameters declared", problem_json::printable(name.substr(0, 60))));
    if (!why.is_string() || gradient.contains(name))
      throw ImplementationError(fmt::format("\"gradient_errors\" of \"{}\" is {}; expected a string saying why, for a tensor "
                                            "with no entry in \"gradient\"", name, why.dump().substr(0, 60)));
  }
  Index at = 0;
  for (std::size_t t = 0; t < out.tensors.size(); ++t) {
    const Tensor& tensor = out.tensors[t];
    read_values(parameters[t].contains("values") ? parameters[t]["values"] : Json(), tensor.size(), out.values.segment(at, tensor.size()),
                fmt::format("\"{}\" values", tensor.name));
    // A tensor whose gradient cannot be compared fails alone; the others are still judged.
    if (errors.contains(tensor.name))
      out.unusable[t] = terminal_safe(errors[tensor.name].get<std::string>(), 500);
    else if (!gradient.contains(tensor.name))
      out.unusable[t] = fmt::format("no gradient sent; expected {} number{}, one per entry", tensor.size(), tensor.size() == 1 ? "" : "s");
    else if (const Json& g = gradient[tensor.name]; !g.is_object() && (!g.is_array() || static_cast<Index>(g.size()) != tensor.size()))
      out.unusable[t] = fmt::format("the gradient is {}; expected a flat array of {} numbers (row-major)",
                                    g.is_array() ? fmt::format("an array of {}", g.size()) : g.is_null() ? "null" : g.dump().substr(0, 40),
                                    tensor.size());
    else
      read_values(g, tensor.size(), out.gradient.segment(at, tensor.size()), fmt::format("the gradient of \"{}\"", tensor.name));
    at += tensor.size();
  }
  for (const auto& [name, value] : gradient.items())
    if (!names.count(name)) throw ImplementationError(fmt::format("a gradient for \"{}\", which is not among the parameters declared", name));
  const auto J = reply.contains("J") ? json_numbers::read(reply["J"]) : std::nullopt;
  if (!J) throw ImplementationError("a reply without \"J\" as a number");
  out.J = *J;
  return out;
}

Layout layout_of(const std::vector<Tensor>& tensors) {
  std::vector<std::pair<Index, Index>> shapes;
  for (const auto& t : tensors) shapes.push_back(t.matrix());
  return Layout::of_matrices(shapes);
}

std::string entry_name(const std::vector<Tensor>& tensors, const ParamIndex& p) {
  std::vector<TensorName> names;
  for (const auto& t : tensors) names.push_back({t.name, t.shape});
  return Names(std::move(names)).entry(p);
}

ModelResult check_model(Channel& child, const ModelOptions& options, PrintedOutput* printed) {
  Session session(child, printed, options.protocol);
  ModelReply first = session.exchange(make_model_request(1), "request 1 (parameters, J and the gradient)",
                                      [](const std::string& line) { return parse_model_reply(line, 1); });
  if (first.protocol < 2 || options.protocol < 2)
    throw ImplementationError(child.command() + ": a model check needs protocol version 2; the implementation's reply "
                              "does not say \"protocol\": 2 (or --protocol 1 was given)");
  ModelResult out;
  if (options.jitter) {
    require_finite_J(first.J, child.command());
    first = moved(session, first, *options.jitter, child.command());
    out.jittered = describe(*options.jitter);
  }
  out.tensors = first.tensors;
  out.J = first.J;
  out.unusable = first.unusable;
  const auto unusable = [&](Index l) { return !first.unusable[static_cast<std::size_t>(l - 1)].empty(); };
  const Layout layout = layout_of(first.tensors);
  Eigen::VectorXd values(layout.parameters()), analytic(layout.parameters());
  for (Index p = 0; p < layout.parameters(); ++p) {
    values(unrolled_index(layout, p)) = first.values(p);
    analytic(unrolled_index(layout, p)) = first.gradient(p);
  }
  require_finite_J(first.J, child.command());
  Index not_finite = 0;
  for (Index p = 0; p < layout.parameters(); ++p)
    if (!std::isfinite(first.gradient(p))) ++not_finite;
  if (not_finite > 0) {
    Index p = 0;
    while (std::isfinite(first.gradient(p))) ++p;
    throw ImplementationError(fmt::format("{}: NaN or ±∞ in {} entr{} of its gradient, first {} = {}, in reply to request 1",
                                          child.command(), not_finite, not_finite == 1 ? "y" : "ies",
                                          entry_name(first.tensors, layout.entry(unrolled_index(layout, p))), first.gradient(p)));
  }
  const std::string unstable = gradient_again(session, first, child.command());
  session.start(layout, values, first.protocol, first.base64);
  out.analytic = analytic;
  if (options.directional) {
    const auto J = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      return session.costs(at, directions);
    };
    DirectionalOptions directional = *options.directional;
    directional.noise = measured_noise(J, first.J, layout.parameters(), options.check.difference.step, noise_lines(layout));
    directional.tolerances = within_rounding(options.check.difference, first.J, *directional.noise, directional.tolerances);
    out.directional = check_directional_at_points(J, values, analytic, layout, directional);
    if (const std::string why = unsettled_layers(
            *out.directional, [&](Index l) { return first.tensors[static_cast<std::size_t>(l - 1)].name; });
        !why.empty())
      out.cannot_judge = why;
    if (const std::string why = at_stationary_point(
            *out.directional, [&](Index l) { return first.tensors[static_cast<std::size_t>(l - 1)].name; },
            "parameters away from a minimum (an untrained model, or before the last optimizer step)");
        !why.empty() && out.directional->pass)
      out.cannot_judge = why;
    if (const std::string why = cannot_judge(options.check.difference, first.J, *directional.noise, directional.tolerances,
                                             measured_values(*out.directional, directional.tolerances));
        !why.empty()) {
      out.cannot_judge = why;
      label_within_noise(*out.directional, options.check.difference, first.J, *directional.noise, directional.tolerances);
    } else {
      judge_beyond_noise(*out.directional, options.check.difference, first.J, *directional.noise, directional.tolerances);
    }
    for (DirectionalLayer& layer : out.directional->layers)
      if (unusable(layer.l)) layer.pass = out.directional->pass = false;
    out.directional->side_effects = out.side_effects = with(session.side_effects(), unstable);
    if (!out.side_effects.empty()) out.directional->pass = false;
    out.pass = out.directional->pass && !out.cannot_judge;
    out.result.tolerances = directional.tolerances;  // what the fast mode judged by, for the reports
    out.requests = session.requests();
    return out;
  }
  std::vector<Index> coordinates;  // the tensors whose gradient came, every entry or a sample of each
  for (const Index k : options.sample_per_tensor ? sample_coordinates(layout, *options.sample_per_tensor, options.seed)
                                                 : shard_coordinates(layout.parameters(), 1, 1))
    if (!unusable(layout.entry(k).l)) coordinates.push_back(k);
  if (coordinates.empty()) {  // no tensor's gradient came: nothing to measure, every one fails
    out.result.tolerances = options.check.tolerances;
    out.result.entry_errors = Eigen::VectorXd::Zero(layout.parameters());
    out.result.skipped.assign(static_cast<std::size_t>(layout.parameters()), true);
    out.result.unchecked = layout.parameters();
    out.result.method = "none: no tensor's gradient could be compared";
    for (Index l = 1; l <= layout.matrices(); ++l) {
      LayerReport layer;
      layer.l = l, layer.rows = layout.rows(l), layer.cols = layout.cols(l), layer.unchecked = layer.rows * layer.cols;
      out.result.layers.push_back(layer);
    }
  } else {
    out.result = check_own_J([&](const std::vector<Point>& at) { return session.costs(at); },
                             [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
                               return session.costs(at, directions);
                             },
                             layout, values, analytic, first.J, coordinates, options.sample_per_tensor.has_value() || coordinates.size() < static_cast<std::size_t>(layout.parameters()),
                             options.check, [&](Index k) { return entry_name(first.tensors, layout.entry(k)); },
                             [&](Index l) { return first.tensors[static_cast<std::size_t>(l - 1)].name; },
                             "parameters away from a minimum (an untrained model, or before the last optimizer step)",
                             &out.measured);
  }
  // A tensor whose gradient could not be compared fails, with why; the others keep their verdicts.
  for (LayerReport& layer : out.result.layers)
    if (unusable(layer.l)) layer.unusable = first.unusable[static_cast<std::size_t>(layer.l - 1)], layer.pass = out.result.pass = false;
  out.result.side_effects = out.side_effects = with(session.side_effects(), unstable);
  if (!out.side_effects.empty()) out.result.pass = false;
  out.cannot_judge = out.result.cannot_judge;
  out.pass = out.result.pass;
  out.requests = session.requests();
  return out;
}

}  // namespace gradcheck
