#pragma once
/// @file
/// What a shard report may claim: each field held to what `gradcheck check --shard` writes, so a
/// shard edited by hand is refused, or judged so that it cannot make a merge pass.
///
/// A merge recomputes what follows from a shard's own numbers (its coordinates from i/N and the
/// network, which entries a floor or a flag may touch, J's relative error and verdict) and refuses
/// a shard whose numbers say otherwise. What it cannot recompute without the problem and the
/// implementation, it takes as measured: the analytic and numerical values, J at θ, where a
/// difference straddled a ReLU kink, what a second look at smaller steps found, and the rounding of
/// a float32 implementation; merge() keeps a raised floor from loosening more than its own entry.

#include "gradcheck/report/json_report.hpp"

#include <string>
#include <vector>

namespace gradcheck {

/// Which check wrote a shard.
enum class ShardKind {
  reference,          ///< `gradcheck check --shard`: the reference backprop (or a planted copy) against its differences
  against_reference,  ///< an implementation against the reference (reference mode): J compared, small entries by exact D
  own_J,              ///< an implementation through differences of its own J (self mode)
};

/// The kind of check `method` names; throws std::invalid_argument, naming `source`, for a method
/// no check writes.
ShardKind kind_of(const std::string& method, const std::string& source);

/// Refuses (std::invalid_argument "file: field …; expected …") a shard whose fields no check of
/// its kind writes: a title naming another kind of check, kinks in a network without a kinked
/// unit or with complex steps, floors or stationary flags its kind never sets or sets only on
/// entries below the floor (reference mode: raised exactly where flagged; self mode: never
/// raised, lowered unflagged only to a floor that covers the entry), J compared in any but
/// reference mode, or J's relative error and verdict other than its numbers give.
void admit(const Shard& shard);

/// Refuses what the shards of one check must agree on beyond admit(): one reference J, and J's
/// rounding allowance only where the merged gradient is a float32 one (`float32`: every analytic
/// value a float32 holds).
void admit_together(const std::vector<Shard>& shards, bool float32);

/// Self mode: every entry below the floor, with the floor left where it was, flagged stationary.
/// A shard looks again at each such entry of a layer nothing resolves and flags it unless J proved
/// flat along it (which lowers its floor), so a layer of these is judged at a stationary point
/// whether or not the flags were kept; elsewhere a flag changes nothing.
void flag_unlooked(Measurements& m, const Tolerances& tolerances);

/// Reference mode: what `m` says without the floors raised above the tolerances' floor, which
/// merge cannot recompute (they are the implementation's rounding: 100u times the size of the
/// numbers an entry is computed from). For a float32 gradient, whose rounding raises floors at
/// any θ, their entries are set aside as entries on a kink are (not judged, not in a norm): a
/// raised floor still judges its own entry, but no longer loosens its layer's norm verdict. For
/// a float64 one, whose rounding raises none unless those numbers pass ~1e5, the floors come down
/// to the tolerances' floor. Returns whether there were any.
bool without_raised_floors(Measurements& m, const Tolerances& tolerances, bool float32);

}  // namespace gradcheck
