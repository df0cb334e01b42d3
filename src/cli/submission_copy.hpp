#pragma once
// A submission brought into grade's scratch folder whole and nothing more: a folder copied without
// following a link out of it (submission_copy.cpp), an archive listed, refused when it is a bomb or
// reaches outside, unpacked under a watch of the bytes it writes (archive_unpack.cpp), and what
// landed verified either way. Each refusal is the one line of the student's ERROR row.

#include "grade.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace gradcheck::cli {

/// What a submission may hold once in scratch.
struct CopyLimits {
  std::uintmax_t max_bytes = std::uintmax_t{256} << 20;  ///< its files' sizes summed (--max-submission-mib)
  std::uintmax_t max_files = 10000;                      ///< its files, folders and links (--max-submission-files)
  std::chrono::seconds unpack_time{60};                  ///< an unpacker still running then is stopped
  std::uint64_t memory = 0;                              ///< the unpacker's address space in bytes (0: no limit)
};

/// Copies or unpacks `s.source` into the empty folder `into` (logs of an unpacker land beside it).
/// Returns the one-line reason when the submission is refused: more bytes or files than `limits`
/// allow (said before anything is written whenever the archive's listing or the folder says so),
/// a member that would land outside, a link whose target resolves outside, a device or FIFO.
std::optional<std::string> copy_submission(const Student& s, const std::filesystem::path& into, const CopyLimits& limits);

/// True when `path`, every link on the way resolved, is `root` or lies within it (neither need exist).
bool stays_inside(const std::filesystem::path& root, const std::filesystem::path& path);

/// "1.0 GiB", "256 MiB", "12 KiB", "300 bytes": a size as the messages say it.
std::string size_text(std::uintmax_t bytes);

namespace detail {

/// What a folder tree holds, links not followed; `problem` is the first refusal found, said of the
/// submission ("holds a link, a/b -> /etc/passwd, to a file outside the submission").
struct Survey {
  std::uintmax_t bytes = 0, files = 0;
  std::string problem;
};

/// Walks `root` (links never followed); stops early, with `problem` set, past `limits` or at a
/// link resolving outside `root` or a file neither regular, folder nor link. `fix_permissions`
/// gives the owner read on files and rwx on folders (an unpacked mode 000 would keep the check out
/// and the scratch from being removed).
Survey survey(const std::filesystem::path& root, const CopyLimits& limits, bool fix_permissions);

/// The archive `s.source` unpacked into `into` (archive_unpack.cpp).
std::optional<std::string> unpack_archive(const Student& s, const std::filesystem::path& into, const CopyLimits& limits);

}  // namespace detail

}  // namespace gradcheck::cli
