#pragma once
/// @file
/// A model check's diagnosis (check/model.hpp): its tensors' numbers handed to the patterns of
/// model_patterns.hpp, each tensor with its verdict, in the order declared.

#include "gradcheck/check/model.hpp"
#include "gradcheck/diagnosis/model_patterns.hpp"

#include <optional>
#include <vector>

namespace gradcheck {

/// The tensors of a model check as the patterns read them: per tensor a and n over its matrix view
/// (n NaN where not measured or at a corner), or in the fast mode its vᵀa and vᵀn.
std::vector<TensorEvidence> evidence_of(const ModelResult& result);

/// What the model check's failure looks like; std::nullopt for a check that passed, could not
/// judge, or was stopped: no pattern is read from numbers that decided nothing.
std::optional<Diagnosis> diagnose(const ModelResult& result);

}  // namespace gradcheck
