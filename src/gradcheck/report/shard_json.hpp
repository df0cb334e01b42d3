#pragma once
// Internal (not installed): reading a shard report's JSON strictly, each error naming the file
// and the field: whole numbers within bounds, flag lists of the shard's own coordinates, no key
// written twice, no nesting a shard does not have, and a stop (SIGTERM) honoured while parsing.

#include "gradcheck/model/unroll.hpp"
#include "gradcheck/util/stop.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gradcheck::shard_json {

using Json = nlohmann::ordered_json;

/// A value as an error message shows it: its JSON in ASCII, cut after 60 characters.
std::string shown(const Json& j);

/// The JSON of `text`, at most 16 levels deep (a shard has 3) and no key twice in one object
/// (which of the two a reader takes is its own); throws std::invalid_argument naming `source`,
/// or Interrupted as soon as `stop` is set.
Json parse(std::string_view text, const std::string& source, const StopFlag* stop);

/// `j` as a whole number from `lo` to `hi`; a fraction, a string or a number outside is refused.
Index integer(const Json& j, const std::string& field, Index lo, Index hi, const std::string& source);

/// `list` as `n` numbers (or "NaN", "Infinity", "-Infinity"), one per coordinate.
std::vector<double> numbers(const Json& list, const std::string& field, std::size_t n, const std::string& source);

/// One flag per coordinate of shard `index` of `count` (index − 1, index − 1 + count, …: `n` of
/// them) from `list`, those flagged, each once and in increasing order, as to_json() writes them.
std::vector<bool> flags_of(const Json& list, const std::string& field, Index index, Index count, std::size_t n,
                           const std::string& source);

}  // namespace gradcheck::shard_json
