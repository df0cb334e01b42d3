// A submission folder copied into scratch without following a link out of it, and the survey that
// judges any tree in scratch (a copied folder, an unpacked archive) before a check may read it.

#include "submission_copy.hpp"

#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gradcheck::cli {

namespace fs = std::filesystem;

bool stays_inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  const fs::path r = fs::weakly_canonical(root, ec);
  if (ec) return false;
  const fs::path p = fs::weakly_canonical(path, ec);  // a loop of links (ELOOP) lands here: outside
  if (ec) return false;
  return std::mismatch(r.begin(), r.end(), p.begin(), p.end()).first == r.end();
}

std::string size_text(std::uintmax_t bytes) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) value /= 1024, ++unit;
  // Whole KiB and MiB read as the limits are given ("256 MiB"); a GiB keeps its decimal ("1.0 GiB").
  if (unit < 2 && value == static_cast<double>(static_cast<std::uintmax_t>(value)))
    return fmt::format("{} {}", static_cast<std::uintmax_t>(value), units[unit]);
  return fmt::format("{:.1f} {}", value, units[unit]);
}

namespace detail {

Survey survey(const fs::path& root, const CopyLimits& limits, bool fix_permissions) {
  Survey found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string shown = terminal_safe(path.lexically_relative(root).generic_string(), 200);
    std::error_code gone;
    const fs::file_status status = it->symlink_status(gone);
    if (gone) continue;
    if (++found.files > limits.max_files) {
      found.problem = fmt::format("holds more than {} files and folders, the most a submission may hold", limits.max_files);
      return found;
    }
    switch (status.type()) {
      case fs::file_type::directory:
        // Before the iterator descends: a folder unpacked with mode 000 would stop it.
        if (fix_permissions) fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, gone);
        break;
      case fs::file_type::regular:
        found.bytes += it->file_size(gone);
        if (fix_permissions) fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, gone);
        break;
      case fs::file_type::symlink:
        if (!stays_inside(root, path)) {
          found.problem = fmt::format("holds a link, {} -> {}, to a place outside the submission", shown,
                                      terminal_safe(fs::read_symlink(path, gone).string(), 200));
          return found;
        }
        break;
      default:
        found.problem = fmt::format("holds {}, which is neither a file, a folder nor a link (a device, FIFO or socket)", shown);
        return found;
    }
  }
  if (ec) found.problem = fmt::format("could not be read: {}", ec.message());
  return found;
}

}  // namespace detail

namespace {

/// `survey`'s verdict on a tree as one line about `what` ("the submission", "the unpacked archive").
std::optional<std::string> refusal(const detail::Survey& found, const CopyLimits& limits, const std::string& what) {
  if (!found.problem.empty()) return what + " " + found.problem;
  if (found.bytes > limits.max_bytes)
    return fmt::format("{} holds {}, more than the {} a submission may hold", what, size_text(found.bytes),
                       size_text(limits.max_bytes));
  return std::nullopt;
}

/// The folder `source` copied into `into`: folders, files, and links that stay inside it, each
/// link rewritten relative to its own folder, so that in the copy it names the copy's file, not the
/// original (an absolute link into the teacher's folder of submissions).
std::optional<std::string> copy_folder(const fs::path& source, const fs::path& into, const CopyLimits& limits) {
  if (auto refused = refusal(detail::survey(source, limits, false), limits, "the submission")) return refused;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(source, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path to = into / it->path().lexically_relative(source);
    std::error_code failed;
    const fs::file_type type = it->symlink_status(failed).type();
    if (type == fs::file_type::directory) {
      fs::create_directory(to, failed);
    } else if (type == fs::file_type::regular) {
      fs::copy_file(it->path(), to, failed);
    } else if (type == fs::file_type::symlink) {
      const fs::path target = fs::weakly_canonical(it->path(), failed);
      const fs::path from = fs::weakly_canonical(it->path().parent_path(), failed);
      if (!failed) fs::create_symlink(target.lexically_relative(from), to, failed);
    }
    if (failed)
      return fmt::format("the submission could not be copied: {}: {}",
                         terminal_safe(it->path().lexically_relative(source).generic_string(), 200), failed.message());
  }
  if (ec) return "the submission could not be copied: " + ec.message();
  // What landed is judged too: the folder may have changed since it was surveyed.
  return refusal(detail::survey(into, limits, true), limits, "the copied submission");
}

}  // namespace

std::optional<std::string> copy_submission(const Student& s, const fs::path& into, const CopyLimits& limits) {
  return s.archive ? detail::unpack_archive(s, into, limits) : copy_folder(s.source, into, limits);
}

}  // namespace gradcheck::cli
