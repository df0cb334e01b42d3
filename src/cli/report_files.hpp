#pragma once
// The report files of a run (-o/--out, --reports, --gradescope): which format a path asks for,
// the checks on the paths before any work, the promise that every one of them ends up saying
// what became of this run, and the error reports that keep that promise.

#include "gradcheck/report/run_report.hpp"

#include <string>
#include <utility>
#include <vector>

namespace gradcheck::cli {

/// The report of a run in the format a file's extension asks for (format_run), naming this run
/// (this_run()) where a part's subject names none; throws for an unknown format.
std::string formatted(const std::string& path, std::vector<ReportPart> parts);
std::string formatted(const std::string& path, const CheckResult& result, const Subject& subject);

/// Refuses, before any work, report paths that could not be written at its end: an unknown
/// format, a folder, a folder that is not there or not writable, anything but a regular file.
void check_report_paths(const std::vector<std::string>& paths, bool shard = false);

/// Why gradcheck must not write a report at `path`: "is a character device", "is a symbolic
/// link to /dev/null (a character device)", …; "" for a regular file or a new name. A report
/// replaces only a regular file: never a device, FIFO, socket or folder, and never a symbolic
/// link, whatever it points to (as root, a link planted in a shared folder would otherwise
/// redirect the write onto any file; give the target's own path to replace it).
std::string unreplaceable(const std::string& path);

/// reports/ in the working folder, or a one-line error where it cannot be made.
void make_reports_folder();

/// --reports: every format under reports/, next to any --out.
std::vector<std::string> with_default_reports(std::vector<std::string> out, bool reports);

/// This run, as every report names it: "started 2026-12-06T19:42:36Z, pid 1234, id 3f9a…" (UTC,
/// the process id and 64 random bits), fixed at the first call.
const std::string& this_run();

/// The report files this run promised (--out, --reports, --gradescope) and whether they were
/// written. Once the paths are accepted, start_reports() puts an INCOMPLETE report of this run
/// in each, so a run killed outright (SIGKILL, out of memory) leaves "incomplete", never an
/// earlier run's verdict. When a run ends without writing them (bad input found late, the
/// implementation failed, interrupted before anything was measured, an internal error), main()
/// writes an error report to each; a shard's file is removed instead (merge then says it is
/// missing).
struct PendingReports {
  std::vector<std::string> paths;
  bool shard = false;
  bool written = false;
  /// Gradescope's results.json (--gradescope), settled with a score of 0 and the reason, under
  /// --points (the default's when those are what was wrong); "" for none.
  std::string gradescope, points;
};
extern PendingReports pending_reports;

/// Promises `paths` and Gradescope's `gradescope` file; throws std::invalid_argument naming the
/// first that is unreplaceable() (settle_reports() never writes one).
void promise_reports(const std::vector<std::string>& paths, bool shard = false, const std::string& gradescope = "",
                     const std::string& points = "");

/// The INCOMPLETE report of this run in every promised file (a shard's file is removed), all
/// under one ReportLock; called once the paths are checked, before any work.
void start_reports();

/// Writes an error report, verdict `verdict`, to every promised file not written yet (best effort);
/// an INCOMPLETE one saying `verdict` when the run was `interrupted` by a signal.
void settle_reports(const std::string& verdict, bool interrupted = false);

/// An exclusive flock(2) on the folder of each of `paths` (on the folder itself: no lock file
/// is made), for as long as it lives. Every writer of report files takes one, so two runs
/// writing the same files at once end with all of one run's files: each run writes its set in
/// one hold. Folders are locked in one order (device, inode), so two runs never wait on each
/// other in a cycle; the kernel releases a lock when its process dies, so a killed run never
/// leaves a stale one. Nested in one process, an inner lock's folders must be among the outer's.
/// Where a folder cannot be locked (a file system without flock, a signal while waiting, a run
/// being stopped, which never waits), the files are written without it, each still atomically.
class ReportLock {
 public:
  explicit ReportLock(const std::vector<std::string>& paths);
  ~ReportLock();
  ReportLock(const ReportLock&) = delete;
  ReportLock& operator=(const ReportLock&) = delete;

 private:
  std::vector<std::pair<unsigned long long, unsigned long long>> held_;  // (device, inode) of each folder
};

/// The promised files, --gradescope's included, for a ReportLock over all of them.
std::vector<std::string> promised_files();

/// After a command line gradcheck refuses: the report files it names (-o, --out, --reports,
/// --gradescope) get an error report of this run (a shard's are removed), so none left from an
/// earlier run passes for this one's. Returns the refusal of a named path that is unreplaceable()
/// ("" when none is), which the line on stderr then says instead of `why`.
std::string settle_refused(int argc, char** argv, const std::string& why);

}  // namespace gradcheck::cli
