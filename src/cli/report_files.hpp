#pragma once
// The report files of a run (-o/--out, --reports, --gradescope): which format a path asks for,
// the checks on the paths before any work, the promise that every one of them ends up saying
// what became of this run, and the error reports that keep that promise.

#include "gradcheck/report/report.hpp"

#include <string>
#include <vector>

namespace gradcheck::cli {

/// The report of `result` in the format a file's extension asks for.
std::string formatted(const std::string& path, const CheckResult& result, const Subject& subject);

/// Refuses, before any work, report paths that could not be written at its end: an unknown
/// format, a folder, a folder that is not there or not writable.
void check_report_paths(const std::vector<std::string>& paths, bool shard = false);

/// reports/ in the working folder, or a one-line error where it cannot be made.
void make_reports_folder();

/// --reports: every format under reports/, next to any --out.
std::vector<std::string> with_default_reports(std::vector<std::string> out, bool reports);

/// The report files this run promised (--out, --reports) and whether they were written. When a
/// run ends without writing them (bad input found late, the implementation failed, interrupted
/// before anything was measured, an internal error), main() writes an error report to each, so
/// a stale report of an earlier run never survives; a shard's file is removed instead (merge
/// then says it is missing).
struct PendingReports {
  std::vector<std::string> paths;
  bool shard = false;
  bool written = false;
  /// Gradescope's results.json (--gradescope), settled with a score of 0 and the reason, under
  /// --points (the default's when those are what was wrong); "" for none.
  std::string gradescope, points;
};
extern PendingReports pending_reports;

/// Promises `paths` (after check_report_paths accepted them).
void promise_reports(const std::vector<std::string>& paths, bool shard = false);

/// Writes an error report, verdict `verdict`, to every promised file not written yet (best effort).
void settle_reports(const std::string& verdict);

/// After a command line gradcheck refuses: the report files it names (-o, --out, --reports,
/// --gradescope) get an error report of this run (a shard's are removed), so none left from an
/// earlier run passes for this one's. The line on stderr says the same.
void settle_refused(int argc, char** argv, const std::string& why);

}  // namespace gradcheck::cli
