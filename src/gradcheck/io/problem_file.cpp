#include "gradcheck/io/problem_file.hpp"

#include "gradcheck/io/problem_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <streambuf>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gradcheck {
namespace problem_json {
namespace {

constexpr std::string_view problem_keys[] = {"sizes", "activations", "cost", "lambda", "X", "Y", "labels", "theta"};
constexpr std::string_view matrix_keys[] = {"X", "Y", "labels", "theta"};

/// How much of a small field (sizes, activations, cost, lambda, id, want) is kept: more than any
/// valid one needs, and enough to say what is wrong with any other.
constexpr std::size_t small_field_values = 4096;

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
      key_ = name;
      return true;
    }
    // A key of the document.
    field_ = nullptr;
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

/// Errors that name where they come from: "problem.json: \"X\" row 3: …".
class Fields {
 public:
  explicit Fields(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw std::invalid_argument(fmt::format("{}: {}{}", source_, field.empty() ? "" : field + ": ", message));
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

/// "1 number", "3 numbers".
std::string counted(std::size_t n, const char* noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

/// How a JSON value looks, for messages: "the string \"abc\"", "an object".
std::string shown(const Value& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return j.get_bool() ? "true" : "false";
  if (j.is_string()) {
    const std::string text = Json(j.get_string()).dump();
    return "the string " + (text.size() > 40 ? text.substr(0, 40) + "…\"" : text);
  }
  if (j.is_array()) return fmt::format("an array of {}", j.size());
  if (j.is_object()) return "an object";
  return j.dump();
}

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

/// A finite number; `field` names it in the message (called only then: formatting a name for
/// each of 10^8 entries would cost more than reading them).
template <class Where> double finite_number_at(const Value& j, const Fields& fields, const Where& field) {
  if (j.is_number()) return j.get_double();  // JSON numbers are finite: 1e999 is a parse error
  const std::optional<double> x = j.is_string() || j.is_null() ? j.number() : std::nullopt;
  if (!x) fields.fail(field(), fmt::format("is {}; expected a number", shown(j)));
  if (!std::isfinite(*x))
    fields.fail(field(), fmt::format("is {}; expected a finite number", std::isnan(*x) ? "NaN" : *x > 0 ? "Infinity" : "-Infinity"));
  return *x;
}

double finite_number(const Value& j, const Fields& fields, const std::string& field) {
  return finite_number_at(j, fields, [&] { return field; });
}

template <class Where>
Index whole_number(const Value& j, const Fields& fields, const Where& field, Index lo, Index hi, const std::string& expected) {
  const bool integral = j.is_number_integer() || (j.is_number_float() && std::isfinite(j.get_double()) &&
                                                  std::floor(j.get_double()) == j.get_double() &&
                                                  std::abs(j.get_double()) < 1e15);
  if (!integral) fields.fail(field(), fmt::format("is {}; expected {}", shown(j), expected));
  const double value = j.is_number_unsigned() ? static_cast<double>(j.get_unsigned()) : j.get_double();
  if (value < static_cast<double>(lo) || value > static_cast<double>(hi))
    fields.fail(field(), fmt::format("is {}; expected {}", j.dump(), expected));
  return static_cast<Index>(value);
}

/// A matrix of `rows` × `cols` finite numbers (rows < 0: any number of rows, at least one): an
/// array of rows, or as Octave's jsonencode writes a vector (a flat array) or a 1 × 1 matrix (a number).
Eigen::MatrixXd matrix(const Value& j, const Fields& fields, const std::string& field, Index rows, Index cols,
                       const std::string& shape) {
  if ((j.is_number() || j.is_string() || j.is_null()) && cols == 1 && rows <= 1)
    return Eigen::MatrixXd::Constant(1, 1, finite_number(j, fields, field));
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected an array of rows ({})", shown(j), shape));
  if (j.empty()) fields.fail(field, fmt::format("is empty; expected {}", shape));
  const bool flat = !j.front().is_array();
  if (flat) {
    // A column when there is one column, else a single row.
    const Index n = static_cast<Index>(j.size());
    const bool column = cols == 1 && (rows < 0 || rows == n);
    if (!column && !(n == cols && (rows < 0 || rows == 1)))
      fields.fail(field, fmt::format("is a flat array of {}; expected an array of rows ({})", counted(static_cast<std::size_t>(n), "number"), shape));
    Eigen::MatrixXd M(column ? n : 1, column ? 1 : n);
    Value entry = j.front();
    for (Index k = 0; k < n; ++k, entry = entry.next())
      M.reshaped()(k) = finite_number_at(entry, fields, [&] { return fmt::format("{} entry {}", field, k + 1); });
    return M;
  }
  const Index n = static_cast<Index>(j.size());
  if (rows >= 0 && n != rows) fields.fail(field, fmt::format("has {}; expected {}", counted(static_cast<std::size_t>(n), "row"), shape));
  Eigen::MatrixXd M(n, cols);
  Value row = j.front();
  for (Index i = 0; i < n; ++i, row = row.next()) {
    const auto where = [&] { return fmt::format("{} row {}", field, i + 1); };
    if (!row.is_array()) fields.fail(where(), fmt::format("is {}; expected an array of {} numbers ({})", shown(row), cols, shape));
    if (static_cast<Index>(row.size()) != cols)
      fields.fail(where(), fmt::format("has {}; expected {} ({})", counted(row.size(), "number"), cols, shape));
    Value entry = row.front();
    for (Index k = 0; k < cols; ++k, entry = entry.next())
      M(i, k) = finite_number_at(entry, fields, [&] { return fmt::format("{}, column {}", where(), k + 1); });
  }
  return M;
}

std::vector<Index> sizes_of(const Value& j, const Fields& fields) {
  const std::string field = "\"sizes\"";
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected layer sizes [s_1, …, s_L], e.g. [400, 25, 10]", shown(j)));
  if (j.size() < 2)
    fields.fail(field, fmt::format("has {} layer{}; expected at least an input and an output layer, e.g. [400, 25, 10]",
                                   j.size(), j.size() == 1 ? "" : "s"));
  if (j.size() > 1000) fields.fail(field, fmt::format("has {} layers; expected at most 1000", j.size()));
  std::vector<Index> sizes;
  Value entry = j.front();
  for (std::size_t l = 0; l < j.size(); ++l, entry = entry.next())
    sizes.push_back(whole_number(entry, fields, [&] { return fmt::format("\"sizes\" entry {} (s_{})", l + 1, l + 1); }, 1,
                                 max_parameters, fmt::format("a whole number of units, 1 … {}", max_parameters)));
  if (parameters_within_limit(sizes) < 0)
    fields.fail(field, fmt::format("asks for more than {} parameters; expected a smaller network", max_parameters));
  return sizes;
}

std::vector<Activation> activations_of(const Tape* tape, const Fields& fields, Index hidden) {
  if (!tape) return std::vector<Activation>(static_cast<std::size_t>(hidden), Activation::sigmoid);
  const Value j(*tape);
  const std::string field = "\"activations\"";
  const auto parse = [&](const Value& name, const std::string& where) {
    if (!name.is_string()) fields.fail(where, fmt::format("is {}; expected sigmoid, tanh, relu or identity", shown(name)));
    try {
      return parse_activation(name.get_string());
    } catch (const std::invalid_argument& e) {
      fields.fail(where, e.what());
    }
  };
  if (j.is_string()) return std::vector<Activation>(static_cast<std::size_t>(hidden), parse(j, field));
  if (!j.is_array() || static_cast<Index>(j.size()) != hidden)
    fields.fail(field, fmt::format("is {}; expected one name per hidden layer, L − 2 = {} (or one name for all)",
                                   shown(j), hidden));
  std::vector<Activation> list;
  Value entry = j.front();
  for (std::size_t k = 0; k < j.size(); ++k, entry = entry.next())
    list.push_back(parse(entry, fmt::format("{} entry {} (layer {})", field, k + 1, k + 2)));
  return list;
}

Output output_of(const Tape* tape, const Fields& fields) {
  if (!tape) return Output::sigmoid_logistic;
  const Value j(*tape);
  if (!j.is_string()) fields.fail("\"cost\"", fmt::format("is {}; expected the name of an output/cost pair", shown(j)));
  try {
    return parse_output(j.get_string());
  } catch (const std::invalid_argument& e) {
    fields.fail("\"cost\"", e.what());
  }
}

Eigen::MatrixXd labels_to_targets(const Value& j, const Fields& fields, Index m, Index K) {
  const std::string field = "\"labels\"";
  const std::string expected = fmt::format("a class label 1 … K = {} (K = s_L; the course's y, not 0-based)", K);
  if (j.is_number() && m == 1) {  // jsonencode's 1 × 1
    Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(1, K);
    Y(0, whole_number(j, fields, [&] { return field + " entry 1"; }, 1, K, expected) - 1) = 1;
    return Y;
  }
  if (!j.is_array()) fields.fail(field, fmt::format("is {}; expected m = {} class labels, 1 … {}", shown(j), m, K));
  if (static_cast<Index>(j.size()) != m)
    fields.fail(field, fmt::format("has {}; expected one per row of X, m = {}", counted(j.size(), "label"), m));
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(m, K);
  Value entry = j.front();
  for (Index t = 0; t < m; ++t, entry = entry.next()) {
    const Value label = entry.is_array() && entry.size() == 1 ? entry.front() : entry;  // a column from jsonencode
    const Index y = whole_number(label, fields, [&] { return fmt::format("{} entry {}", field, t + 1); }, 1, K, expected);
    Y(t, y - 1) = 1;
  }
  return Y;
}

/// The largest number of values each matrix field may hold: what the size limits allow, for the
/// network of "sizes" when it came first and is valid, else for any network.
FieldLimit problem_field_limit(std::string_view key, const Document& so_far) {
  if (std::find(std::begin(matrix_keys), std::end(matrix_keys), key) == std::end(matrix_keys))
    return {small_field_values, true};
  std::size_t limit = static_cast<std::size_t>(max_activations);
  if (key == "theta") limit = static_cast<std::size_t>(max_parameters);
  if (const Tape* sizes_tape = so_far.find("sizes")) {
    try {
      const std::vector<Index> sizes = sizes_of(Value(*sizes_tape), Fields(""));
      Index units = 0;
      for (const Index s : sizes) units += s;
      const auto m = static_cast<std::size_t>(max_activations / units);  // the most examples allowed
      if (key == "X") limit = m * static_cast<std::size_t>(sizes.front());
      if (key == "Y") limit = m * static_cast<std::size_t>(sizes.back());
      if (key == "labels") limit = m;
      if (key == "theta") limit = static_cast<std::size_t>(parameters_within_limit(sizes));
    } catch (const std::invalid_argument&) {  // reported in its turn, after the whole text is read
    }
  }
  return {limit, false};
}

/// A file read by read(2) in 64 KiB pieces, counting its bytes (to cap them) and noting its
/// first NUL byte and whether it holds anything but white space.
class FileBuffer final : public std::streambuf {
 public:
  FileBuffer(int fd, std::uintmax_t max_bytes) : fd_(fd), max_bytes_(max_bytes) {}

  std::uintmax_t bytes() const { return bytes_; }
  bool over_limit() const { return bytes_ > max_bytes_; }
  std::optional<std::uintmax_t> first_nul() const { return first_nul_; }
  bool has_text() const { return has_text_; }
  int read_error() const { return error_; }
  /// The first two bytes read, for a byte-order mark.
  bool starts_with_utf16_mark() const { return utf16_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (over_limit() || error_) return traits_type::eof();
    ssize_t n;
    do n = ::read(fd_, buffer_, sizeof buffer_);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      if (n < 0) error_ = errno;
      return traits_type::eof();
    }
    const auto count = static_cast<std::size_t>(n);
    if (bytes_ == 0 && count >= 2)
      utf16_ = (buffer_[0] == '\xff' && buffer_[1] == '\xfe') || (buffer_[0] == '\xfe' && buffer_[1] == '\xff');
    if (!first_nul_)
      if (const void* nul = std::memchr(buffer_, 0, count)) first_nul_ = bytes_ + static_cast<std::uintmax_t>(static_cast<const char*>(nul) - buffer_);
    if (!has_text_)
      has_text_ = std::string_view(buffer_, count).find_first_not_of(" \t\r\n") != std::string_view::npos;
    bytes_ += count;
    if (over_limit()) return traits_type::eof();
    setg(buffer_, buffer_, buffer_ + count);
    return traits_type::to_int_type(*gptr());
  }

 private:
  int fd_;
  std::uintmax_t max_bytes_, bytes_ = 0;
  std::optional<std::uintmax_t> first_nul_;
  bool has_text_ = false, utf16_ = false;
  int error_ = 0;
  char buffer_[1 << 16];
};

/// What a file that is not a regular file is, for the message; empty for a regular file.
std::string not_regular(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Closes a file descriptor when it goes.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

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

void fail_stopped(const Document& document, const std::string& source) {
  const Fields fields(source);
  if (document.too_deep)
    fields.fail("", fmt::format("nests arrays deeper than {} levels; expected a problem (matrices are arrays of rows)",
                                max_json_depth));
  if (!document.too_large.empty())
    fields.fail(Json(document.too_large).dump(),
                fmt::format("has more than {} values, more than a problem within the size limits (P ≤ {}, "
                            "m × Σ s_l ≤ {}) can have; expected a smaller problem",
                            document.too_large_max, max_parameters, max_activations));
  fields.fail("", "is not valid JSON: " + printable(document.syntax_error));
}

Reading problem_reading(std::initializer_list<std::string_view> extra_keys) {
  Reading reading;
  reading.keys.assign(std::begin(problem_keys), std::end(problem_keys));
  reading.keys.insert(reading.keys.end(), extra_keys.begin(), extra_keys.end());
  reading.limit = problem_field_limit;
  return reading;
}

ProblemFile problem_from_document(Document& document, const std::string& source,
                                  std::initializer_list<std::string_view> extra_keys) {
  const Fields fields(source);
  if (document.stopped()) fail_stopped(document, source);
  if (document.root) fields.fail("", fmt::format("holds {}; expected one JSON object", shown(Value(*document.root))));
  if (document.unknown_key) {
    std::string accepted;
    for (const auto k : problem_keys) accepted += (accepted.empty() ? "" : ", ") + std::string(k);
    for (const auto k : extra_keys) accepted += ", " + std::string(k);
    fields.fail(Json(*document.unknown_key).dump(), "unknown key; expected only " + accepted);
  }
  const auto field = [&](const char* key) { return document.find(key); };
  const auto required = [&](const char* key, const char* expected) -> const Tape& {
    const Tape* tape = document.find(key);
    if (!tape) fields.fail(fmt::format("\"{}\"", key), fmt::format("missing; expected {}", expected));
    return *tape;
  };
  const auto done = [&](const char* key) { document.fields.erase(key); };  // its numbers are in a matrix now

  ProblemFile file;
  Problem& p = file.problem;
  Architecture& arch = p.architecture;
  arch.sizes = sizes_of(Value(required("sizes", "layer sizes [s_1, …, s_L], e.g. [400, 25, 10]")), fields);
  const Index L = arch.layers(), s1 = arch.size(1), K = arch.size(L);
  arch.hidden = activations_of(field("activations"), fields, L - 2);
  arch.output = output_of(field("cost"), fields);
  if (const Tape* lambda = field("lambda")) {
    p.lambda = finite_number(Value(*lambda), fields, "\"lambda\"");
    if (p.lambda < 0) fields.fail("\"lambda\"", fmt::format("is {:g}; expected λ ≥ 0", p.lambda));
  }

  const Tape& X = required("X", "the inputs, an array of m rows of s_1 numbers");
  p.X = matrix(Value(X), fields, "\"X\"", -1, s1, fmt::format("m rows of s_1 = {} numbers, one row per example", s1));
  done("X");
  // X is no bigger than the file; the activations of m examples, allocated by the check, can be.
  check_size(arch.sizes, p.examples(),
             fmt::format("{}: a network of {} with m = {}", source, format_sizes(arch), p.examples()));

  const Tape* labels = field("labels");
  const Tape* Y = field("Y");
  if (!labels && !Y) fields.fail("\"labels\"", fmt::format("missing; expected the course's y (m class labels 1 … {}) or \"Y\" (m × s_L targets)", K));
  if (labels) {
    p.Y = labels_to_targets(Value(*labels), fields, p.examples(), K);
    done("labels");
  }
  if (Y) {
    const Eigen::MatrixXd targets = matrix(Value(*Y), fields, "\"Y\"", p.examples(), K,
                                           fmt::format("m × s_L = {} × {}, one row of targets per example", p.examples(), K));
    done("Y");
    if (labels && targets != p.Y)
      fields.fail("\"Y\"", "disagrees with \"labels\"; expected the one-hot rows of the labels (or give only one of them)");
    p.Y = targets;
  }
  try {
    validate(p);
  } catch (const std::invalid_argument& e) {
    fields.fail("", e.what());
  }

  if (const Tape* theta_tape = field("theta")) {
    const Value theta(*theta_tape);
    if (!theta.is_array() || static_cast<Index>(theta.size()) != L - 1)
      fields.fail("\"theta\"", fmt::format("is {}; expected L − 1 = {} matrices Θ^(1) … Θ^({}), each an array of rows",
                                           shown(theta), L - 1, L - 1));
    Weights<double> weights;
    Value layer = theta.front();
    for (Index l = 1; l < L; ++l, layer = layer.next())
      weights.push_back(matrix(layer, fields, fmt::format("\"theta\" Θ^({})", l), arch.size(l + 1), arch.size(l) + 1,
                               fmt::format("s_{} × (s_{} + 1) = {} × {}, bias column first", l + 1, l,
                                           arch.size(l + 1), arch.size(l) + 1)));
    done("theta");
    file.theta = std::move(weights);
  }
  return file;
}

}  // namespace problem_json

ProblemFile parse_problem(std::string_view text, const std::string& source) {
  problem_json::check_text(text, source);
  problem_json::Document document = problem_json::read_document(text, problem_json::problem_reading());
  return problem_json::problem_from_document(document, source);
}

ProblemFile read_problem_file(const std::string& path) {
  // Opened without waiting (a FIFO nobody writes to would block open(2) forever), then refused
  // unless it is a regular file: a FIFO, a device (/dev/zero never ends) or a socket has no
  // size to check beforehand, and may never end.
  const problem_json::FileDescriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  struct stat status {};
  if (file.fd < 0 && errno != ENOENT && errno != ENOTDIR && ::stat(path.c_str(), &status) == 0) {
    if (const std::string what = problem_json::not_regular(status.st_mode); !what.empty())
      throw std::invalid_argument(fmt::format("--problem {}: is {}; expected a JSON problem file", path, what));
  }
  if (file.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw std::invalid_argument(fmt::format("--problem {}: no such file; expected a JSON problem file", path));
    throw std::invalid_argument(fmt::format("--problem {}: cannot be read ({}); expected a readable JSON file", path,
                                            std::strerror(errno)));
  }
  if (::fstat(file.fd, &status) != 0)
    throw std::invalid_argument(fmt::format("--problem {}: cannot be read ({}); expected a readable JSON file", path,
                                            std::strerror(errno)));
  if (const std::string what = problem_json::not_regular(status.st_mode); !what.empty())
    throw std::invalid_argument(fmt::format("--problem {}: is {}; expected a JSON problem file{}", path, what,
                                            S_ISDIR(status.st_mode) ? "" : " (a regular file: copy it to one first)"));
  const auto bytes = static_cast<std::uintmax_t>(status.st_size);
  if (bytes > max_problem_file_bytes)
    throw std::invalid_argument(fmt::format("{}: {:.1f} GiB; expected a problem file of at most {} GiB", path,
                                            static_cast<double>(bytes) / (1 << 30), max_problem_file_bytes >> 30));
  ::fcntl(file.fd, F_SETFL, ::fcntl(file.fd, F_GETFL) & ~O_NONBLOCK);

  // Streamed: the numbers go from the file to their tapes, then to matrices; the text is never
  // held whole. A file that grows while it is read is capped all the same.
  const problem_json::Fields fields(path);
  auto buffer = std::make_unique<problem_json::FileBuffer>(file.fd, max_problem_file_bytes);
  std::istream in(buffer.get());
  // The byte-order mark is looked at before parsing: a UTF-16 file is not JSON at its first byte.
  if (in.peek() != std::istream::traits_type::eof() && buffer->starts_with_utf16_mark())
    fields.fail("", "is UTF-16 (it starts with a byte-order mark); expected UTF-8 JSON (convert it with "
                    "iconv -f UTF-16 -t UTF-8)");
  problem_json::Document document = problem_json::read_document(in, problem_json::problem_reading());
  if (buffer->read_error())
    fields.fail("", fmt::format("cannot be read ({}); expected a readable JSON file", std::strerror(buffer->read_error())));
  if (buffer->over_limit())
    fields.fail("", fmt::format("more than {} GiB; expected a smaller problem file", max_problem_file_bytes >> 30));
  // nlohmann's lexer takes a NUL byte for the end of the text: a file is refused for one anywhere
  // in what was read, whether or not the JSON before it ended well.
  if (const auto nul = buffer->first_nul())
    fields.fail("", fmt::format("holds a NUL byte at offset {}; expected JSON text", *nul));
  if (!document.syntax_error.empty() && !buffer->has_text())
    fields.fail("", "is empty; expected one JSON object with \"sizes\", \"X\" and \"labels\" or \"Y\"");
  buffer.reset();
  return problem_json::problem_from_document(document, path);
}

}  // namespace gradcheck
