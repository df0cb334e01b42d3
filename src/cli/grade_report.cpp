// gradcheck grade's outputs: the students' results read back (checked to be what gradcheck wrote),
// one feedback file per student written for the student, and the class table on every outcome.

#include "grade.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/report.hpp"
#include "gradcheck/util/stop.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace gradcheck::cli {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const char* edition_name(Edition e) {
  return e == Edition::octave ? "Octave" : e == Edition::python ? "Python" : "-";
}

/// The right version of each named mistake, in the course's notation, for the student's feedback.
std::string right_version(const std::string& key, Edition edition) {
  static const std::map<std::string, std::string> fixes{
      {"bias-regularized", "D^(l) = Δ^(l)/m + (λ/m)Θ^(l) for the columns j ≥ 1 only; the bias column j = 0 is D^(l)_i0 = Δ^(l)_i0/m"},
      {"regularization-missing", "D^(l) = Δ^(l)/m + (λ/m)Θ^(l), the bias column left without the λ term"},
      {"regularization-halved", "the gradient's term is (λ/m)Θ^(l): J's λ/(2m) loses the 1/2 when differentiated"},
      {"regularization-unscaled", "the gradient's term is (λ/m)Θ^(l), divided by m like the rest"},
      {"regularization-subtracted", "D^(l) = Δ^(l)/m + (λ/m)Θ^(l): the term is added"},
      {"bias-gradient-zeroed", "the bias column of D^(l) is Δ^(l)_i0/m: left unregularized, not zero"},
      {"average-missing", "D^(l) = (1/m)Δ^(l) + …: Δ divided by m once"},
      {"average-squared", "D^(l) = (1/m)Δ^(l) + …: Δ divided by m once, not twice"},
      {"sign-flipped", "δ^(3) = a^(3) − y"},
      {"output-delta-of-other-cost", "with the logistic cost, δ^(3) = a^(3) − y, without a g′ factor"},
      {"derivative-dropped", "δ^(2) = (Θ^(2))ᵀ δ^(3) .* g′(z^(2)), bias row dropped"},
      {"activation-for-derivative", "δ^(2) = (Θ^(2))ᵀ δ^(3) .* g′(z^(2)) with g′(z) = g(z)(1 − g(z)): sigmoidGradient, not sigmoid"},
      {"derivative-of-activation", "g′ is evaluated at z^(2) = Θ^(1) a^(1), not at a^(2) = g(z^(2))"},
      {"bias-row-kept", "δ^(2) drops the bias row: ((Θ^(2))ᵀ δ^(3))(2:end) .* g′(z^(2))"},
      {"updated-weights", "δ^(2) uses the Θ^(2) nnCostFunction was given, never an updated one"},
      {"last-example-skipped", "Δ^(l) accumulates every example t = 1 … m"},
      {"row-major-unrolling", "grad = [Theta1_grad(:); Theta2_grad(:)], column by column like nn_params"},
      {"column-major-unrolling", "grad = np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()]), row by row like nn_params"},
      {"theta-row-major", "Theta1 = reshape(nn_params(1:s2 * (s1 + 1)), s2, s1 + 1), no transpose"},
      {"theta-column-major", "Theta1 = np.reshape(nn_params[:s2 * (s1 + 1)], (s2, s1 + 1)), numpy's default order"},
      {"weights-transposed", "Δ^(l) += δ^(l+1) (a^(l))ᵀ, an s_(l+1) × (s_l + 1) matrix like Θ^(l)"},
      {"next-layer-activation", "Δ^(l) += δ^(l+1) (a^(l))ᵀ: the activations of layer l, bias unit included"},
      {"gradient-never-computed", "for every example: Δ^(l) += δ^(l+1) (a^(l))ᵀ; then D^(l) = Δ^(l)/m + (λ/m)Θ^(l) off the bias column"},
      {"layer-gradient-zero", "Theta1_grad = Δ^(1)/m + (λ/m)Θ^(1) off the bias column, with Δ^(1) += δ^(2) (a^(1))ᵀ"},
      {"delta-never-accumulated", "Δ^(1) += δ^(2) (a^(1))ᵀ for every example, before D^(1) = Δ^(1)/m + …"},
      {"cost-regularization-missing", "J = (1/m) Σ_t Σ_k [−y_k log(h_k) − (1 − y_k) log(1 − h_k)] + (λ/2m) Σ_l Σ_i Σ_(j≥1) (Θ^(l)_ij)²"},
      {"cost-bias-regularized", "J's regularization sums Θ^(l)_ij² over j ≥ 1 only: the bias columns are left out"},
      {"cost-average-missing", "J = (1/m) Σ_t Σ_k …: the sum over examples divided by m"},
      {"cost-positive-class-only", "J_t = Σ_k [−y_k log(h_k) − (1 − y_k) log(1 − h_k)]: both terms"},
  };
  const auto it = fixes.find(key);
  if (it == fixes.end()) return "";
  std::string fix = it->second;
  if (edition == Edition::python && key == "bias-row-kept") fix = "δ^(2) drops the bias column: (δ^(3) Θ^(2))[:, 1:] * g′(z^(2))";
  return fix;
}

}  // namespace

std::string grade_verdict(const Student& s) {
  std::string line = s.status;
  if (s.max_score > 0) line += fmt::format(" ({:g}/{:g} points)", s.score, s.max_score);
  // The message often opens with the same word ("FAIL at λ = 3: …"): said once.
  std::string message = s.message;
  if (message.rfind(s.status, 0) == 0) message.erase(0, s.status.size());
  if (message.rfind(": ", 0) == 0) message.erase(0, 2);
  else if (message.rfind(" ", 0) == 0) message.erase(0, 1);
  return message.empty() ? line : line + ": " + one_line(message);
}

namespace {

/// What the student's cache folder may hold is read up to this many bytes: the check writes far
/// less (a report.json of ex4's 10285 entries is about 3 MB); a student's code may write more.
constexpr std::size_t json_limit = std::size_t{16} << 20;

/// A results file that is not what gradcheck writes: the student's row says so (ERROR, 0 points).
struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `file` as JSON, read up to json_limit; nullopt when there is no such file. Throws Unreadable.
std::optional<Json> read_json(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return std::nullopt;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) throw Unreadable(file.filename().string() + " is not a regular file");
  const std::string text = read_text_file(file, json_limit + 1);
  if (text.size() > json_limit)
    throw Unreadable(fmt::format("{} is larger than {} MiB", file.filename().string(), json_limit >> 20));
  Json j = Json::parse(text, nullptr, false);  // invalid UTF-8 in a string is a parse error too
  if (j.is_discarded()) throw Unreadable(file.filename().string() + " is not valid JSON");
  return j;
}

/// `j[key]` as a finite number ≥ 0, or Unreadable naming the file, the key and what it held.
double points_at(const Json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
    throw Unreadable(fmt::format("{}: \"{}\" is {}; expected a finite number ≥ 0", where, key,
                                 it == j.end() ? "missing" : terminal_safe(it->dump(-1, ' ', true), 60)));
  return it->get<double>();
}

/// The scores from the student's results.json, checked to be what gradcheck writes: an object
/// whose "score" is a number and whose "tests" each have a name, a status passed or failed and
/// points within their maximum. Returns them (null when there is no results.json).
Json read_results(const fs::path& folder, Student& s) {
  const auto results = read_json(folder / "results.json");
  if (!results) return nullptr;
  if (!results->is_object()) throw Unreadable("results.json is not a JSON object");
  const double score = points_at(*results, "score", "results.json");
  const auto tests = results->find("tests");
  if (tests == results->end() || !tests->is_array() || tests->size() > 16)
    throw Unreadable("results.json: \"tests\" is not a list of at most 16 tests");
  double max_score = 0, sum = 0;
  std::vector<std::string> statuses;
  for (const auto& t : *tests) {
    const std::string where = fmt::format("results.json test {}", statuses.size() + 1);
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("status") || !t["status"].is_string() ||
        (t["status"] != "passed" && t["status"] != "failed"))
      throw Unreadable(where + " has no name, or a status other than passed or failed");
    max_score += points_at(t, "max_score", where);
    sum += points_at(t, "score", where);
    if (t["score"].get<double>() > t["max_score"].get<double>()) throw Unreadable(where + " scores more than its maximum");
    statuses.push_back(t["status"].get<std::string>());
  }
  if (score > max_score || std::abs(score - sum) > 1e-9 * std::max(1.0, max_score))
    throw Unreadable(fmt::format("results.json: \"score\" {:g} is not the sum of its tests' points ({:g})", score, sum));
  s.score = score;
  s.max_score = max_score;
  s.tests = statuses;
  return *results;
}

/// The named mistakes of the student's report.json: the catalog's names only (lowercase words and
/// hyphens), so nothing else read from the folder is shown as one.
void read_mistakes(const fs::path& folder, Student& s) {
  s.mistakes.clear();
  const auto report = read_json(folder / "report.json");
  if (!report) return;
  if (!report->is_object()) throw Unreadable("report.json is not a JSON object");
  const Json checks = report->contains("checks") ? (*report)["checks"] : Json::array({*report});
  if (!checks.is_array()) throw Unreadable("report.json: \"checks\" is not a list");
  for (const auto& c : checks) {
    if (!c.is_object() || !c.contains("diagnosis") || !c["diagnosis"].is_object() || c["diagnosis"].value("kind", Json()) != "recognised")
      continue;
    const Json& named = c["diagnosis"].contains("mistakes") ? c["diagnosis"]["mistakes"] : Json::array();
    if (!named.is_array()) throw Unreadable("report.json: a diagnosis's \"mistakes\" is not a list");
    for (const auto& m : named) {
      const bool name = m.is_string() && !m.get<std::string>().empty() && m.get<std::string>().size() <= 60 &&
                        m.get<std::string>().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
      if (!name) throw Unreadable("report.json names a mistake that is not a catalog name: " + terminal_safe(m.dump(-1, ' ', true), 60));
      if (std::find(s.mistakes.begin(), s.mistakes.end(), m.get<std::string>()) == s.mistakes.end())
        s.mistakes.push_back(m.get<std::string>());
    }
  }
}

/// The student's row made ERROR: what gradcheck wrote for them cannot be read back as written.
void unreadable_row(Student& s, const std::string& why) {
  s.status = "ERROR";
  s.message = "gradcheck's results for this student were unreadable: " + one_line(why);
  s.score = s.max_score = 0;
  s.tests.clear();
  s.mistakes.clear();
  s.ex4 = s.fuzz = "-";
}

/// The smallest failing network of each failed λ from report.txt, each network said once.
std::string smallest_networks(const fs::path& folder) {
  std::istringstream text(read_text_file(folder / "report.txt"));
  std::string smallest;
  bool inside = false;
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("  smallest ", 0) == 0) inside = true;
    else if (inside && line.rfind("             ", 0) != 0) inside = false;
    if (inside) smallest += line + "\n";
  }
  std::string unique;
  for (std::size_t from = 0; from < smallest.size();) {
    auto next = smallest.find("\n  smallest ", from);
    next = next == std::string::npos ? smallest.size() : next + 1;
    const std::string block = smallest.substr(from, next - from);
    if (unique.find(block) == std::string::npos) unique += block;
    from = next;
  }
  return unique;
}

/// The feedback a student reads: the verdict, the points, the mistake with its right version,
/// then gradcheck's own report (layers, entries, the smallest failing network, what was printed).
/// What came from the student's run is escaped (markdown_text) or fenced (markdown_code_block).
std::string feedback(const Student& s, const fs::path& folder, const Json& results) {
  // The first line is the verdict, as in every report: the status, the points, what was found.
  std::string out = "# " + markdown_text(grade_verdict(s)) + "\n\n";
  out += fmt::format("Feedback on your nnCostFunction ({} edition)\n\n", edition_name(s.edition));
  if (s.max_score > 0) {
    out += fmt::format("Points: {:g} of {:g}\n\n", s.score, s.max_score);
    if (results.is_object()) {
      out += "| part | points |\n|---|---|\n";
      for (const auto& t : results["tests"])
        out += fmt::format("| {} | {:g} / {:g} |\n", markdown_text(one_line(t["name"].get<std::string>())), t["score"].get<double>(),
                           t["max_score"].get<double>());
      out += "\n";
    }
  }
  for (const auto& m : s.mistakes)
    if (const std::string fix = right_version(m, s.edition); !fix.empty())
      out += fmt::format("**The likely mistake** ({}). The right version, in the course's notation: {}\n\n", markdown_text(m),
                         markdown_text(fix));
  if (s.status == "TIMEOUT")
    out += "Your code did not finish in time. Look for a loop that never ends, or a call that waits for input "
           "(`pause` and `keyboard` are made harmless; Octave's `input` waits, and so does a `while` whose condition never changes).\n\n";
  if (s.ex4 == "FAIL") out += "Your code passed the small problem and failed at ex4's real sizes (400-25-10): see ex4.json.\n\n";
  if (s.fuzz == "FAIL")
    out += "Your code passed ex4's problems and failed on a random network:\n\n" + markdown_code_block(read_text_file(folder / "fuzz.out")) + "\n";
  // The smallest failing network of each failed λ, with the command that checks it alone.
  if (const std::string smallest = smallest_networks(folder); !smallest.empty())
    out += "## The smallest network on which your code fails\n\n" + markdown_code_block(smallest) + "\n";
  // report.md is the check's own Markdown, its every field already escaped (markdown_report.cpp).
  const std::string report = read_text_file(folder / "report.md");
  if (!report.empty()) out += "## gradcheck's report\n\n" + report;
  // The scratch copy it was checked in means nothing to the student: their own folder does.
  static const std::regex scratch(R"([^\s'"]*/gradcheck-[A-Za-z0-9]{6}/submission)");
  return std::regex_replace(out, scratch, "YOUR_EX4_FOLDER");
}

/// What grade copies from a student's cache folder: regular files and folders only (a link could
/// lead to /dev/zero or another student's files, a FIFO would never end), at most 256 MiB in all.
void check_folder(const fs::path& folder) {
  constexpr std::uintmax_t limit = std::uintmax_t{256} << 20;
  std::uintmax_t bytes = 0;
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator(); ++it) {
    const fs::file_status status = it->symlink_status();
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status))
      throw Unreadable(fs::relative(it->path(), folder).string() + " is not a regular file (a link, a FIFO, a device)");
    if ((bytes += it->file_size()) > limit) throw Unreadable(fmt::format("the files written hold more than {} MiB", limit >> 20));
  }
}

/// The student's files in `out`/students/NAME: a copy of their cache folder, their feedback, and
/// the check's page with the grade's verdict on top. A file there that is not what gradcheck
/// writes makes the row ERROR (Unreadable); any other failure throws.
void publish_student(const fs::path& out, Student& s) {
  const fs::path mine = out / "students" / s.name;
  fs::remove_all(mine);
  fs::create_directories(mine);
  Json results;
  try {
    check_folder(out / ".cache" / s.key);
    fs::copy(out / ".cache" / s.key, mine, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    fs::remove(mine / "row.json");
    results = read_results(mine, s);
    read_mistakes(mine, s);
  } catch (const Unreadable& e) {
    unreadable_row(s, e.what());
    results = nullptr;
  }
  write_file_atomically((mine / "feedback.md").string(), feedback(s, mine, results));
  // The check's page opens with the check's verdict; the grade (ex4's size, the fuzz, the
  // points) can say otherwise, and comes first.
  std::string page = read_text_file(mine / "report.html", std::size_t{64} << 20);
  const auto top = page.find("<h1>gradcheck</h1>\n");
  if (top != std::string::npos) {
    const char* banner = s.status == "PASS" ? "pass" : s.status == "CANNOT JUDGE" ? "other" : "fail";
    page.insert(top + 19, fmt::format("<p class=\"verdict {}\">{}</p>\n<p>The check on the course's small problem, "
                                      "at λ = 0 and λ = 3:</p>\n", banner, escape_markup(grade_verdict(s))));
    write_file_atomically((mine / "report.html").string(), page);
  }
}

}  // namespace

std::string read_text_file(const fs::path& file, std::size_t limit) {
  std::ifstream in(file, std::ios::binary);
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

void write_row(const fs::path& file, const Student& s) {
  const Json row{{"status", s.status}, {"message", s.message}, {"edition", static_cast<int>(s.edition)},
                 {"check_code", s.check_code}, {"ex4", s.ex4}, {"fuzz", s.fuzz}, {"seconds", s.seconds}};
  // A message with bytes that are not UTF-8 is kept, with U+FFFD for them, not thrown on.
  write_file_atomically(file.string(), row.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

bool read_row(const fs::path& file, Student& s) {
  try {
    const auto row = read_json(file);
    if (!row || !row->is_object()) return false;
    const auto stage = [&](const char* key) {
      const std::string said = row->at(key).get<std::string>();
      if (said != "-" && said != "PASS" && said != "FAIL") throw Unreadable("not a stage's verdict");
      return said;
    };
    const std::string status = row->at("status").get<std::string>();
    if (!known_status(status) || status == "INCOMPLETE") return false;
    const double seconds = row->at("seconds").get<double>();
    if (!std::isfinite(seconds) || seconds < 0) return false;
    s.status = status;
    s.message = one_line(row->at("message").get<std::string>());
    s.edition = static_cast<Edition>(std::clamp(row->at("edition").get<int>(), 0, 2));
    s.check_code = row->at("check_code").get<int>();
    s.ex4 = stage("ex4");
    s.fuzz = stage("fuzz");
    s.seconds = seconds;
  } catch (const std::exception&) {  // Json's, Unreadable: the row is not grade's, so it is graded again
    return false;
  }
  return true;
}

namespace {

/// The class table while grading runs: INCOMPLETE, naming this run, in each of the three files,
/// so a grade killed outright never leaves an earlier class table standing for this one.
/// Throws std::invalid_argument where one of them is unreplaceable() (a device, a link…).
void start_class_tables(const fs::path& out) {
  const std::vector<std::string> files{(out / "class.md").string(), (out / "class.csv").string(),
                                       (out / "class.html").string()};
  for (const auto& file : files)
    if (const std::string why = unreplaceable(file); !why.empty())
      throw std::invalid_argument(fmt::format("report file {} {}; expected a regular file or a new name", file, why));
  const std::string what = "INCOMPLETE: gradcheck grade has not finished (the run " + this_run() +
                           "; if it is no longer running, it was killed or stopped before writing the class table)";
  const ClassTables tables = incomplete_class_tables(what, invocation);
  const ReportLock lock(files);
  write_file_atomically(files[0], tables.markdown);
  write_file_atomically(files[1], tables.csv);
  write_file_atomically(files[2], tables.html);
}

}  // namespace

int run_grade(const GradeCommand& g) {
  if (!g.gradescope.empty()) return run_grade_gradescope(g);
  gradescope_points(g.points);  // refused now, not once per student
  std::vector<Student> students = submissions_in(g.submissions);
  grade_students(g, students);
  return 0;
}

bool grade_students(const GradeCommand& g, std::vector<Student>& students) {
  const SandboxPlan plan = plan_sandbox(g);
  const fs::path out = fs::absolute(g.out);
  std::error_code ec;
  // Refused before anything is made: a grades/ folder left in the submissions would be graded next.
  const fs::path submissions = fs::weakly_canonical(fs::absolute(g.submissions));
  if (fs::weakly_canonical(out).string().rfind(submissions.string() + "/", 0) == 0)
    throw std::invalid_argument(fmt::format("--out {} is inside the submissions folder; expected a folder outside it", out.string()));
  fs::create_directories(out / "students", ec);
  if (ec) throw std::invalid_argument(fmt::format("cannot write to {}: {}; expected a folder gradcheck may create", out.string(), ec.message()));
  start_class_tables(out);
  // The students' files of an earlier run go before any work: a run stopped part-way leaves the
  // class table INCOMPLETE and no student's earlier verdict beside it (they are written anew at the
  // end, from the cache where unchanged).
  fs::remove_all(out / "students", ec);
  fs::create_directories(out / "students", ec);
  grade_all(g, plan, students, out);
  // Every student gets a row, whatever happened: graded (from the cache), INCOMPLETE when grading
  // stopped before their check ended, ERROR when their files cannot be read back.
  const bool interrupted = stop_requested(&stop_flag);
  for (Student& s : students) {
    if (s.key.empty() || !fs::is_regular_file(out / ".cache" / s.key / "row.json", ec)) {
      s.status = "INCOMPLETE";
      s.message = interrupted ? fmt::format("not graded: gradcheck grade (the run {}) was interrupted by {} before this "
                                            "student's check ended; run it again to finish (the students graded are kept)",
                                            this_run(), stop_signal_name())
                              : "not graded: gradcheck grade ended before this student's check did";
      s.score = s.max_score = 0;
      s.tests.clear();
      continue;
    }
    try {
      publish_student(out, s);
    } catch (const std::exception& e) {
      unreadable_row(s, e.what());
    }
  }
  std::string summary = class_summary(students) + "\nThe students' code ran in: " + plan.described + ".";
  if (interrupted) summary = fmt::format("INCOMPLETE: interrupted by {} (the run {}): {}", stop_signal_name(), this_run(), summary);
  {
    const ReportLock lock({(out / "class.md").string()});  // the three files of one run, in one hold
    write_file_atomically((out / "class.md").string(), class_markdown(students, summary));
    write_file_atomically((out / "class.csv").string(), class_csv(students));
    write_file_atomically((out / "class.html").string(), class_html(students, summary));
  }
  if (interrupted) return false;  // main() says it was interrupted
  std::cout << summary << "\nclass table: " << (out / "class.md").string() << ", " << (out / "class.csv").string() << ", "
            << (out / "class.html").string() << "; feedback per student in " << (out / "students").string() << "/NAME/feedback.md\n";
  return true;
}

}  // namespace gradcheck::cli
