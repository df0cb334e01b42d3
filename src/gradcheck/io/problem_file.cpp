// Problem files: JSON text or a file, streamed from disk with its size capped and anything but a
// regular file refused, then read by problem_json.

#include "gradcheck/io/problem_file.hpp"

#include "gradcheck/io/problem_json.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <streambuf>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gradcheck {
namespace {

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

ProblemFile parse_problem(std::string_view text, const std::string& source) {
  problem_json::check_text(text, source);
  problem_json::Document document = problem_json::read_document(text, problem_json::problem_reading());
  return problem_json::problem_from_document(document, source);
}

ProblemFile read_problem_file(const std::string& path) {
  // Opened without waiting (a FIFO nobody writes to would block open(2) forever), then refused
  // unless it is a regular file: a FIFO, a device (/dev/zero never ends) or a socket has no
  // size to check beforehand, and may never end.
  const FileDescriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  struct stat status {};
  if (file.fd < 0 && errno != ENOENT && errno != ENOTDIR && ::stat(path.c_str(), &status) == 0) {
    if (const std::string what = not_regular(status.st_mode); !what.empty())
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
  if (const std::string what = not_regular(status.st_mode); !what.empty())
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
  auto buffer = std::make_unique<FileBuffer>(file.fd, max_problem_file_bytes);
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
