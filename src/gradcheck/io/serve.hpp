#pragma once
/// @file
/// The protocol's other side, for an implementation written in C++: it serves gradcheck in a few
/// lines, without the library's numerics (requests are read with the library's own parser,
/// parse_request()).
///
///     #include <gradcheck/io/serve.hpp>
///
///     int main() {
///       return gradcheck::serve([](const gradcheck::Problem& p, const gradcheck::Weights<double>& theta,
///                                  gradcheck::Weights<double>* gradient) {
///         // J at Θ on p.X, p.Y, p.lambda; when gradient is not null, D^(l) shaped like Θ^(l)
///         return my_cost_and_gradient(theta, gradient, p.X, p.Y, p.lambda);
///       });
///     }
///
/// then `gradcheck check -- ./my_server`. It speaks version 2 (the problem once, then a new θ or
/// many points near it) and keeps stdout for replies: from serve()'s start whatever the program
/// prints (printf, std::cout) goes to a capture file and travels in the reply's "output". An
/// exception thrown by the function is sent as the reply's "error". Θ is always the course's
/// layout here; with --layout w-out-in or w-in-out, W and b are mapped to Θ^(l) = [b W] on the way
/// in and the gradient back to dW and db on the way out.

#include "gradcheck/io/protocol.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace gradcheck {

/// What a served implementation computes: J at Θ, and when `gradient` is not null D^(l) there.
using ServedCost = std::function<double(const Problem& problem, const Weights<double>& theta, Weights<double>* gradient)>;

namespace serving {

inline std::string number(double x) {
  if (std::isnan(x)) return "\"NaN\"";
  if (std::isinf(x)) return x > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", x);
  return text;
}

inline std::string rows(const Eigen::MatrixXd& M) {
  std::string out = "[";
  for (Index i = 0; i < M.rows(); ++i) {
    out += i ? ",[" : "[";
    for (Index j = 0; j < M.cols(); ++j) out += (j ? "," : "") + number(M(i, j));
    out += "]";
  }
  return out + "]";
}

/// The gradient as the request's layout wants it: "gradient" rows of Θ^(l), or "dW" and "db".
inline std::string gradient_fields(const Weights<double>& D, WeightLayout layout) {
  std::string out;
  if (layout == WeightLayout::theta) {
    out = ",\"gradient\":[";
    for (std::size_t l = 0; l < D.size(); ++l) out += (l ? "," : "") + rows(D[l]);
    return out + "]";
  }
  std::string dW = ",\"dW\":[", db = ",\"db\":[";
  for (std::size_t l = 0; l < D.size(); ++l) {
    const Eigen::MatrixXd W = D[l].rightCols(D[l].cols() - 1);
    dW += (l ? "," : "") + rows(layout == WeightLayout::w_out_in ? W : Eigen::MatrixXd(W.transpose()));
    db += l ? ",[" : "[";
    for (Index i = 0; i < D[l].rows(); ++i) db += (i ? "," : "") + number(D[l](i, 0));
    db += "]";
  }
  return dW + "]" + db + "]";
}

/// Θ from a version-2 request's "theta", or "W" and "b", for the problem sent before.
inline Weights<double> weights(const nlohmann::json& request, const Problem& problem) {
  const Architecture& a = problem.architecture;
  Weights<double> theta;
  for (Index l = 1; l < a.layers(); ++l) {
    const Index outputs = a.size(l + 1), inputs = a.size(l);
    Eigen::MatrixXd T(outputs, inputs + 1);
    const auto l0 = static_cast<std::size_t>(l - 1);
    for (Index i = 0; i < outputs; ++i)
      for (Index j = 0; j <= inputs; ++j) {
        const auto ui = static_cast<std::size_t>(i), uj = static_cast<std::size_t>(j);
        switch (problem.conventions.layout) {
          case WeightLayout::theta: T(i, j) = request.at("theta").at(l0).at(ui).at(uj).get<double>(); break;
          case WeightLayout::w_out_in:
            T(i, j) = j == 0 ? request.at("b").at(l0).at(ui).get<double>() : request.at("W").at(l0).at(ui).at(uj - 1).get<double>();
            break;
          case WeightLayout::w_in_out:
            T(i, j) = j == 0 ? request.at("b").at(l0).at(ui).get<double>() : request.at("W").at(l0).at(uj - 1).at(ui).get<double>();
            break;
        }
      }
    theta.push_back(std::move(T));
  }
  return theta;
}

}  // namespace serving

/// Answers gradcheck's requests on `in` with `f` until it closes; returns 0 (main's exit code).
inline int serve(const ServedCost& f, std::istream& in = std::cin) {
  // Replies go to a private copy of stdout; fd 1 itself goes to a capture file, read per request.
  // Flushed only after the switch: what the program printed before serve() and still holds in
  // its buffers is captured too.
  FILE* replies = fdopen(dup(1), "w");
  FILE* capture = std::tmpfile();
  if (!replies || !capture || dup2(fileno(capture), 1) < 0) {
    std::cerr << "gradcheck::serve: cannot keep stdout for replies\n";
    return 1;
  }
  std::cout.flush();
  std::fflush(stdout);
  off_t read_up_to = 0;
  const auto printed = [&] {
    std::cout.flush();
    std::fflush(stdout);
    std::string text;
    char buffer[4096];
    for (ssize_t got; text.size() < (64u << 10) && (got = pread(fileno(capture), buffer, sizeof buffer, read_up_to)) > 0;) {
      text.append(buffer, static_cast<std::size_t>(got));
      read_up_to += got;
    }
    read_up_to = lseek(fileno(capture), 0, SEEK_END);
    return text;
  };

  std::optional<Problem> problem;
  Weights<double> theta;
  std::vector<Index> unrolled;  // the protocol's index → unroll()'s
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string reply;
    std::size_t id = 0;
    try {
      const nlohmann::json request = nlohmann::json::parse(line);
      id = request.at("id").get<std::size_t>();
      const auto wanted = request.value("want", nlohmann::json::array({"J", "gradient"}));
      const bool want_gradient = std::find(wanted.begin(), wanted.end(), "gradient") != wanted.end();
      if (request.contains("sizes")) {
        Request whole = parse_request(line);
        problem = std::move(whole.problem);
        theta = std::move(whole.theta);
        const Layout layout(problem->architecture);
        unrolled.assign(static_cast<std::size_t>(layout.parameters()), 0);
        for (Index k = 0; k < layout.parameters(); ++k)
          unrolled[static_cast<std::size_t>(protocol_index(layout, k, problem->conventions.layout))] = k;
      } else if (!problem) {
        throw std::invalid_argument("a request without the problem before any request with it");
      } else if (request.contains("theta") || request.contains("W")) {
        theta = serving::weights(request, *problem);
      }
      if (request.contains("at")) {
        const Layout layout(problem->architecture);
        const Eigen::VectorXd flat = unroll(theta);
        std::vector<Eigen::VectorXd> directions;  // in unroll()'s order
        for (const auto& v : request.value("directions", nlohmann::json::array())) {
          Eigen::VectorXd d(flat.size());
          for (std::size_t p = 0; p < unrolled.size(); ++p) d(unrolled[p]) = v.at(p).get<double>();
          directions.push_back(std::move(d));
        }
        reply = "{\"id\":" + std::to_string(id) + ",\"protocol\":2,\"J\":[";
        bool first = true;
        for (const auto& point : request.at("at")) {
          const auto index = point.at(0).get<std::size_t>();
          const double step = point.at(1).get<double>();
          Eigen::VectorXd at = flat;
          if (directions.empty())
            at(unrolled.at(index)) += step;
          else
            at += step * directions.at(index);
          reply += (first ? "" : ",") + serving::number(f(*problem, reroll(layout, at), nullptr));
          first = false;
        }
        reply += "]";
      } else {
        Weights<double> D;
        const double J = f(*problem, theta, want_gradient ? &D : nullptr);
        reply = "{\"id\":" + std::to_string(id) + ",\"protocol\":2,\"J\":" + serving::number(J);
        if (want_gradient) reply += serving::gradient_fields(D, problem->conventions.layout);
      }
    } catch (const std::exception& e) {  // the request or the function failed: said in the reply
      reply = "{\"id\":" + std::to_string(id) + ",\"protocol\":2,\"error\":" + nlohmann::json(std::string(e.what())).dump();
    }
    const std::string output = printed();
    if (!output.empty()) reply += ",\"output\":" + nlohmann::json(output).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    reply += "}\n";
    std::fputs(reply.c_str(), replies);
    std::fflush(replies);
  }
  return 0;
}

}  // namespace gradcheck
