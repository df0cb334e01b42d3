// The streaming JSON reader of problem_json.hpp: nlohmann-json's SAX events onto compact tapes,
// and the checks of JSON text before it is read.

#include "gradcheck/io/problem_json.hpp"

#include <fmt/format.h>

#include <cstring>
#include <set>
#include <stdexcept>

namespace gradcheck {
namespace problem_json {
namespace {

template <class T> std::uint64_t bits_of(T x) {
  std::uint64_t bits;
  static_assert(sizeof x == sizeof bits, "a tape slot holds 8 bytes");
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

template <class T> T from_bits(std::uint64_t bits) {
  T x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

/// `text` cut to at most `bytes`, at a UTF-8 character boundary.
std::string kept_part(const std::string& text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

/// The SAX handler: top-level keys to their tapes, objects inside them to small Json values.
class Reader final : public nlohmann::json_sax<Json> {
 public:
  Reader(Document& document, const Reading& reading) : doc_(document), reading_(reading) {}

  bool null() override { return scalar(Tag::null, 0, nullptr); }
  bool boolean(bool value) override { return scalar(Tag::boolean, value ? 1 : 0, value); }
  bool number_integer(number_integer_t value) override { return scalar(Tag::integer, bits_of(value), value); }
  bool number_unsigned(number_unsigned_t value) override { return scalar(Tag::unsigned_integer, bits_of(value), value); }
  bool number_float(number_float_t value, const string_t&) override { return scalar(Tag::floating, bits_of(value), value); }
  bool binary(binary_t&) override { return true; }  // JSON text has none

  bool string(string_t& value) override {
    if (!objects_.empty()) {
      insert(Json(kept_part(value, max_kept_string_bytes)));
      return true;
    }
    Tape* tape = target();
    if (!tape) return true;
    if (value == "NaN") return number_text(*tape, Tag::nan_text, std::numeric_limits<double>::quiet_NaN());
    if (value == "Infinity") return number_text(*tape, Tag::infinity_text, std::numeric_limits<double>::infinity());
    if (value == "-Infinity") return number_text(*tape, Tag::minus_infinity_text, -std::numeric_limits<double>::infinity());
    tape->add_other(Json(kept_part(value, max_kept_string_bytes)));
    tape->set_last_string_bytes(value.size());
    return within_limit(*tape);
  }

  bool start_object(std::size_t) override {
    if (!deeper()) return false;
    if (depth_ == 1 && !doc_.root) return true;  // the document itself
    if (objects_.empty()) {
      object_ = Json::object();
      object_nodes_ = 1;
      objects_.push_back(&object_);
    } else {
      objects_.push_back(insert(Json::object()));
    }
    return true;
  }

  bool key(string_t& name) override {
    if (!objects_.empty()) {
      if (objects_.back() && objects_.back()->is_object() && objects_.back()->contains(name) && !doc_.repeated_key)
        doc_.repeated_key = field_name_ + "." + name;
      key_ = name;
      return true;
    }
    // A key of the document.
    if (!seen_.insert(name).second && !doc_.repeated_key) doc_.repeated_key = name;
    field_ = nullptr;
    field_name_ = name;
    if (std::find(reading_.keys.begin(), reading_.keys.end(), name) == reading_.keys.end()) {
      if (!doc_.unknown_key) doc_.unknown_key = name;
      return true;
    }
    limit_ = reading_.limit(name, doc_);
    doc_.fields.erase(name);  // a repeated key: the last value counts, as in a DOM
    field_ = &doc_.fields.emplace(name, Tape(limit_.truncate ? 2 * limit_.max_values : static_cast<std::size_t>(-1)))
                  .first->second;
    field_name_ = name;
    return true;
  }

  bool end_object() override {
    --depth_;
    if (objects_.empty()) return true;  // the document ends
    objects_.pop_back();
    if (!objects_.empty()) return true;
    if (Tape* tape = target()) {
      tape->add_other(std::move(object_));
      return within_limit(*tape);
    }
    return true;
  }

  bool start_array(std::size_t) override {
    if (!deeper()) return false;
    if (!objects_.empty()) {
      objects_.push_back(insert(Json::array()));
      return true;
    }
    if (depth_ == 1) root();
    Tape* tape = target();
    if (!tape) return true;
    tape->begin_array();
    return within_limit(*tape);
  }

  bool end_array() override {
    --depth_;
    if (!objects_.empty()) {
      objects_.pop_back();
      return true;
    }
    if (Tape* tape = target()) tape->end_array();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 5: …"
    if (const auto bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
    doc_.syntax_error = what;
    doc_.error_offset = position;
    return false;
  }

 private:
  bool deeper() {
    if (++depth_ <= reading_.max_depth) return true;
    doc_.too_deep = true;
    return false;
  }

  /// The document holds something other than an object: keep a little of it, for messages.
  void root() {
    doc_.root.emplace(64);
    limit_ = {std::numeric_limits<std::size_t>::max(), true};
  }

  /// Where values go: the current key's tape, the root's, or nowhere (a key not asked for).
  Tape* target() {
    if (depth_ == 0 && !doc_.root) root();
    return doc_.root ? &*doc_.root : field_;
  }

  template <class T> bool scalar(Tag tag, std::uint64_t slot, T value) {
    if (!objects_.empty()) {
      insert(Json(value));
      return true;
    }
    Tape* tape = target();
    if (!tape) return true;
    tape->add(tag, slot);
    return within_limit(*tape);
  }

  bool number_text(Tape& tape, Tag tag, double value) {
    tape.add(tag, bits_of(value));
    return within_limit(tape);
  }

  bool within_limit(const Tape& tape) {
    // Arrays too: a valid matrix has fewer arrays than numbers; the slack lets a deep nesting be
    // refused as such.
    if (limit_.truncate || (tape.values() <= limit_.max_values && tape.arrays() <= limit_.max_values + 64)) return true;
    doc_.too_large = field_name_;
    doc_.too_large_max = limit_.max_values;
    return false;
  }

  /// Adds `value` to the innermost open object or array (a small one: past 100 values, nothing
  /// more is kept, messages show only its start); returns where it went, or null.
  Json* insert(Json value) {
    Json* parent = objects_.back();
    if (!parent || ++object_nodes_ > 100) return nullptr;
    if (parent->is_array()) {
      parent->push_back(std::move(value));
      return &parent->back();
    }
    return &((*parent)[key_] = std::move(value));
  }

  Document& doc_;
  std::set<std::string, std::less<>> seen_;  // the document's keys so far
  const Reading& reading_;
  int depth_ = 0;
  Tape* field_ = nullptr;
  std::string field_name_;
  FieldLimit limit_{0, true};
  // An object inside a field, being built.
  Json object_;
  std::vector<Json*> objects_;
  std::string key_;
  std::size_t object_nodes_ = 0;
};

/// The deepest nesting of [ and { in `text`, outside strings; stops counting past `limit`.
int depth_of(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') in_string = true;
    else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if (ch == ']' || ch == '}') --depth;
  }
  return deepest;
}

}  // namespace

// ----- Tape and Value

bool Tape::keep() {
  if (unkept_depth_ == 0 && tags_.size() < max_entries_) return true;
  truncated_ = true;
  return false;
}

void Tape::counted() {
  if (unkept_depth_ == 0 && !open_.empty()) ++slots_[open_.back()];
}

void Tape::begin_array() {
  ++arrays_;
  counted();
  if (!keep() || tags_.size() + 2 > max_entries_) {
    truncated_ = true;
    ++unkept_depth_;
    return;
  }
  open_.push_back(tags_.size());
  tags_.push_back(Tag::array);
  slots_.push_back(0);
  tags_.push_back(Tag::span);
  slots_.push_back(0);
}

void Tape::end_array() {
  if (unkept_depth_ > 0) {
    --unkept_depth_;
    return;
  }
  slots_[open_.back() + 1] = tags_.size();
  open_.pop_back();
}

void Tape::add(Tag tag, std::uint64_t slot) {
  ++values_;
  counted();
  if (!keep()) return;
  tags_.push_back(tag);
  slots_.push_back(slot);
}

void Tape::add_other(Json value) {
  ++values_;
  counted();
  if (!keep()) return;
  tags_.push_back(Tag::other);
  slots_.push_back(others_.size());
  others_.push_back(std::move(value));
}

bool Value::is_string() const {
  if (!kept()) return false;
  switch (tag()) {
    case Tag::nan_text:
    case Tag::infinity_text:
    case Tag::minus_infinity_text: return true;
    case Tag::other: return tape_->other(at_).is_string();
    default: return false;
  }
}

double Value::get_double() const {
  switch (tag()) {
    case Tag::integer: return static_cast<double>(from_bits<std::int64_t>(tape_->slot(at_)));
    case Tag::unsigned_integer: return static_cast<double>(tape_->slot(at_));
    default: return from_bits<double>(tape_->slot(at_));
  }
}

std::string Value::get_string() const {
  switch (tag()) {
    case Tag::nan_text: return "NaN";
    case Tag::infinity_text: return "Infinity";
    case Tag::minus_infinity_text: return "-Infinity";
    default: return tape_->other(at_).get<std::string>();
  }
}

std::optional<double> Value::number() const {
  if (!kept()) return std::nullopt;
  switch (tag()) {
    case Tag::integer:
    case Tag::unsigned_integer:
    case Tag::floating:
    case Tag::nan_text:
    case Tag::infinity_text:
    case Tag::minus_infinity_text: return get_double();
    case Tag::null: return std::numeric_limits<double>::quiet_NaN();
    default: return std::nullopt;
  }
}

Json Value::json(std::size_t budget) const { return json_within(budget); }

Json Value::json_within(std::size_t& budget) const {
  if (!kept()) return "…";
  switch (tag()) {
    case Tag::array: {
      Json out = Json::array();
      Value entry = front();
      for (std::size_t k = 0; k < size() && budget > 0 && entry.kept(); ++k, entry = entry.next()) {
        --budget;
        out.push_back(entry.json_within(budget));
      }
      return out;
    }
    case Tag::integer: return from_bits<std::int64_t>(tape_->slot(at_));
    case Tag::unsigned_integer: return tape_->slot(at_);
    case Tag::floating: return from_bits<double>(tape_->slot(at_));
    case Tag::null: return nullptr;
    case Tag::boolean: return get_bool();
    case Tag::other: return tape_->other(at_);
    default: return get_string();
  }
}

const Tape* Document::find(std::string_view key) const {
  const auto it = fields.find(key);
  return it == fields.end() ? nullptr : &it->second;
}

// ----- Reading

Document read_document(std::string_view text, const Reading& reading) {
  Document document;
  Reader reader(document, reading);
  Json::sax_parse(text.begin(), text.end(), &reader);
  return document;
}

Document read_document(std::istream& in, const Reading& reading) {
  Document document;
  Reader reader(document, reading);
  Json::sax_parse(in, &reader);
  return document;
}

std::string printable(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte >= 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += ch;
  }
  return out;
}

void check_text(std::string_view text, const std::string& source) {
  const Fields fields(source);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    fields.fail("", "is empty; expected one JSON object with \"sizes\", \"X\" and \"labels\" or \"Y\"");
  if (text.size() >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') || (text[0] == '\xfe' && text[1] == '\xff')))
    fields.fail("", "is UTF-16 (it starts with a byte-order mark); expected UTF-8 JSON (convert it with "
                    "iconv -f UTF-16 -t UTF-8)");
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    fields.fail("", fmt::format("holds a NUL byte at offset {}; expected JSON text", nul));
  if (depth_of(text, max_json_depth) > max_json_depth)
    fields.fail("", fmt::format("nests arrays deeper than {} levels; expected a problem (matrices are arrays of rows)",
                                max_json_depth));
}

}  // namespace problem_json
}  // namespace gradcheck
