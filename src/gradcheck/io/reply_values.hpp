#pragma once
/// @file
/// What requests and replies share when they are read: a number that may be spelled "NaN", and a
/// matrix from an array of rows (internal to io/: protocol.cpp reads a request's W with it, reply.cpp a
/// reply's gradient).

#include "gradcheck/io/problem_json.hpp"
#include "gradcheck/io/process.hpp"
#include "gradcheck/model/unroll.hpp"

#include <fmt/format.h>

#include <string>

namespace gradcheck::protocol_detail {

/// A reply's number ("NaN", "Infinity" and null too), or an ImplementationError "WHERE is …, not a number".
inline double reply_number(const problem_json::Value& j, const std::string& where) {
  if (const auto x = j.number()) return *x;
  throw ImplementationError(where + " is " + j.dump().substr(0, 80) + ", not a number");
}

/// An R × C matrix from an array of rows, or an ImplementationError "WHAT that is …; expected R
/// rows of C numbers SHAPE" (saying when it is the transpose); `entry(i, k)` names a bad entry.
template <class Entry>
Eigen::MatrixXd read_matrix(const problem_json::Value& rows, Index R, Index C, const std::string& what, const std::string& shape,
                            Entry&& entry_name) {
  const auto shape_error = [&](const std::string& got) {
    return ImplementationError(fmt::format("{} that is {}; expected {} rows of {} numbers {}", what, got, R, C, shape));
  };
  if (!rows.is_array() || static_cast<Index>(rows.size()) != R) {
    const bool transposed = rows.is_array() && static_cast<Index>(rows.size()) == C && R != C && rows.front().is_array() &&
                            static_cast<Index>(rows.front().size()) == R;
    throw shape_error(transposed        ? fmt::format("{} × {}, transposed", C, R)
                      : rows.is_array() ? fmt::format("{} rows", rows.size())
                                        : "not an array of rows");
  }
  Eigen::MatrixXd M(R, C);
  problem_json::Value row = rows.front();
  for (Index i = 0; i < R; ++i, row = row.next()) {
    if (!row.is_array() || static_cast<Index>(row.size()) != C)
      throw shape_error(fmt::format("row {} of {}", i + 1, row.is_array() ? std::to_string(row.size()) + " numbers" : "something else"));
    problem_json::Value entry = row.front();
    for (Index k = 0; k < C; ++k, entry = entry.next()) M(i, k) = entry.is_number() ? entry.get_double() : reply_number(entry, entry_name(i, k));
  }
  return M;
}

}  // namespace gradcheck::protocol_detail
