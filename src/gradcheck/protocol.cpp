#include "gradcheck/protocol.hpp"

#include "gradcheck/process.hpp"

#include <fmt/format.h>
#include "gradcheck/json_numbers.hpp"
#include "gradcheck/problem_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace gradcheck {
namespace {

using Json = nlohmann::ordered_json;

Json number(double x) { return json_numbers::write(x); }

Json rows(const Eigen::MatrixXd& M) {
  Json out = Json::array();
  for (Index i = 0; i < M.rows(); ++i) {
    Json row = Json::array();
    for (Index j = 0; j < M.cols(); ++j) row.push_back(number(M(i, j)));
    out.push_back(std::move(row));
  }
  return out;
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

double reply_number(const Json& j, const std::string& where) {
  if (const auto x = json_numbers::read(j)) return *x;
  throw ImplementationError(where + " is " + j.dump().substr(0, 80) + ", not a number");
}

}  // namespace

std::string make_request(std::size_t id, const Problem& problem, const Weights<double>& theta, Want want) {
  const Architecture& arch = problem.architecture;
  Json activations = Json::array();
  for (const Activation g : arch.hidden) activations.push_back(std::string(name(g)));
  Json wanted = Json::array();
  if (want != Want::gradient) wanted.push_back("J");
  if (want != Want::cost) wanted.push_back("gradient");
  Json thetas = Json::array();
  for (const auto& t : theta) thetas.push_back(rows(t));
  Json request{{"id", id},
               {"want", wanted},
               {"sizes", arch.sizes},
               {"activations", activations},
               {"cost", std::string(name(arch.output))},
               {"lambda", problem.lambda},
               {"X", rows(problem.X)},
               {"Y", rows(problem.Y)}};
  if (const auto labels = labels_of(problem.Y)) request["labels"] = *labels;
  request["theta"] = thetas;
  return request.dump();
}

Request parse_request(const std::string& line) {
  const std::string source = "request";
  const Json j = problem_json::parse_object(line, source);
  ProblemFile parsed = problem_json::problem_from_json(j, source, {"id", "want"});
  Request request;
  if (!j.contains("id") || !j["id"].is_number_unsigned())
    throw std::invalid_argument("request: \"id\": " + (j.contains("id") ? j["id"].dump().substr(0, 40) : "missing") +
                                "; expected a whole number ≥ 0");
  request.id = j["id"].get<std::size_t>();
  const Json wanted = j.value("want", Json::array({"J", "gradient"}));
  bool J = false, gradient = false;
  for (const Json& w : wanted.is_array() ? wanted : Json::array({nullptr})) {
    J = J || w == "J";
    gradient = gradient || w == "gradient";
    if (w != "J" && w != "gradient")
      throw std::invalid_argument("request: \"want\": " + wanted.dump().substr(0, 40) +
                                  "; expected an array of \"J\" and/or \"gradient\"");
  }
  if (!J && !gradient) throw std::invalid_argument("request: \"want\" is empty; expected \"J\" and/or \"gradient\"");
  request.want = J && gradient ? Want::both : J ? Want::cost : Want::gradient;
  if (!parsed.theta) throw std::invalid_argument("request: \"theta\": missing; expected L − 1 matrices Θ^(l)");
  request.problem = std::move(parsed.problem);
  request.theta = std::move(*parsed.theta);
  return request;
}

Reply parse_reply(const std::string& line, std::size_t id, const Architecture& architecture, Want want) {
  Json j;
  try {
    j = Json::parse(line);
  } catch (const nlohmann::json::exception&) {  // parse_error, or out_of_range for a number like 1e999
    const std::string shown = line.size() > 80 ? problem_json::printable(line.substr(0, 80)) + "…" : problem_json::printable(line);
    throw ImplementationError("a line that is not JSON: '" + shown +
                              "' (a reply is one JSON object per line; print anything else to stderr)");
  }
  if (!j.is_object()) throw ImplementationError("a reply that is not a JSON object: " + j.dump().substr(0, 80));
  if (!j.contains("id") || !j["id"].is_number_integer() || j["id"].get<std::size_t>() != id)
    throw ImplementationError(fmt::format("a reply whose id is {}; expected {}",
                                          j.contains("id") ? j["id"].dump() : "missing", id));
  Reply reply;
  if (j.contains("output")) {
    if (!j["output"].is_string())
      throw ImplementationError("a reply whose \"output\" is " + j["output"].dump().substr(0, 40) +
                                "; expected a string (the text the code printed)");
    reply.output = j["output"].get<std::string>();
    reply.output_bytes = reply.output.size();
    if (reply.output.size() > (64u << 10)) reply.output.resize(64u << 10);
  }
  if (j.contains("error"))
    throw ErrorReply(j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump(), reply.output);
  if (want != Want::gradient) {
    if (!j.contains("J")) throw ImplementationError("a reply without \"J\", which the request asked for");
    reply.J = reply_number(j["J"], "\"J\"");
  }
  if (want == Want::cost) return reply;
  if (!j.contains("gradient") || !j["gradient"].is_array())
    throw ImplementationError("a reply without a \"gradient\" array, which the request asked for");
  const Json& layers = j["gradient"];
  const Index L = architecture.layers();
  if (static_cast<Index>(layers.size()) != L - 1)
    throw ImplementationError(fmt::format("a gradient of {} layers; expected L − 1 = {}, one per Θ^(l)", layers.size(), L - 1));
  for (Index l = 1; l < L; ++l) {
    const Json& rows = layers[static_cast<std::size_t>(l - 1)];
    const Index R = architecture.size(l + 1), C = architecture.size(l) + 1;
    const auto shape_error = [&](const std::string& got) {
      return ImplementationError(fmt::format("a gradient for Θ^({}) that is {}; expected {} rows of {} numbers "
                                             "(s_{} × (s_{} + 1), bias column first)", l, got, R, C, l + 1, l));
    };
    if (!rows.is_array() || static_cast<Index>(rows.size()) != R) {
      const bool transposed = rows.is_array() && static_cast<Index>(rows.size()) == C && R != C &&
                              rows.front().is_array() && static_cast<Index>(rows.front().size()) == R;
      throw shape_error(transposed            ? fmt::format("{} × {}, transposed", C, R)
                        : rows.is_array()     ? fmt::format("{} rows", rows.size())
                                              : "not an array of rows");
    }
    Eigen::MatrixXd D(R, C);
    for (Index i = 0; i < R; ++i) {
      const Json& row = rows[static_cast<std::size_t>(i)];
      if (!row.is_array() || static_cast<Index>(row.size()) != C)
        throw shape_error(fmt::format("row {} of {}", i + 1, row.is_array() ? std::to_string(row.size()) + " numbers" : "something else"));
      for (Index k = 0; k < C; ++k)
        D(i, k) = reply_number(row[static_cast<std::size_t>(k)], fmt::format("gradient Θ^({})_{{{},{}}}", l, i + 1, k));
    }
    reply.gradient.push_back(std::move(D));
  }
  return reply;
}

}  // namespace gradcheck
