#pragma once
/// @file
/// Models gradcheck does not know (a convolution, a recurrent cell, attention, a custom layer):
/// the implementation declares its parameters as named tensors of any shape and answers J and
/// the gradient by name; gradcheck differences the implementation's own J (self mode), over
/// every entry, a sample per tensor, or in the fast mode.
///
/// Protocol (version 2 only, docs/protocol.md "Models"): the first request is
///   {"id": 1, "want": ["parameters", "J", "gradient"]}
/// and its reply
///   {"id": 1, "protocol": 2, "parameters": [{"name", "shape", "values"}, …], "J",
///    "gradient": {name: values, …}}
/// with each tensor's values flat in row-major (C) order. Later requests ask for J at points near
/// those parameters ("at", as in version 2), numbered across the tensors in the order declared.

#include "gradcheck/check/session.hpp"
#include "gradcheck/check/check.hpp"
#include "gradcheck/check/jitter.hpp"
#include "gradcheck/numeric/directional.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradcheck {

/// One named tensor.
struct Tensor {
  std::string name;
  std::vector<Index> shape;  ///< empty for a scalar
  Index size() const;
  /// The tensor as a matrix: its first dimension by the product of the rest (1 × 1 for a scalar).
  std::pair<Index, Index> matrix() const;
};

/// What the first reply declares, checked: the tensors, their values and the gradient, both flat
/// in the protocol's order (tensor after tensor, each row-major).
struct ModelReply {
  std::vector<Tensor> tensors;
  Eigen::VectorXd values;
  Eigen::VectorXd gradient;
  double J = 0;
  std::string output;
  std::size_t output_bytes = 0;
  int protocol = 1;
  bool base64 = false;  ///< it reads base64 arrays ("encodings": ["base64"])
  std::vector<Changed> changed;  ///< what the call changed of its inputs ("changed")
  /// Per tensor, why its gradient cannot be compared ("gradient_errors", or a gradient missing or
  /// of another size), or "": that tensor fails, the others are judged. Its gradient entries are 0.
  std::vector<std::string> unusable;
};

/// The first request of a model check.
std::string make_model_request(std::size_t id);

/// The request that moves a model's parameters (--jitter): {"id", "want": ["parameters", "J",
/// "gradient"], "values": [P numbers]}, answered as the first request is, at those values, which
/// later points perturb.
std::string make_moved_request(std::size_t id, const Eigen::VectorXd& values);

/// Parses and checks the reply to make_model_request(): names unique and non-empty, shapes of
/// whole numbers ≥ 1, values for each tensor of its size. A tensor's gradient missing, of another
/// size, or said unusable in "gradient_errors" ({name: why}) is noted in `unusable`, not thrown:
/// one bad tensor does not stop the check of the others. Throws ImplementationError saying what
/// else is wrong (ErrorReply for an "error").
ModelReply parse_model_reply(const std::string& line, std::size_t id);

/// The Layout of the tensors seen as matrices (their entries in unroll()'s order are what
/// judge() and the fast mode work on).
Layout layout_of(const std::vector<Tensor>& tensors);

/// "conv1.weight[3,0,1,2]": the entry of a model at `p` (a ParamIndex of layout_of(tensors)).
std::string entry_name(const std::vector<Tensor>& tensors, const ParamIndex& p);

/// How to check a model.
struct ModelOptions {
  CheckOptions check;
  std::optional<Index> sample_per_tensor;  ///< this many random entries per tensor
  std::uint64_t seed = 0;
  std::optional<DirectionalOptions> directional;  ///< the fast mode instead of every entry
  int protocol = protocol_version;
  std::optional<Jitter> jitter;  ///< check at θ moved by it (request 2), not at the θ declared
};

/// A model's check: per tensor (as the layers of a CheckResult, or of a DirectionalResult).
struct ModelResult {
  std::vector<Tensor> tensors;
  double J = 0;
  CheckResult result;                         ///< unless directional
  std::optional<DirectionalResult> directional;
  std::optional<std::string> cannot_judge;  ///< J's measured noise forbids a verdict (`pass` is false)
  Eigen::VectorXd analytic;  ///< the implementation's gradient, in layout_of(tensors)'s flat order
  Measurements measured;     ///< what a full or sampled check judged (none in the fast mode)
  /// What the failure looks like (diagnosis/model_diagnosis.hpp's diagnose(), which the command
  /// sets once the check is done); the reports show it where set.
  std::optional<Diagnosis> diagnosis;
  std::size_t requests = 0;
  std::optional<std::string> jittered;  ///< how θ was moved (--jitter), for every report
  bool pass = false;
  /// Per tensor, why its gradient could not be compared, or "" (ModelReply::unusable): such a
  /// tensor fails, reported as a row with its reason.
  std::vector<std::string> unusable;
  /// What the implementation's calls changed of their inputs (CheckResult::side_effects).
  std::vector<std::string> side_effects;
};

/// Asks `child` for its parameters, J and gradient, then for J near them, and judges.
ModelResult check_model(Channel& child, const ModelOptions& options, PrintedOutput* printed = nullptr);

/// The report: per tensor its shape, the worst relative error and the verdict; the worst entries
/// named by their indices; the verdict line.
std::string format_text(const ModelResult& result, const std::string& title);

/// The same as JSON.
std::string to_json(const ModelResult& result, const std::string& title);

}  // namespace gradcheck
