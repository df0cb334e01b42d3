// gradcheck grade --gradescope FILE SUBMISSION: Gradescope's autograder is `grade` on one
// submission (the same checks, limits and score), its results.json written whatever happens.

#include "grade.hpp"
#include "report_files.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/util/stop.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace gradcheck::cli {

namespace fs = std::filesystem;

namespace {

/// The one student of a Gradescope run: the uploaded folder, named after itself.
Student the_submission(const std::string& folder) {
  if (!fs::is_directory(folder))
    throw std::invalid_argument(fmt::format("{} is not a folder; with --gradescope, expected the folder of one submission "
                                            "(Gradescope's /autograder/submission)", folder));
  Student s;
  s.source = fs::absolute(folder).lexically_normal();
  if (s.source.filename().empty()) s.source = s.source.parent_path();  // a trailing slash
  s.name = s.source.filename().string();
  if (s.name.empty() || s.name.rfind('.', 0) == 0) s.name = "submission";
  return s;
}

/// results.json scoring 0 with `why`, for a run that could not grade (bad options, killed).
std::string error_results(const std::vector<double>& points, const std::string& why) {
  return gradescope_results({}, points, why);
}

}  // namespace

int run_grade_gradescope(const GradeCommand& g) {
  // Refused before anything: a path that cannot be replaced can never say ERROR either.
  if (const std::string why = unreplaceable(g.gradescope); !why.empty())
    throw std::invalid_argument(fmt::format("--gradescope {} {}; expected a regular file or a new name", g.gradescope, why));
  std::vector<double> points;
  try {
    points = gradescope_points(g.points);
  } catch (const std::invalid_argument& e) {
    write_file_atomically(g.gradescope, error_results(gradescope_points(GradeCommand{}.points), e.what()));
    throw;
  }
  // Until the end, the file says the run did not finish: Gradescope's own timeout kills a run
  // outright, and the student then reads why there are no points rather than an old score.
  write_file_atomically(g.gradescope, error_results(points, "gradcheck grade did not finish (stopped by a signal or by "
                                                            "Gradescope's time limit for the autograder)"));
  try {
    std::vector<Student> students{the_submission(g.submissions)};
    if (!grade_students(g, students)) return 0;  // stopped: main() says so; the file says ERROR
    const Student& s = students.front();
    const fs::path mine = fs::absolute(g.out) / "students" / s.name;
    // The student's results.json is score_student()'s, the very score in the class table; the
    // summary Gradescope shows first is the student's feedback, which opens with the verdict.
    auto results = nlohmann::ordered_json::parse(read_text_file(mine / "results.json"), nullptr, false);
    if (!results.is_object() || !results.contains("tests"))
      throw std::runtime_error("the student's results.json was not written: " + (mine / "results.json").string());
    results["output"] = read_text_file(mine / "feedback.md");
    results["output_format"] = "md";
    results["test_output_format"] = "text";  // the tests' outputs are reports laid out in plain text
    write_file_atomically(g.gradescope, results.dump(2) + "\n");
  } catch (const std::exception& e) {
    write_file_atomically(g.gradescope, error_results(points, e.what()));
    throw;
  }
  return 0;
}

}  // namespace gradcheck::cli
