#pragma once
// Internal (not installed): reading a problem, a request or a reply out of JSON as it streams by
// (nlohmann-json's SAX interface), without a DOM: each field's value is kept on a Tape, 9 bytes
// per number, and read from there into Eigen matrices with every check and message of the DOM.

#include "gradcheck/io/problem_file.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <istream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gradcheck::problem_json {

using Json = nlohmann::ordered_json;

/// Errors that name where they come from: "problem.json: \"X\" row 3: …".
class Fields {
 public:
  explicit Fields(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw std::invalid_argument(source_ + ": " + (field.empty() ? "" : field + ": ") + message);
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

/// `text` with control characters and bytes outside ASCII written as \xNN: safe to put in a
/// one-line message, whatever a file or an implementation wrote.
std::string printable(std::string_view text);

/// The longest string kept from a JSON text (the rest is counted, not kept): 64 KiB.
constexpr std::size_t max_kept_string_bytes = std::size_t{1} << 16;

/// What one entry of a Tape is.
enum class Tag : std::uint8_t {
  array,                // its slot: the number of elements; the next entry (span) ends it
  span,                 // its slot: the index of the entry after the array
  integer,              // slot: an int64
  unsigned_integer,     // slot: a uint64
  floating,             // slot: a double
  nan_text,             // the strings "NaN", "Infinity", "-Infinity" (slot: the double)
  infinity_text,
  minus_infinity_text,
  null,
  boolean,              // slot: 0 or 1
  other,                // a string or an object; slot: its index among the kept values
};

/// One JSON value, kept compactly as it streams by: one tag byte and one 8-byte slot per number
/// or array, in document order. Strings and objects are kept as small Json values.
class Tape {
 public:
  /// Keeps at most `max_entries` entries; past them, entries are counted (in their arrays' sizes)
  /// but not kept, and truncated() says so.
  explicit Tape(std::size_t max_entries = static_cast<std::size_t>(-1)) : max_entries_(max_entries) {}

  void begin_array();
  void end_array();
  void add(Tag tag, std::uint64_t slot);
  void add_other(Json value);

  /// Entries kept.
  std::size_t size() const { return tags_.size(); }
  /// Numbers and other values that are not arrays, kept or not.
  std::size_t values() const { return values_; }
  /// Arrays, kept or not.
  std::size_t arrays() const { return arrays_; }
  bool truncated() const { return truncated_; }
  /// The full size in bytes of the last string added (only its first max_kept_string_bytes are kept).
  std::size_t last_string_bytes() const { return last_string_bytes_; }
  void set_last_string_bytes(std::size_t bytes) { last_string_bytes_ = bytes; }

  Tag tag(std::size_t at) const { return tags_[at]; }
  std::uint64_t slot(std::size_t at) const { return slots_[at]; }
  const Json& other(std::size_t at) const { return others_[static_cast<std::size_t>(slots_[at])]; }

 private:
  bool keep();
  void counted();

  std::deque<Tag> tags_;
  std::deque<std::uint64_t> slots_;
  std::vector<Json> others_;
  std::vector<std::size_t> open_;  // the entries of the arrays being written
  std::size_t max_entries_;
  std::size_t values_ = 0, arrays_ = 0, unkept_depth_ = 0, last_string_bytes_ = 0;
  bool truncated_ = false;
};

/// A value on a Tape, read the way nlohmann's Json is (is_array(), size(), dump() …); elements
/// are visited in order: front(), then next().
class Value {
 public:
  Value(const Tape& tape, std::size_t at = 0) : tape_(&tape), at_(at) {}

  /// False past the end of a truncated tape.
  bool kept() const { return at_ < tape_->size(); }
  Tag tag() const { return tape_->tag(at_); }
  bool is_array() const { return kept() && tag() == Tag::array; }
  bool is_number() const { return kept() && (tag() == Tag::integer || tag() == Tag::unsigned_integer || tag() == Tag::floating); }
  bool is_number_integer() const { return kept() && (tag() == Tag::integer || tag() == Tag::unsigned_integer); }
  bool is_number_unsigned() const { return kept() && tag() == Tag::unsigned_integer; }
  bool is_number_float() const { return kept() && tag() == Tag::floating; }
  bool is_null() const { return kept() && tag() == Tag::null; }
  bool is_boolean() const { return kept() && tag() == Tag::boolean; }
  bool is_string() const;
  bool is_object() const { return kept() && tag() == Tag::other && tape_->other(at_).is_object(); }

  /// An array's number of elements.
  std::size_t size() const { return is_array() ? static_cast<std::size_t>(tape_->slot(at_)) : 0; }
  bool empty() const { return size() == 0; }
  /// An array's first element.
  Value front() const { return {*tape_, at_ + 2}; }
  /// The value after this one in its array.
  Value next() const { return {*tape_, is_array() ? static_cast<std::size_t>(tape_->slot(at_ + 1)) : at_ + 1}; }

  /// A number as a double (integers converted).
  double get_double() const;
  std::uint64_t get_unsigned() const { return tape_->slot(at_); }
  bool get_bool() const { return tape_->slot(at_) != 0; }
  std::string get_string() const;
  /// The number this holds as json_numbers::read sees it (numbers, null, "NaN", "Infinity",
  /// "-Infinity"), or nothing.
  std::optional<double> number() const;

  /// The value as Json, for messages: arrays keep their first `budget` values or so.
  Json json(std::size_t budget = 200) const;
  std::string dump() const { return json().dump(); }

 private:
  Json json_within(std::size_t& budget) const;

  const Tape* tape_;
  std::size_t at_;
};

/// How much of a field's value to keep.
struct FieldLimit {
  std::size_t max_values;  ///< numbers and other values (not arrays); arrays too are limited to this
  bool truncate;           ///< past the limit: stop keeping (true), or stop reading (false)
};

/// A JSON object read as a stream: the values of the keys asked for, each on its Tape.
struct Document {
  std::map<std::string, Tape, std::less<>> fields;
  std::optional<std::string> unknown_key;  ///< the first key not asked for (its value is skipped)
  /// The first key given twice in one object ("J", or "gradient.a" inside one): JSON leaves
  /// which value counts undefined, so readers refuse it rather than take the last.
  std::optional<std::string> repeated_key;
  std::optional<Tape> root;                ///< the value, when the text holds something other than an object
  /// Why reading stopped, if it did: nlohmann's message without its "[json.exception…] "
  /// prefix, and its byte offset.
  std::string syntax_error;
  std::size_t error_offset = 0;
  std::string too_large;  ///< the key whose value passed its FieldLimit (reading stopped)
  std::size_t too_large_max = 0;  ///< and that limit
  bool too_deep = false;  ///< nested deeper than the limit (reading stopped)

  /// The value of `key`, or null when it is absent.
  const Tape* find(std::string_view key) const;
  bool stopped() const { return !syntax_error.empty() || !too_large.empty() || too_deep; }
};

/// What to read and how much of it.
struct Reading {
  std::vector<std::string_view> keys;  ///< the keys kept; every other key is skipped
  /// The limit of each key's value, given what was read before it.
  std::function<FieldLimit(std::string_view key, const Document& so_far)> limit;
  int max_depth = max_json_depth;
};

/// Reads JSON text as a stream of events into a Document (it never throws for bad JSON: see
/// Document::stopped()).
Document read_document(std::string_view text, const Reading& reading);
Document read_document(std::istream& in, const Reading& reading);

/// The checks of JSON text in memory done before reading it, as for files: not empty, not
/// UTF-16, no NUL byte, nesting within max_json_depth. Throws std::invalid_argument "<source>: …".
void check_text(std::string_view text, const std::string& source);

/// The one-line std::invalid_argument for a Document that stopped: "<source>: is not valid JSON: …".
[[noreturn]] void fail_stopped(const Document& document, const std::string& source);

/// How problem fields are read: the matrices limited by the size limits (tighter once "sizes"
/// is known), the small fields kept in part; plus `extra_keys`, kept in part.
Reading problem_reading(std::initializer_list<std::string_view> extra_keys = {});

/// The problem in `document`, freeing each field's tape once it is read; keys other than the
/// problem's and the extra keys the Reading kept are refused.
ProblemFile problem_from_document(Document& document, const std::string& source,
                                  std::initializer_list<std::string_view> extra_keys = {});

}  // namespace gradcheck::problem_json
