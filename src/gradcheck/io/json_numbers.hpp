#pragma once
// Internal (not installed): doubles in JSON, which has no NaN or infinity. gradcheck writes and
// reads those as the strings "NaN", "Infinity" and "-Infinity", and reads null (as MATLAB and
// Octave write NaN) as NaN.

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace gradcheck::json_numbers {

inline nlohmann::ordered_json write(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  return x;
}

/// The number `j` holds, or nothing when it holds something else.
template <class Json> std::optional<double> read(const Json& j) {
  if (j.is_number()) return j.template get<double>();
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (j.is_string()) {
    const auto text = j.template get<std::string>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

}  // namespace gradcheck::json_numbers
