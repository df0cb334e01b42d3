#pragma once
/// @file
/// A conversation with an implementation about one problem, over the protocol (protocol.hpp).
///
/// The first request carries the whole problem, as in every version. A child whose reply says
/// "protocol": 2 is then sent only what changes: a new θ, or many points near θ in one request
/// (in batches sized to take about a second each). A version-1 child gets one whole request per
/// evaluation, as before.

#include "gradcheck/io/process.hpp"
#include "gradcheck/io/protocol.hpp"
#include "gradcheck/model/unroll.hpp"

#include <Eigen/Core>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace gradcheck {

/// Throws ImplementationError when an implementation's J at θ (its reply to request 1) is NaN or
/// ±∞: differences of its own J measure nothing then, and the check is the implementation's
/// failure (exit 3), as a NaN J is against the reference.
void require_finite_J(double J, const std::string& command);

/// What the implementation's code printed while answering, as its adapter captured it apart from
/// the replies (the reply's "output"): never judged, shown as a hint.
struct PrintedOutput {
  static constexpr std::size_t kept = 64u << 10;
  std::string text;       ///< the first 64 KiB, in the order printed
  std::size_t bytes = 0;  ///< how much was printed in all
  void add(const std::string& piece, std::size_t piece_bytes);
};

class Session {
 public:
  /// `max_version` caps the version spoken (1: never anything but whole requests).
  Session(Channel& child, const Problem& problem, PrintedOutput* printed = nullptr, int max_version = protocol_version);
  /// A session about no Problem (a model, model.hpp): the caller sends the first request with
  /// exchange(), then says with start() what costs() perturbs.
  Session(Channel& child, PrintedOutput* printed, int max_version);

  /// Sends `request` and parses its reply with `parse` (a reply's "output" goes to what was printed;
  /// failures are told with the command, the request and the end of stderr).
  template <class Parse> auto exchange(const std::string& request, const std::string& what, Parse&& parse);
  /// After exchange(): the parameters' layout, θ in unroll()'s order, the version agreed, and
  /// whether the implementation reads base64 arrays (directions are then sent so).
  void start(Layout layout, Eigen::VectorXd theta, int version, bool base64 = false);

  /// J and/or the gradient at θ, which becomes the point that costs() perturbs.
  Reply ask(const Weights<double>& theta, Want want);

  /// J at θ + step·e_index for each point, index a flat index in unroll()'s order and θ the one
  /// last asked about.
  std::vector<double> costs(const std::vector<Point>& at);
  /// J at θ + step·v_index for each point, each direction P numbers in unroll()'s order.
  std::vector<double> costs(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions);

  /// Requests sent so far.
  std::size_t requests() const { return id_; }
  /// Evaluations of J asked for so far (a request for many points counts each).
  std::size_t evaluations() const { return evaluations_; }
  /// The version in use: 1 until the child's reply says 2.
  int version() const { return version_; }
  /// What the implementation's calls changed of their inputs (its adapter's "changed"), one per
  /// input, as first said: side effects, each of which FAILs the check.
  const std::vector<Changed>& changed() const { return changed_; }
  /// changed()'s sentences, for a CheckResult's side_effects.
  std::vector<std::string> side_effects() const;

 private:
  std::vector<double> batched(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions);
  std::string described(const std::exception& e, const std::string& what, bool with_stderr) const;
  void note(const std::vector<Changed>& changed);

  Channel& child_;
  const Problem* problem_;
  Layout layout_;
  PrintedOutput* printed_;
  int max_version_;
  int version_ = 1;
  Encoding encoding_ = Encoding::json;
  std::size_t id_ = 0;
  std::size_t evaluations_ = 0;
  Eigen::VectorXd theta_;  ///< the θ last asked about, unrolled
  double seconds_per_point_ = 0;
  std::vector<Changed> changed_;
};

template <class Parse>
auto Session::exchange(const std::string& request, const std::string& what, Parse&& parse) {
  ++id_;
  ++child_.requests;
  const auto start = std::chrono::steady_clock::now();
  const std::string line = child_.exchange(request, what);
  // The first request (J and the gradient) takes at least as long as one J: the first batch of
  // points is sized from it, so a slow implementation is never sent more than it can answer in time.
  if (id_ == 1) seconds_per_point_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  try {
    auto reply = parse(line);
    if (printed_) printed_->add(reply.output, reply.output_bytes);
    note(reply.changed);
    return reply;
  } catch (const ErrorReply& e) {  // says itself what failed
    if (printed_) printed_->add(e.output, e.output.size());
    throw ErrorReply(e.message, e.output, described(e, what, false));
  } catch (const ImplementationError& e) {
    throw ImplementationError(described(e, what, true));
  }
}

}  // namespace gradcheck
