// gradcheck merge: the partial reports of `gradcheck check --shard i/N` joined into one.

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gradcheck::cli {
namespace {

/// What a file that is not a regular one is, for the message that refuses it.
const char* kind_of(mode_t mode) {
  return S_ISDIR(mode) ? "a folder" : S_ISFIFO(mode) ? "a FIFO (named pipe)" : S_ISSOCK(mode) ? "a socket"
       : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device" : "not a regular file";
}

std::invalid_argument unreadable(const std::string& file, const std::string& why, const char* note = "") {
  return std::invalid_argument(fmt::format("merge: {} {}; expected a shard report file{}", file, why, note));
}

/// The text of a shard report: a regular file (or a link to one) of at most max_shard_bytes,
/// read while no stop is asked. Anything else (a device such as /dev/zero, a FIFO, a socket, a
/// folder) is refused before a byte is read: none of them ends where a report does.
std::string read_shard(const std::string& file) {
  struct stat info {};
  if (stat(file.c_str(), &info) != 0)
    throw unreadable(file, errno == ENOENT ? "is not there" : fmt::format("cannot be read ({})", std::strerror(errno)));
  if (!S_ISREG(info.st_mode))
    throw unreadable(file, fmt::format("is {}", kind_of(info.st_mode)), ", a regular file (merge reads no other)");
  // O_NONBLOCK: had the file become a FIFO since, opening it would wait for a writer.
  const int fd = open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw unreadable(file, fmt::format("cannot be read ({})", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) throw unreadable(file, "is not a regular file", ", a regular file (merge reads no other)");
  const auto too_large = [&] {
    return unreadable(file, fmt::format("is larger than the {} MiB a shard report holds (about {} parameters; "
                                        "'gradcheck check --shard' splits larger checks over more shards)",
                                        max_shard_bytes >> 20, max_shard_parameters));
  };
  if (static_cast<std::size_t>(info.st_size) > max_shard_bytes) throw too_large();
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    if (stop_requested(&stop_flag)) throw Interrupted(fmt::format("gradcheck merge stopped while reading {}", file));
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw unreadable(file, fmt::format("cannot be read ({})", std::strerror(errno)));
    if (got == 0) return text;
    if (text.size() + static_cast<std::size_t>(got) > max_shard_bytes) throw too_large();  // it grew
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace

/// Joins the shards' partial reports into the report of the whole check.
int run_merge(const MergeCommand& m) {
  // Promised first: a refused merge (a shard missing, from another check) leaves an error
  // report, never the last run's.
  promise_reports(with_default_reports(m.out, m.reports));
  check_report_paths(m.out);
  start_reports();
  const std::vector<std::string>& files = m.files;
  if (files.empty())
    throw std::invalid_argument("merge: no shard reports given; expected the N files that 'gradcheck check --shard i/N' "
                                "wrote (gradcheck merge reports/shard-*-of-N.json)");
  std::vector<Shard> shards;
  for (const auto& file : files) shards.push_back(shard_from_json(read_shard(file), file, &stop_flag));
  Subject subject;
  const CheckResult result = merge(shards, subject);
  subject.run = this_run();  // the merge's: each shard names its own run
  if (stop_requested(&stop_flag)) throw Interrupted("gradcheck merge stopped before writing");
  const int code = report(result, subject, with_default_reports(m.out, m.reports), m.quiet);
  return code;
}

}  // namespace gradcheck::cli
