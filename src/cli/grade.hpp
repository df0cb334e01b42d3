#pragma once
// gradcheck grade: a class's submissions checked at once (grade.cpp), and what the teacher and
// each student get to read (grade_report.cpp).

#include "cli.hpp"
#include "commands.hpp"

#include "gradcheck/io/sandbox.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gradcheck::cli {

/// One student's submission and what grading it found.
struct Student {
  std::string name;                 ///< the subfolder's name, or the archive's without its extension
  std::filesystem::path source;     ///< the subfolder or archive (never written to)
  bool archive = false;
  std::string key;                  ///< the cache key: the submission's content and the grading options
  bool cached = false;              ///< unchanged since an earlier run: its results were reused
  Edition edition = Edition::none;  ///< which nnCostFunction was found in it
  std::string status = "ERROR";     ///< PASS, FAIL, ERROR, TIMEOUT, CRASH or CANNOT JUDGE
  std::string message;              ///< the one line that says why
  int check_code = -1;              ///< the exit code of the course's check
  std::string ex4 = "-", fuzz = "-";  ///< PASS or FAIL when run (only for a submission right so far)
  double seconds = 0;
  std::string sandbox;              ///< where its code ran (SandboxPlan::described)
  // Read back from the student's reports:
  double score = 0, max_score = 0;
  std::vector<std::string> tests;   ///< "passed" or "failed" for each of the four Gradescope tests
  std::vector<std::string> mistakes;  ///< the catalog's names for what is wrong (none when unrecognised)
};

/// The student's verdict in one line, as feedback.md and report.html open with it:
/// "FAIL (70/100 points): FAIL at ex4's size 400-25-10 (…)" said once, "PASS (100/100 points)".
std::string grade_verdict(const Student& s);

/// The submissions in `folder`, by name: every subfolder and .zip, .tar, .tar.gz or .tgz archive.
std::vector<Student> submissions_in(const std::filesystem::path& folder);

/// The key of a submission's results: its files' paths and contents, the options, this binary.
std::string content_key(const Student& s, const GradeCommand& g);

/// A fingerprint of the running gradcheck binary, so a new build never reuses an old verdict.
std::string self_fingerprint();

/// How the students' code is confined (gradcheck/io/sandbox.hpp), decided once for the class.
struct SandboxPlan {
  bool enabled = true;             ///< false: --no-sandbox
  bool namespaces = true;          ///< bubblewrap, else the users alone
  std::vector<std::shared_ptr<sandbox::Lease>> users;  ///< one per worker when grade runs as root, else none
  std::string described;           ///< what it gives, for the class's reports
};

/// The best sandbox this machine allows: bubblewrap (as one unprivileged user per worker when
/// root), else those users alone. Throws std::invalid_argument (exit 2) saying why and how to
/// enable one when there is none and --no-sandbox was not given.
SandboxPlan plan_sandbox(const GradeCommand& g);

/// Seconds a check waits for one reply of a student's code: 1000 × the reference's own time for
/// the largest request grade sends (ex4's size), at least `floor_seconds`.
double request_timeout(double floor_seconds = 10);

/// Grades every student, `g.jobs` at once, results under `out`/.cache/KEY/.
void grade_all(const GradeCommand& g, const SandboxPlan& plan, std::vector<Student>& students,
               const std::filesystem::path& out);

/// A file's text, at most `limit` bytes of it ("" when it cannot be read).
std::string read_text_file(const std::filesystem::path& file, std::size_t limit = 1 << 20);

/// The row of a graded student saved in the cache, and read back (false when unreadable).
void write_row(const std::filesystem::path& file, const Student& s);
bool read_row(const std::filesystem::path& file, Student& s);

}  // namespace gradcheck::cli
