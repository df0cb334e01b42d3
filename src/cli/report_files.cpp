// The report files of a run: their paths checked, promised, and settled with an error report.

#include "report_files.hpp"

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace gradcheck::cli {

namespace {

/// The report formats --out knows, by the file's extension.
using Formatter = std::string (*)(const CheckResult&, const Subject&);
const std::pair<std::string_view, Formatter> report_formats[] = {
    {".json", to_json}, {".xml", format_junit}, {".md", format_markdown}, {".txt", format_text}, {".html", format_html},
};

Formatter formatter_of(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  for (const auto& [known, formatter] : report_formats)
    if (extension == known) return formatter;
  throw std::invalid_argument(fmt::format("--out {}: unknown report format '{}'; expected .json, .xml (JUnit), "
                                          ".md (Markdown), .html or .txt", path, extension));
}

}  // namespace

std::string formatted(const std::string& path, const CheckResult& result, const Subject& subject) {
  return formatter_of(path)(result, subject);
}

void check_report_paths(const std::vector<std::string>& paths, bool shard) {
  for (const auto& path : paths) {
    const std::filesystem::path p(path);
    std::error_code error;
    if (std::filesystem::is_directory(p, error))
      throw std::invalid_argument(fmt::format("--out {}: is a folder; expected a file name", path));
    const std::string extension = p.extension().string();
    if (shard && extension != ".json")
      throw std::invalid_argument(fmt::format("--out {}: a shard writes one partial JSON report; expected FILE.json", path));
    formatter_of(path);  // throws for an unknown format
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

void promise_reports(const std::vector<std::string>& paths, bool shard) {
  pending_reports.paths = paths;
  pending_reports.shard = shard;
  pending_reports.written = false;
}

void settle_reports(const std::string& verdict) {
  if (pending_reports.written) return;
  pending_reports.written = true;
  for (const auto& path : pending_reports.paths) {
    try {
      if (pending_reports.shard) {
        std::filesystem::remove(path);
        continue;
      }
      CheckResult result;
      result.failure = terminal_safe(verdict);
      result.pass = false;
      result.complete = false;
      Subject subject;
      subject.title = "gradcheck stopped before a verdict";
      subject.command = invocation;
      write_file_atomically(path, formatted(path, result, subject));
    } catch (const std::exception&) {  // best effort: the one-line message on stderr still says what happened
    }
  }
  if (pending_reports.gradescope.empty()) return;
  std::vector<double> points{20, 20, 30, 30};
  try {
    points = gradescope_points(pending_reports.points);
  } catch (const std::exception&) {  // bad --points: the reason says so, under the default's
  }
  try {
    write_file_atomically(pending_reports.gradescope, gradescope_results({}, points, terminal_safe(verdict)));
  } catch (const std::exception&) {
  }
}

void settle_refused(int argc, char** argv, const std::string& why) {
  // Wherever the subcommand stands, or whatever it is (`gradcheck chek -o r.xml`, `-o r.json check`):
  // only grade's --out is a folder, not a report.
  char** const end = std::find(argv + 1, argv + argc, std::string_view("--"));
  if (std::find(argv + 1, end, std::string_view("grade")) != end) return;
  std::vector<std::string> out;
  bool reports = false, shard = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;  // the implementation's command
    if ((arg == "-o" || arg == "--out") && i + 1 < argc) out.push_back(argv[++i]);
    else if (arg.rfind("--out=", 0) == 0) out.push_back(arg.substr(6));
    else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) out.push_back(arg.substr(arg[2] == '=' ? 3 : 2));
    else if (arg == "--gradescope" && i + 1 < argc) pending_reports.gradescope = argv[++i];
    else if (arg.rfind("--gradescope=", 0) == 0) pending_reports.gradescope = arg.substr(13);
    else if (arg == "--points" && i + 1 < argc) pending_reports.points = argv[++i];
    else if (arg.rfind("--points=", 0) == 0) pending_reports.points = arg.substr(9);
    reports = reports || arg == "--reports";
    shard = shard || arg == "--shard" || arg.rfind("--shard=", 0) == 0;
  }
  try {
    promise_reports(with_default_reports(out, reports), shard);
  } catch (const std::exception&) {  // reports/ cannot be made: the -o files still are settled
    promise_reports(out, shard);
  }
  settle_reports("bad usage: " + why);
}

}  // namespace gradcheck::cli
