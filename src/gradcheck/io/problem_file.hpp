#pragma once
/// @file
/// Problem files: a problem to check, written by hand or exported from Octave, as one JSON
/// object with the fields of a protocol request (docs/protocol.md) except "id" and "want":
///
///     {"sizes": [400, 25, 10], "activations": ["sigmoid"], "cost": "sigmoid-logistic",
///      "lambda": 1, "X": [[…], …], "labels": [10, 10, …], "theta": [[[…], …], [[…], …]]}
///
/// "sizes", "X" and one of "labels" (the course's y, classes 1 … K) or "Y" (m × s_L targets) are
/// required; "activations" (default sigmoid), "cost" (default sigmoid-logistic), "lambda"
/// (default 0) and "theta" are optional. A matrix is an array of rows; a flat array is read as
/// Octave's jsonencode writes vectors (a column when it has one column, else a single row).
/// Everything is validated: each mistake gets one message naming the file, the field and what
/// was expected.

#include "gradcheck/model/problem.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gradcheck {

/// What a problem file holds: the problem, and Θ when it gives one.
struct ProblemFile {
  Problem problem;
  std::optional<Weights<double>> theta;
};

/// The largest problem file read (streamed: memory goes to its numbers, about 2 × 8 bytes each).
constexpr std::uintmax_t max_problem_file_bytes = std::uintmax_t{1} << 30;  // 1 GiB
/// The deepest nesting of arrays and objects accepted (a problem needs 3: theta's layers' rows).
constexpr int max_json_depth = 16;

/// Parses a problem from JSON text; `source` names it in messages ("problem.json"). Throws
/// std::invalid_argument, one line: "<source>: <field>: <what is wrong>; expected <what>".
ProblemFile parse_problem(std::string_view text, const std::string& source);

/// Reads and parses a problem file as a stream, refusing files larger than
/// max_problem_file_bytes and anything but a regular file (a FIFO, a device, a socket, a
/// folder) before reading them.
ProblemFile read_problem_file(const std::string& path);

}  // namespace gradcheck
