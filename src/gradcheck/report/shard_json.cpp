// Reading a shard report's JSON strictly: bounded numbers, the shard's own coordinates, no key twice.

#include "gradcheck/report/shard_json.hpp"

#include "gradcheck/io/json_numbers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace gradcheck::shard_json {

std::string shown(const Json& j) {
  const std::string text = j.dump(-1, ' ', true);
  return text.size() <= 60 ? text : text.substr(0, 60) + "…";
}

Json parse(std::string_view text, const std::string& source, const StopFlag* stop) {
  std::vector<std::vector<std::string>> keys;  // of each object open
  const Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (stop_requested(stop)) throw Interrupted(source + ": merge stopped while reading it");
    if (depth > 16)
      throw std::invalid_argument(source + ": is nested deeper than 16 levels; expected a report written by 'gradcheck "
                                  "check --shard i/N' (3 levels)");
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.empty()) {
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.back().begin(), keys.back().end(), key) != keys.back().end())
        throw std::invalid_argument(fmt::format("{}: the key {} is written twice in one object; expected each field once",
                                                source, shown(parsed)));
      keys.back().push_back(key);
    }
    return true;
  };
  try {
    return Json::parse(text, check);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: is not valid JSON (cut short, or not a report?) at byte {}; expected a "
                                            "report written by 'gradcheck check --shard i/N'", source, e.byte));
  }
}

Index integer(const Json& j, const std::string& field, Index lo, Index hi, const std::string& source) {
  const bool within = j.is_number_unsigned()  ? j.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) &&
                                                   (lo <= 0 || j.get<std::uint64_t>() >= static_cast<std::uint64_t>(lo))
                      : j.is_number_integer() ? j.get<std::int64_t>() >= lo && j.get<std::int64_t>() <= hi
                                              : false;
  if (!within)
    throw std::invalid_argument(fmt::format("{}: {} is {}; expected a whole number from {} to {}", source, field, shown(j), lo, hi));
  return static_cast<Index>(j.get<std::int64_t>());
}

std::vector<double> numbers(const Json& list, const std::string& field, std::size_t n, const std::string& source) {
  if (!list.is_array() || list.size() != n)
    throw std::invalid_argument(fmt::format("{}: {} is {}; expected a list of {} numbers, one per coordinate", source, field,
                                            shown(list), n));
  std::vector<double> out;
  out.reserve(n);
  for (std::size_t c = 0; c < n; ++c) {
    const auto x = json_numbers::read(list[c]);
    if (!x)
      throw std::invalid_argument(fmt::format("{}: {}[{}] is {}; expected a number (or \"NaN\", \"Infinity\")", source, field,
                                              c, shown(list[c])));
    out.push_back(*x);
  }
  return out;
}

std::vector<bool> flags_of(const Json& list, const std::string& field, Index index, Index count, std::size_t n,
                           const std::string& source) {
  if (!list.is_array())
    throw std::invalid_argument(fmt::format("{}: {} is {}; expected a list of the shard's coordinates", source, field, shown(list)));
  std::vector<bool> flags(n, false);
  std::size_t last = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& x = list[i];
    const bool whole = x.is_number_unsigned() ? x.get<std::uint64_t>() < (std::uint64_t{1} << 62) : x.is_number_integer();
    const Index k = whole ? x.get<Index>() : -1;
    const Index from = k - (index - 1);
    const auto c = static_cast<std::size_t>(from / count);
    if (k < 0 || from < 0 || from % count != 0 || c >= n || (i > 0 && c <= last))
      throw std::invalid_argument(fmt::format("{}: {}[{}] is {}; expected one of the shard's {} coordinates ({} + {}·c), in "
                                              "increasing order, each once", source, field, i, shown(x), n, index - 1, count));
    flags[c] = true;
    last = c;
  }
  return flags;
}

}  // namespace gradcheck::shard_json
