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

#include <cstddef>
#include <string>
#include <vector>

namespace gradcheck {

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
  Session(Child& child, const Problem& problem, PrintedOutput* printed = nullptr, int max_version = protocol_version);

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

 private:
  std::string exchange(const std::string& request, const std::string& what);
  std::vector<double> batched(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions);
  template <class Parse> auto checked(const std::string& line, const std::string& what, Parse&& parse);

  Child& child_;
  const Problem& problem_;
  Layout layout_;
  PrintedOutput* printed_;
  int max_version_;
  int version_ = 1;
  std::size_t id_ = 0;
  std::size_t evaluations_ = 0;
  Eigen::VectorXd theta_;  ///< the θ last asked about, unrolled
  double seconds_per_point_ = 0;
};

}  // namespace gradcheck
