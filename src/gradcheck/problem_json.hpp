#pragma once
// Internal (not installed): reading a problem out of parsed JSON, shared by problem files and
// protocol requests.

#include "gradcheck/problem_file.hpp"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace gradcheck::problem_json {

using Json = nlohmann::ordered_json;

/// `text` with control characters and bytes outside ASCII written as \xNN: safe to put in a
/// one-line message, whatever a file or an implementation wrote.
std::string printable(std::string_view text);

/// Parses JSON text that must hold one object, refusing nesting deeper than max_json_depth
/// before parsing. Throws std::invalid_argument "<source>: …".
Json parse_object(std::string_view text, const std::string& source);

/// The problem in `j`; keys other than the problem's and `extra_keys` are refused.
ProblemFile problem_from_json(const Json& j, const std::string& source,
                              std::initializer_list<std::string_view> extra_keys = {});

}  // namespace gradcheck::problem_json
