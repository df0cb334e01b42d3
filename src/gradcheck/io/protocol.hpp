#pragma once
/// @file
/// The language-neutral protocol (docs/protocol.md): JSON Lines over an implementation's stdin
/// and stdout, one request per line, one reply per line.
///
/// Request: {"id", "want": ["J", "gradient"], "sizes", "activations", "cost", "lambda", "X", "Y",
///           "labels" (when Y is one-hot), "theta": one nested array per layer, rows of Θ^(l),
///           bias column first}
/// Reply:   {"id", "J", "gradient": same shape as theta, "output" (optional): what the code
///           printed, "changed" (optional): what the call changed of its inputs}, or
///           {"id", "error": "message"}
///
/// Version 2: a child that adds "protocol": 2 to its replies is sent the problem once. After a
/// full request, a request may carry only a new "theta", or ask for J at many points near the θ
/// last sent ("at": [[index, step], …], of coordinates or of "directions"); its reply's "J" is an
/// array, one number per point.

#include "gradcheck/model/problem.hpp"
#include "gradcheck/model/unroll.hpp"
#include "gradcheck/io/process.hpp"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gradcheck {

/// What a request asks for.
enum class Want { cost, gradient, both };

/// The newest protocol version gradcheck speaks.
constexpr int protocol_version = 2;

/// How a request's arrays of numbers travel: as JSON numbers (the default, every version), or in
/// version 2 to a child that says "encodings": ["base64"], as {"base64": little-endian doubles,
/// row-major, "shape": [rows, cols] or [n]}: exact and about a third of the text.
enum class Encoding { json, base64 };

/// The doubles of a base64 array's text (little-endian, 8 bytes each), or nothing when the text is
/// not base64 of a whole number of doubles: how a model's reply may send its values and gradient.
std::optional<std::vector<double>> read_base64(const std::string& text);

/// The request line for evaluating the implementation at θ: the whole problem (every version).
std::string make_request(std::size_t id, const Problem& problem, const Weights<double>& theta, Want want,
                         Encoding encoding = Encoding::json);

/// Version 2: the request line for a new θ of the problem sent last.
std::string make_theta_request(std::size_t id, const Weights<double>& theta, Want want,
                               WeightLayout layout = WeightLayout::theta, Encoding encoding = Encoding::json);

/// Version 2: the request line for J at each point near the θ last sent; with `directions`
/// (each P numbers in the protocol's order), the points' indices are directions, else
/// coordinates in the protocol's order.
std::string make_points_request(std::size_t id, const std::vector<Point>& at,
                                const std::vector<Eigen::VectorXd>& directions = {}, Encoding encoding = Encoding::json);

/// The protocol's order of the P parameters: the order their numbers appear in a request, Θ^(1)
/// row by row, then Θ^(2) …; in a W, b layout every W^(l) row by row (in its own orientation),
/// then every b^(l). It differs from unroll()'s (Octave's column-major order).
Index protocol_index(const Layout& layout, Index k, WeightLayout weights = WeightLayout::theta);
/// The flat index k (unroll()'s order) of the protocol's parameter `p`.
Index unrolled_index(const Layout& layout, Index p, WeightLayout weights = WeightLayout::theta);
/// A flat vector in unroll()'s order, written in the protocol's.
Eigen::VectorXd in_protocol_order(const Layout& layout, const Eigen::VectorXd& flat,
                                  WeightLayout weights = WeightLayout::theta);

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

/// What one call of the implementation's code changed of the inputs it was given, as its adapter
/// saw it (the reply's "changed"): a side effect, which FAILs the check whatever the gradient.
struct Changed {
  std::string input;  ///< the input in the user's words: "nn_params", "X", "its parameters"
  std::string says;   ///< the adapter's sentence: "nnCostFunction changes nn_params in place: …"
};

/// A reply, checked against the request.
struct Reply {
  double J = 0;
  Weights<double> gradient;  ///< empty unless the gradient was asked for
  std::string output;        ///< what the implementation's code printed, captured by its adapter (first 64 KiB)
  std::size_t output_bytes = 0;  ///< the full size of that text
  int protocol = 1;              ///< the version the child said it speaks ("protocol"), 1 when silent
  bool base64 = false;           ///< it reads base64 arrays ("encodings": ["base64"])
  std::vector<Changed> changed;  ///< what the call changed of its inputs ("changed"), usually none
};

/// A reply to a request for J at many points.
struct Costs {
  std::vector<double> J;  ///< one per point, in order
  std::string output;
  std::size_t output_bytes = 0;
  std::vector<Changed> changed;  ///< what any of the calls changed of its inputs
};

/// The reply's "changed": an array of {"input": string, "says": string} (at most 16, each
/// sentence made one line and cut at 1,000 bytes). Throws ImplementationError for anything else.
std::vector<Changed> read_changed(const nlohmann::ordered_json& changed);

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

/// Throws ImplementationError when a reply line holds a NUL byte: JSON readers take one for the end
/// of the text, so what follows it (garbage, a second reply) would pass unseen.
void refuse_nul(const std::string& line);

/// Parses and checks a reply line: valid JSON, no NUL byte, the request's id, a finite-or-not number J, a
/// gradient of the architecture's shapes, an optional string "output". NaN and ±∞ may come as
/// the strings "NaN", "Infinity", "-Infinity". Read as a stream (no DOM): besides the line, it
/// takes 9 bytes per number while reading and 8 in the result. Throws ImplementationError saying
/// what is wrong with it.
/// In a W, b layout the gradient comes as "dW" and "db" and is returned in Θ^(l)'s shape.
Reply parse_reply(const std::string& line, std::size_t id, const Architecture& architecture, Want want,
                  WeightLayout layout = WeightLayout::theta);

/// Parses and checks the reply to make_points_request(): the request's id and "J", an array of
/// `count` numbers (or "NaN" …). Throws ImplementationError, or ErrorReply.
Costs parse_costs(const std::string& line, std::size_t id, std::size_t count);

}  // namespace gradcheck
