// A graded submission's points, computed once from what its checks measured: the class table
// (class.csv), the student's results.json and Gradescope's results.json all read this one score.

#include "grade.hpp"

#include <nlohmann/json.hpp>

namespace gradcheck::cli {

namespace fs = std::filesystem;

namespace {

/// The stage of `grade` that ended the submission's run, read from what it recorded: the
/// course's check (it did not pass, or never ran), ex4's size, or the fuzz.
enum class Stage { course, ex4, fuzz };

Stage stage_that_decided(const Student& s) {
  if (s.status == "PASS" || s.check_code != 0) return Stage::course;
  return s.ex4 == "PASS" ? Stage::fuzz : Stage::ex4;  // ex4's size runs before the fuzz
}

/// A check's results.json, or "" when it is not one with the four tests (never written, cut short).
std::string four_tests(const fs::path& file) {
  std::string text = read_text_file(file);
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("tests") || !json["tests"].is_array() || json["tests"].size() != 4) return "";
  return text;
}

}  // namespace

std::string score_student(const Student& s, const fs::path& folder, const std::vector<double>& points) {
  const Stage stage = stage_that_decided(s);
  // The course's check scores the four tests, unless it never reached a verdict: stopped at the
  // time limit, killed by a signal or the memory limit, or never run (no homework found, an
  // archive that would not unpack). Then every test scores 0 and says why.
  const bool cut_short = stage == Stage::course && (s.status == "TIMEOUT" || s.status == "CRASH" || s.check_code < 0);
  std::string results = cut_short ? "" : four_tests(folder / course_results_file);
  if (results.empty()) {
    Student unscored = s;
    unscored.max_score = 0;  // the verdict without points: they are what is being computed
    auto json = nlohmann::ordered_json::parse(gradescope_results({}, points, s.message.empty() ? s.status : s.message));
    json["output"] = grade_verdict(unscored);
    results = json.dump(2) + "\n";
  }
  // A check that failed on the small problem was also run at ex4's size: a test it passed there
  // scores only if it passes at ex4's size too (or, when that check did not finish, not at all).
  if (stage == Stage::course && s.status == "FAIL" && s.check_code == 1 && s.ex4 != "-") {
    const std::string later = four_tests(folder / ex4_results_file);
    const auto before = nlohmann::ordered_json::parse(results, nullptr, false);
    results = gradescope_after(results, later, "at ex4's size 400-25-10",
                               later.empty() ? "not confirmed at ex4's size 400-25-10: that check did not finish (" + s.ex4 + ")"
                                             : s.message);
    auto after = nlohmann::ordered_json::parse(results, nullptr, false);
    if (before.is_object() && after.is_object() && before.contains("output")) {  // the verdict stays the first line
      after["output"] = before["output"];
      results = after.dump(2) + "\n";
    }
  }
  // A later stage that failed takes the points of the tests that failed there.
  if (stage == Stage::ex4)
    results = gradescope_after(results, four_tests(folder / ex4_results_file), "at ex4's size 400-25-10", s.message);
  else if (stage == Stage::fuzz)
    results = gradescope_after(results, "", "on random networks", s.message);
  return results;
}

}  // namespace gradcheck::cli
