// The report files of a run: their paths checked, promised, started as INCOMPLETE, written under one lock, settled.

#include "report_files.hpp"

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <cerrno>
#include <chrono>
#include <thread>
#include <random>
#include <stdexcept>
#include <string_view>

namespace gradcheck::cli {

namespace {

const char* const report_extensions[] = {".json", ".xml", ".md", ".txt", ".html"};

/// Throws for a file name whose extension names no report format.
void require_known_format(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  for (const char* known : report_extensions)
    if (extension == known) return;
  throw std::invalid_argument(fmt::format("--out {}: unknown report format '{}'; expected .json, .xml (JUnit), "
                                          ".md (Markdown), .html or .txt", path, extension));
}

}  // namespace

std::string formatted(const std::string& path, std::vector<ReportPart> parts) {
  require_known_format(path);
  for (auto& part : parts)
    if (part.subject.run.empty()) part.subject.run = this_run();
  return format_run(std::filesystem::path(path).extension().string(), parts);
}

std::string formatted(const std::string& path, const CheckResult& result, const Subject& subject) {
  return formatted(path, std::vector<ReportPart>{{result, subject}});
}

const std::string& this_run() {
  static const std::string run = [] {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
    std::random_device entropy;
    const unsigned long long id = (static_cast<unsigned long long>(entropy()) << 32) | entropy();
    return fmt::format("started {}, pid {}, id {:016x}", when, static_cast<long>(getpid()), id);
  }();
  return run;
}

namespace {

const char* kind_of(mode_t mode) {
  return S_ISDIR(mode)    ? "a folder"
         : S_ISCHR(mode)  ? "a character device"
         : S_ISBLK(mode)  ? "a block device"
         : S_ISFIFO(mode) ? "a FIFO (named pipe)"
         : S_ISSOCK(mode) ? "a socket"
         : S_ISREG(mode)  ? "a regular file"
                          : "not a regular file";
}

/// The refusal of an unreplaceable() path, in one line.
std::invalid_argument refused(const std::string& path, const std::string& why) {
  return std::invalid_argument(fmt::format("report file {} {}; expected a regular file or a new name", path, why));
}

}  // namespace

std::string unreplaceable(const std::string& path) {
  struct stat at {};
  if (lstat(path.c_str(), &at) != 0) return "";  // nothing there: a new file (a missing folder is check_report_paths')
  if (S_ISREG(at.st_mode)) return "";
  if (!S_ISLNK(at.st_mode)) return fmt::format("is {}", kind_of(at.st_mode));
  std::error_code error;
  const std::string target = std::filesystem::read_symlink(path, error).string();
  struct stat to {};
  if (stat(path.c_str(), &to) != 0) return fmt::format("is a symbolic link to {}, which is not there", target);
  if (S_ISREG(to.st_mode))
    return fmt::format("is a symbolic link to {} (gradcheck writes through no link: give the file's own path)", target);
  return fmt::format("is a symbolic link to {}, {}", target, kind_of(to.st_mode));
}

void check_report_paths(const std::vector<std::string>& paths, bool shard) {
  for (const auto& path : paths) {
    const std::filesystem::path p(path);
    std::error_code error;
    if (const std::string why = unreplaceable(path); !why.empty()) throw refused(path, why);
    const std::string extension = p.extension().string();
    if (shard && extension != ".json")
      throw std::invalid_argument(fmt::format("--out {}: a shard writes one partial JSON report; expected FILE.json", path));
    require_known_format(path);
    const std::filesystem::path folder = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    if (!std::filesystem::is_directory(folder, error) || access(folder.c_str(), W_OK) != 0)
      throw std::invalid_argument(fmt::format("--out {}: cannot write in {}; expected an existing, writable folder",
                                              path, folder.string()));
  }
}

void make_reports_folder() {
  std::error_code error;
  std::filesystem::create_directories("reports", error);
  if (error)
    throw std::invalid_argument(fmt::format("cannot make the folder reports/ here ({}); expected reports to be a folder "
                                            "or absent (a file named reports is in the way?), or give --out FILE",
                                            error.message()));
}

std::vector<std::string> with_default_reports(std::vector<std::string> out, bool reports) {
  if (!reports) return out;
  make_reports_folder();
  for (const char* name : {"reports/gradcheck.txt", "reports/gradcheck.json", "reports/gradcheck.xml", "reports/gradcheck.md",
                           "reports/gradcheck.html"})
    out.push_back(name);
  return out;
}

PendingReports pending_reports;

void promise_reports(const std::vector<std::string>& paths, bool shard, const std::string& gradescope,
                     const std::string& points) {
  pending_reports.paths = paths;
  pending_reports.shard = shard;
  pending_reports.written = false;
  pending_reports.gradescope = gradescope;
  pending_reports.points = points;
  for (const auto& path : promised_files())
    if (const std::string why = unreplaceable(path); !why.empty()) throw refused(path, why);
}

std::vector<std::string> promised_files() {
  std::vector<std::string> files = pending_reports.paths;
  if (!pending_reports.gradescope.empty()) files.push_back(pending_reports.gradescope);
  return files;
}

namespace {

/// --points as given, or the default's where they are what is wrong (the reason then says so).
std::vector<double> promised_points() {
  try {
    return gradescope_points(pending_reports.points);
  } catch (const std::exception&) {
    return {20, 20, 30, 30};
  }
}

/// A report of this run that is no verdict: INCOMPLETE (`failure` empty) or ERROR: `failure`.
std::string unfinished(const std::string& path, const std::string& title, const std::string& failure,
                       const std::string& incomplete = "this run has not finished (if gradcheck is no longer running, it "
                                                       "was killed before writing its report)") {
  CheckResult result;
  if (!failure.empty()) result.failure = failure;
  else result.caveat = incomplete;
  result.pass = false;
  result.complete = false;
  Subject subject;
  subject.title = title;
  subject.command = invocation;
  subject.notes = {"command: " + terminal_safe(invocation)};
  subject.run = this_run();
  return formatted(path, result, subject);
}

}  // namespace

void start_reports() {
  std::vector<std::string> contents;  // all made before any is written: a bad name writes nothing
  if (!pending_reports.shard)
    for (const auto& path : pending_reports.paths)
      contents.push_back(unfinished(path, "gradcheck, still running", ""));
  const ReportLock lock(promised_files());
  for (std::size_t k = 0; k < pending_reports.paths.size(); ++k) {
    if (pending_reports.shard) {  // merge says a missing shard is missing; an old one would merge
      std::error_code gone;
      std::filesystem::remove(pending_reports.paths[k], gone);
    } else {
      try {
        write_file_atomically(pending_reports.paths[k], contents[k]);
      } catch (const std::runtime_error&) {  // a full disk: the earlier run's report must not stand
        std::error_code gone;
        std::filesystem::remove(pending_reports.paths[k], gone);
        throw;
      }
    }
  }
  if (!pending_reports.gradescope.empty())
    write_file_atomically(pending_reports.gradescope,
                          gradescope_results({}, promised_points(),
                                             "INCOMPLETE: gradcheck did not finish (the run " + this_run() + "; if it is "
                                             "no longer running, it was killed before scoring)"));
}

void settle_reports(const std::string& verdict, bool interrupted) {
  if (pending_reports.written) return;
  pending_reports.written = true;
  const ReportLock lock(promised_files());
  for (const auto& path : pending_reports.paths) {
    if (!unreplaceable(path).empty()) continue;  // refused, never written
    try {
      if (pending_reports.shard) {
        std::filesystem::remove(path);
        continue;
      }
      // Stopped by a signal: INCOMPLETE, as the exit code (129, 130, 143) says; else an ERROR.
      write_file_atomically(path, interrupted ? unfinished(path, "gradcheck stopped before a verdict", "", terminal_safe(verdict))
                                              : unfinished(path, "gradcheck stopped before a verdict", terminal_safe(verdict)));
    } catch (const std::exception&) {  // best effort: the one-line message on stderr still says what happened
    }
  }
  if (pending_reports.gradescope.empty() || !unreplaceable(pending_reports.gradescope).empty()) return;
  try {
    write_file_atomically(pending_reports.gradescope, gradescope_results({}, promised_points(),
                                                                         (interrupted ? "INCOMPLETE: " : "") + terminal_safe(verdict)));
  } catch (const std::exception&) {
  }
}

namespace {

/// Every report writer's locks in this process: the folder's (device, inode), its descriptor and
/// how many ReportLocks hold it.
struct Held {
  int fd = -1;
  int count = 0;
};
std::map<std::pair<unsigned long long, unsigned long long>, Held> held_folders;

}  // namespace

ReportLock::ReportLock(const std::vector<std::string>& paths) {
  std::map<std::pair<unsigned long long, unsigned long long>, std::string> folders;  // ordered: one order for every run
  for (const auto& path : paths) {
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    const std::string name = folder.empty() ? "." : folder.string();
    struct stat at {};
    if (stat(name.c_str(), &at) == 0 && S_ISDIR(at.st_mode))
      folders.emplace(std::pair{static_cast<unsigned long long>(at.st_dev), static_cast<unsigned long long>(at.st_ino)}, name);
  }
  for (const auto& [key, name] : folders) {
    Held& held = held_folders[key];
    if (held.count == 0) {
      held.fd = open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      // Waits while another run writes its set (milliseconds), 10 s at the most: a holder that
      // never lets go (a process an implementation left, a stopped run) cannot keep this run's
      // reports from being written; they are then written unlocked, each still atomically. A run
      // being stopped never waits.
      // Once a wait has run out, this run waits no more (the holder is stuck, not writing).
      static bool gave_up = false;
      bool locked = false;
      for (int tries = 0; held.fd >= 0 && !locked; ++tries) {
        locked = flock(held.fd, LOCK_EX | LOCK_NB) == 0;
        if (locked || errno != EWOULDBLOCK || tries >= 1000 || gave_up || stop_requested(&stop_flag)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      gave_up = gave_up || (held.fd >= 0 && !locked);
      if (held.fd >= 0 && !locked) {
        close(held.fd);
        held.fd = -1;
      }
    }
    ++held.count;
    held_.push_back(key);
  }
}

ReportLock::~ReportLock() {
  for (auto k = held_.rbegin(); k != held_.rend(); ++k) {
    Held& held = held_folders[*k];
    if (--held.count > 0) continue;
    if (held.fd >= 0) {
      flock(held.fd, LOCK_UN);
      close(held.fd);
    }
    held_folders.erase(*k);
  }
}

std::string settle_refused(int argc, char** argv, const std::string& why) {
  // Wherever the subcommand stands, or whatever it is (`gradcheck chek -o r.xml`, `-o r.json check`):
  // only grade's --out is a folder, not a report.
  char** const end = std::find(argv + 1, argv + argc, std::string_view("--"));
  if (std::find(argv + 1, end, std::string_view("grade")) != end) return "";
  std::vector<std::string> out;
  std::string gradescope, points;
  bool reports = false, shard = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;  // the implementation's command
    if ((arg == "-o" || arg == "--out") && i + 1 < argc) out.push_back(argv[++i]);
    else if (arg.rfind("--out=", 0) == 0) out.push_back(arg.substr(6));
    else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) out.push_back(arg.substr(arg[2] == '=' ? 3 : 2));
    else if (arg == "--gradescope" && i + 1 < argc) gradescope = argv[++i];
    else if (arg.rfind("--gradescope=", 0) == 0) gradescope = arg.substr(13);
    else if (arg == "--points" && i + 1 < argc) points = argv[++i];
    else if (arg.rfind("--points=", 0) == 0) points = arg.substr(9);
    reports = reports || arg == "--reports";
    shard = shard || arg == "--shard" || arg.rfind("--shard=", 0) == 0;
  }
  std::vector<std::string> paths = out;
  try {
    paths = with_default_reports(out, reports);
  } catch (const std::exception&) {  // reports/ cannot be made: the -o files still are settled
  }
  std::string refusal;
  try {
    promise_reports(paths, shard, gradescope, points);
  } catch (const std::invalid_argument& e) {  // a device, a link…: never written, and named first
    refusal = e.what();
  }
  settle_reports("bad usage: " + (refusal.empty() ? why : refusal));
  return refusal;
}

}  // namespace gradcheck::cli
