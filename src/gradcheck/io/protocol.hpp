#pragma once
/// @file
/// The language-neutral protocol (docs/protocol.md): JSON Lines over an implementation's stdin
/// and stdout, one request per line, one reply per line.
///
/// Request: {"id", "want": ["J", "gradient"], "sizes", "activations", "cost", "lambda", "X", "Y",
///           "labels" (when Y is one-hot), "theta": one nested array per layer, rows of Θ^(l),
///           bias column first}
/// Reply:   {"id", "J", "gradient": same shape as theta, "output" (optional): what the code
///           printed}, or {"id", "error": "message"}

#include "gradcheck/model/problem.hpp"
#include "gradcheck/io/process.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <optional>
#include <string>

namespace gradcheck {

/// What a request asks for.
enum class Want { cost, gradient, both };

/// The request line for evaluating the implementation at θ.
std::string make_request(std::size_t id, const Problem& problem, const Weights<double>& theta, Want want);

/// A request as an implementation reads it.
struct Request {
  std::size_t id = 0;
  Want want = Want::both;
  Problem problem;
  Weights<double> theta;
};

/// Parses and validates a request line, the inverse of make_request() (for implementations
/// written in C++, and the fuzzer). Throws std::invalid_argument naming the field at fault.
Request parse_request(const std::string& line);

/// A reply, checked against the request.
struct Reply {
  double J = 0;
  Weights<double> gradient;  ///< empty unless the gradient was asked for
  std::string output;        ///< what the implementation's code printed, captured by its adapter (first 64 KiB)
  std::size_t output_bytes = 0;  ///< the full size of that text
};

/// The implementation answered {"error": …}: its own code failed and says how (`message`, as it
/// sent it), with whatever it printed before (`output`).
class ErrorReply : public ImplementationError {
 public:
  ErrorReply(std::string said, std::string printed)
      : ImplementationError("an error: " + said), message(std::move(said)), output(std::move(printed)) {}
  /// The same error, its what() told with context (the command, the request).
  ErrorReply(std::string said, std::string printed, const std::string& described)
      : ImplementationError(described), message(std::move(said)), output(std::move(printed)) {}
  std::string message;
  std::string output;
};

/// Parses and checks a reply line: valid JSON, the request's id, a finite-or-not number J, a
/// gradient of the architecture's shapes, an optional string "output". NaN and ±∞ may come as
/// the strings "NaN", "Infinity", "-Infinity". Read as a stream (no DOM): besides the line, it
/// takes 9 bytes per number while reading and 8 in the result. Throws ImplementationError saying
/// what is wrong with it.
Reply parse_reply(const std::string& line, std::size_t id, const Architecture& architecture, Want want);

}  // namespace gradcheck
