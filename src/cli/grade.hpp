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

/// What the course's check and the check at ex4's size write in a student's folder: their own
/// Gradescope scores, read by score_student(), which writes the student's results.json.
inline constexpr const char* course_results_file = "check_results.json";
inline constexpr const char* ex4_results_file = "ex4_results.json";

/// The student's points as Gradescope's results.json, computed in this one place from what the
/// checks measured (grade_score.cpp): the course's check's four tests, each losing its points
/// where ex4's size or the fuzz failed it; a check that never reached a verdict (TIMEOUT, CRASH,
/// no homework found) scores 0 in every test, saying why. `grade`'s class table and
/// `grade --gradescope` both read it, so they never disagree.
std::string score_student(const Student& s, const std::filesystem::path& folder, const std::vector<double>& points);

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

/// Grades `students` and writes the class table and each student's files under `g.out`: what
/// `gradcheck grade` does once it has the submissions. False when stopped by a signal.
bool grade_students(const GradeCommand& g, std::vector<Student>& students);

/// `gradcheck grade --gradescope FILE SUBMISSION`: grade_students() on that one submission, then
/// Gradescope's results.json in FILE, the student's points and feedback (grade_gradescope.cpp).
int run_grade_gradescope(const GradeCommand& g);

/// Grades every student, `g.jobs` at once, results under `out`/.cache/KEY/.
void grade_all(const GradeCommand& g, const SandboxPlan& plan, std::vector<Student>& students,
               const std::filesystem::path& out);

/// Whether `status` is one of grade's own: PASS, FAIL, ERROR, TIMEOUT, CRASH, CANNOT JUDGE, INCOMPLETE.
bool known_status(const std::string& status);

/// The class table in its three formats (class_tables.cpp), every student's string escaped for each.
std::string class_markdown(const std::vector<Student>& students, const std::string& summary);
std::string class_csv(const std::vector<Student>& students);
std::string class_html(const std::vector<Student>& students, const std::string& summary);
/// "33 submissions: 9 passed, 4 CRASH, … Likely mistakes: 2 × sign-flipped, …".
std::string class_summary(const std::vector<Student>& students);

/// The class table while grading runs: one INCOMPLETE line saying `what`, and the command.
struct ClassTables {
  std::string markdown, csv, html;
};
ClassTables incomplete_class_tables(const std::string& what, const std::string& command);

/// A file's text, at most `limit` bytes of it ("" when it cannot be read).
std::string read_text_file(const std::filesystem::path& file, std::size_t limit = 1 << 20);

/// The row of a graded student saved in the cache, and read back (false when unreadable).
void write_row(const std::filesystem::path& file, const Student& s);
bool read_row(const std::filesystem::path& file, Student& s);

}  // namespace gradcheck::cli
