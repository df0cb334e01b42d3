// gradcheck grade's outputs: the class table (Markdown, CSV, a sortable HTML page), one feedback
// file per student written for the student, and the summary.

#include "grade.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/report.hpp"
#include "gradcheck/util/stop.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

namespace gradcheck::cli {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const char* edition_name(Edition e) {
  return e == Edition::octave ? "Octave" : e == Edition::python ? "Python" : "-";
}

std::optional<Json> read_json(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
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

std::string markdown_cell(std::string text) {
  for (std::size_t at = 0; (at = text.find('|', at)) != std::string::npos; at += 2) text.replace(at, 1, "\\|");
  return one_line(text);
}

std::string csv_cell(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : one_line(text)) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string url_path(const std::string& name) {
  std::string out;
  for (const unsigned char c : name)
    out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  return out;
}

std::string mistakes_of(const Student& s) {
  std::string names;
  for (const auto& m : s.mistakes) names += (names.empty() ? "" : ", ") + m;
  return names.empty() ? (s.status == "FAIL" ? "unrecognised" : "-") : names;
}

/// The scores and named mistakes from the student's results.json and report.json.
void read_reports(const fs::path& folder, Student& s) {
  if (const auto results = read_json(folder / "results.json")) {
    s.score = results->value("score", 0.0);
    s.max_score = 0;
    s.tests.clear();
    for (const auto& t : results->value("tests", Json::array())) {
      s.max_score += t.value("max_score", 0.0);
      s.tests.push_back(t.value("status", "failed"));
    }
  }
  s.mistakes.clear();
  if (const auto report = read_json(folder / "report.json")) {
    const Json checks = report->contains("checks") ? (*report)["checks"] : Json::array({*report});
    for (const auto& c : checks) {
      if (!c.contains("diagnosis") || c["diagnosis"].value("kind", "") != "recognised") continue;
      for (const auto& m : c["diagnosis"].value("mistakes", Json::array()))
        if (m.is_string() && std::find(s.mistakes.begin(), s.mistakes.end(), m.get<std::string>()) == s.mistakes.end())
          s.mistakes.push_back(m.get<std::string>());
    }
  }
}

/// The feedback a student reads: the verdict, the points, the mistake with its right version,
/// then gradcheck's own report (layers, entries, the smallest failing network, what was printed).
std::string feedback(const Student& s, const fs::path& folder) {
  // The first line is the verdict, as in every report: the status, the points, what was found.
  std::string out = "# " + grade_verdict(s) + "\n\n";
  out += fmt::format("Feedback on your nnCostFunction ({} edition)\n\n", edition_name(s.edition));
  if (s.max_score > 0) {
    out += fmt::format("Points: {:g} of {:g}\n\n", s.score, s.max_score);
    if (const auto results = read_json(folder / "results.json")) {
      out += "| part | points |\n|---|---|\n";
      for (const auto& t : results->value("tests", Json::array()))
        out += fmt::format("| {} | {:g} / {:g} |\n", t.value("name", ""), t.value("score", 0.0), t.value("max_score", 0.0));
      out += "\n";
    }
  }
  for (const auto& m : s.mistakes)
    if (const std::string fix = right_version(m, s.edition); !fix.empty())
      out += fmt::format("**The likely mistake** ({}). The right version, in the course's notation: {}\n\n", m, fix);
  if (s.status == "TIMEOUT")
    out += "Your code did not finish in time. Look for a loop that never ends, or a call that waits for input "
           "(`pause` and `keyboard` are made harmless; Octave's `input` waits, and so does a `while` whose condition never changes).\n\n";
  if (s.ex4 == "FAIL") out += "Your code passed the small problem and failed at ex4's real sizes (400-25-10): see ex4.json.\n\n";
  if (s.fuzz == "FAIL") out += "Your code passed ex4's problems and failed on a random network:\n\n```\n" +
                               read_text_file(folder / "fuzz.out") + "```\n\n";
  // The smallest failing network of each failed λ, with the command that checks it alone.
  std::istringstream text(read_text_file(folder / "report.txt"));
  std::string smallest;
  bool inside = false;
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("  smallest ", 0) == 0) inside = true;
    else if (inside && line.rfind("             ", 0) != 0) inside = false;
    if (inside) smallest += line + "\n";
  }
  // Each failed λ names its smallest network; the same network twice is said once.
  std::string unique;
  for (std::size_t from = 0; from < smallest.size();) {
    auto next = smallest.find("\n  smallest ", from);
    next = next == std::string::npos ? smallest.size() : next + 1;
    const std::string block = smallest.substr(from, next - from);
    if (unique.find(block) == std::string::npos) unique += block;
    from = next;
  }
  smallest = unique;
  if (!smallest.empty()) out += "## The smallest network on which your code fails\n\n```\n" + smallest + "```\n\n";
  const std::string report = read_text_file(folder / "report.md");
  if (!report.empty()) out += "## gradcheck's report\n\n" + report;
  // The scratch copy it was checked in means nothing to the student: their own folder does.
  static const std::regex scratch(R"([^\s'"]*/gradcheck-[A-Za-z0-9]{6}/submission)");
  return std::regex_replace(out, scratch, "YOUR_EX4_FOLDER");
}

std::string class_markdown(const std::vector<Student>& students, const std::string& summary) {
  std::string out = "# Class table\n\n" + summary + "\n\n| student | edition | verdict | points | cost | cost λ>0 | gradient | "
                    "gradient λ>0 | ex4 size | fuzz | likely mistake | what gradcheck says |\n"
                    "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Student& s : students) {
    std::string tests;
    for (std::size_t k = 0; k < 4; ++k) tests += (k < s.tests.size() ? (s.tests[k] == "passed" ? "✓" : "✗") : "-") + std::string(" | ");
    out += fmt::format("| [{}](students/{}/feedback.md) | {} | {} | {:g}/{:g} | {}{} | {} | {} | {} |\n", markdown_cell(s.name),
                       url_path(s.name), edition_name(s.edition), s.status, s.score, s.max_score, tests, s.ex4, s.fuzz,
                       mistakes_of(s), markdown_cell(s.message.substr(0, 200)));
  }
  return out;
}

std::string class_csv(const std::vector<Student>& students) {
  std::string out = "student,edition,verdict,score,max_score,cost,regularized_cost,gradient,regularized_gradient,ex4,fuzz,"
                    "mistakes,message,seconds\n";
  for (const Student& s : students) {
    out += fmt::format("{},{},{},{:g},{:g}", csv_cell(s.name), edition_name(s.edition), s.status, s.score, s.max_score);
    for (std::size_t k = 0; k < 4; ++k) out += "," + (k < s.tests.size() ? s.tests[k] : std::string("-"));
    out += fmt::format(",{},{},{},{},{:.1f}\n", s.ex4, s.fuzz, csv_cell(mistakes_of(s)), csv_cell(s.message), s.seconds);
  }
  return out;
}

/// A page with one row per student linking to their report; a click on a heading sorts by it.
/// The script is the page's own: nothing is loaded.
std::string class_html(const std::vector<Student>& students, const std::string& summary) {
  std::string out = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gradcheck: class table</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{cursor:pointer;background:#f4f4f4}tr.PASS td.verdict{color:#070}tr.FAIL td.verdict,tr.ERROR td.verdict,tr.TIMEOUT td.verdict,tr.CRASH td.verdict{color:#b00}</style>
</head><body><h1>Class table</h1>
)";
  out += "<p id=\"summary\">" + escape_markup(summary) + "</p>\n<table id=\"class\"><thead><tr>";
  for (const char* heading : {"student", "edition", "verdict", "points", "cost", "cost λ>0", "gradient", "gradient λ>0",
                              "ex4 size", "fuzz", "likely mistake", "what gradcheck says"})
    out += fmt::format("<th>{}</th>", heading);
  out += "</tr></thead><tbody>\n";
  for (const Student& s : students) {
    out += fmt::format("<tr class=\"{}\"><td><a href=\"students/{}/report.html\">{}</a> (<a href=\"students/{}/feedback.md\">feedback</a>)</td>"
                       "<td>{}</td><td class=\"verdict\">{}</td><td data-sort=\"{:g}\">{:g}/{:g}</td>",
                       s.status == "CANNOT JUDGE" ? "CANNOT" : s.status, url_path(s.name), escape_markup(s.name), url_path(s.name),
                       edition_name(s.edition), s.status, s.score, s.score, s.max_score);
    for (std::size_t k = 0; k < 4; ++k) out += "<td>" + (k < s.tests.size() ? s.tests[k] : std::string("-")) + "</td>";
    out += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", s.ex4, s.fuzz, escape_markup(mistakes_of(s)),
                       escape_markup(s.message.substr(0, 300)));
  }
  out += R"(</tbody></table>
<script>
document.querySelectorAll('#class th').forEach(function (th, column) {
  th.addEventListener('click', function () {
    var body = document.querySelector('#class tbody'), rows = Array.from(body.rows);
    var ascending = th.dataset.order !== 'ascending';
    th.dataset.order = ascending ? 'ascending' : 'descending';
    var key = function (row) { var c = row.cells[column]; return c.dataset.sort !== undefined ? parseFloat(c.dataset.sort) : c.textContent; };
    rows.sort(function (a, b) { var x = key(a), y = key(b); var o = x < y ? -1 : x > y ? 1 : 0; return ascending ? o : -o; });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
</script>
</body></html>
)";
  return out;
}

std::string summary_of(const std::vector<Student>& students) {
  std::map<std::string, int> by_status, by_mistake;
  for (const Student& s : students) {
    ++by_status[s.status];
    if (s.status == "FAIL") ++by_mistake[s.mistakes.empty() ? std::string("unrecognised") : s.mistakes.front()];
  }
  std::string out = fmt::format("{} submissions: {} passed", students.size(), by_status["PASS"]);
  for (const auto& [status, count] : by_status)
    if (status != "PASS") out += fmt::format(", {} {}", count, status == "CANNOT JUDGE" ? "cannot judge" : status);
  if (!by_mistake.empty()) {
    out += ". Likely mistakes:";
    std::string sep = " ";
    for (const auto& [mistake, count] : by_mistake) out += fmt::format("{}{} × {}", std::exchange(sep, ", "), count, mistake);
  }
  return out + ".";
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
  write_file_atomically(file.string(), row.dump() + "\n");
}

bool read_row(const fs::path& file, Student& s) {
  const auto row = read_json(file);
  if (!row || !row->is_object()) return false;
  try {
    s.status = row->at("status").get<std::string>();
    s.message = row->at("message").get<std::string>();
    s.edition = static_cast<Edition>(std::clamp(row->at("edition").get<int>(), 0, 2));
    s.check_code = row->at("check_code").get<int>();
    s.ex4 = row->at("ex4").get<std::string>();
    s.fuzz = row->at("fuzz").get<std::string>();
    s.seconds = row->at("seconds").get<double>();
  } catch (const Json::exception&) {
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
  const ReportLock lock(files);
  write_file_atomically(files[0], "# Class table\n\n" + what + "\n\ncommand: `" + invocation + "`\n");
  write_file_atomically(files[1], "student,edition,verdict,score,max_score,cost,regularized_cost,gradient,regularized_"
                                  "gradient,ex4,fuzz,mistakes,message,seconds\n-,-,INCOMPLETE,0,0,-,-,-,-,-,-,," +
                                      csv_cell(what) + ",0\n");
  write_file_atomically(files[2], "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gradcheck: "
                                  "class table INCOMPLETE</title></head><body><h1>Class table</h1>\n<p id=\"summary\">" +
                                      escape_markup(what) + "</p>\n</body></html>\n");
}

}  // namespace

int run_grade(const GradeCommand& g) {
  gradescope_points(g.points);  // refused now, not once per student
  std::vector<Student> students = submissions_in(g.submissions);
  const SandboxPlan plan = plan_sandbox(g);
  const fs::path out = fs::absolute(g.out);
  std::error_code ec;
  fs::create_directories(out / "students", ec);
  if (ec) throw std::invalid_argument(fmt::format("cannot write to {}: {}; expected a folder gradcheck may create", out.string(), ec.message()));
  const fs::path submissions = fs::weakly_canonical(fs::absolute(g.submissions));
  if (fs::weakly_canonical(out).string().rfind(submissions.string() + "/", 0) == 0)
    throw std::invalid_argument(fmt::format("--out {} is inside the submissions folder; expected a folder outside it", out.string()));
  start_class_tables(out);
  // The students' files of an earlier run go before any work: a run stopped part-way leaves the
  // class table INCOMPLETE and no student's earlier verdict beside it (they are written anew at the
  // end, from the cache where unchanged).
  fs::remove_all(out / "students", ec);
  fs::create_directories(out / "students", ec);
  grade_all(g, plan, students, out);
  if (stop_requested(&stop_flag)) return 0;  // main() says it was interrupted
  for (Student& s : students) {
    const fs::path mine = out / "students" / s.name;
    fs::remove_all(mine);
    fs::create_directories(mine);
    fs::copy(out / ".cache" / s.key, mine, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    fs::remove(mine / "row.json");
    read_reports(mine, s);
    write_file_atomically((mine / "feedback.md").string(), feedback(s, mine));
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
  const std::string summary = summary_of(students) + "\nThe students' code ran in: " + plan.described + ".";
  const ReportLock lock({(out / "class.md").string()});  // the three files of one run, in one hold
  write_file_atomically((out / "class.md").string(), class_markdown(students, summary));
  write_file_atomically((out / "class.csv").string(), class_csv(students));
  write_file_atomically((out / "class.html").string(), class_html(students, summary));
  std::cout << summary << "\nclass table: " << (out / "class.md").string() << ", " << (out / "class.csv").string() << ", "
            << (out / "class.html").string() << "; feedback per student in " << (out / "students").string() << "/NAME/feedback.md\n";
  return 0;
}

}  // namespace gradcheck::cli
