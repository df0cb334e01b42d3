// The class table in its three formats (Markdown, CSV, a sortable HTML page) and its summary line.
// Every string a student controls (their folder's name, what their code printed or raised, the
// files in their cache folder) is escaped for its format: it is shown, never obeyed.

#include "grade.hpp"

#include "gradcheck/report/report.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace gradcheck::cli {

namespace {

const char* edition_name(Edition e) {
  return e == Edition::octave ? "Octave" : e == Edition::python ? "Python" : "-";
}

/// A Markdown table cell: one line, nothing in it can open a link, raw HTML or another cell.
std::string markdown_cell(const std::string& text) { return markdown_text(one_line(text)); }

std::string csv_cell(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : one_line(text)) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

/// A word of grade's own (PASS, passed, -) as it is; anything else quoted.
std::string csv_word(const std::string& text) {
  for (const char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '-') return csv_cell(text);
  return text;
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

/// The row's class in the page's style sheet: the status, where it is one of grade's own.
std::string row_class(const std::string& status) {
  if (status == "CANNOT JUDGE") return "CANNOT";
  return known_status(status) ? status : "OTHER";
}

/// A nonce for the page's one script: 128 bits from /dev/urandom, new for every file, so that no
/// text written into the page can carry a script the Content-Security-Policy lets run.
std::string script_nonce() {
  unsigned char bytes[16];
  std::ifstream random("/dev/urandom", std::ios::binary);
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    throw std::runtime_error("cannot read /dev/urandom for the class table's script nonce");
  std::string hex;
  for (const unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

/// The page's head: the policy comes first, so it governs everything after it. Nothing may be
/// loaded (default-src 'none'), the inline style is allowed, and of scripts only the one carrying
/// `nonce` (an event handler attribute never runs: a nonce does not cover it).
std::string html_head(const std::string& title, const std::string& nonce) {
  const std::string scripts = nonce.empty() ? "'none'" : "'nonce-" + nonce + "'";
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src " +
         scripts + "; base-uri 'none'; form-action 'none'\">\n<title>" + escape_markup(title) + "</title>\n";
}

const char* const sorting_script = R"(
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
)";

}  // namespace

bool known_status(const std::string& status) {
  for (const char* known : {"PASS", "FAIL", "ERROR", "TIMEOUT", "CRASH", "CANNOT JUDGE", "INCOMPLETE"})
    if (status == known) return true;
  return false;
}

std::string class_markdown(const std::vector<Student>& students, const std::string& summary) {
  std::string out = "# Class table\n\n";
  std::istringstream lines(summary);  // each of the summary's lines a paragraph
  for (std::string line; std::getline(lines, line);) out += markdown_text(line) + "\n\n";
  out += "| student | edition | verdict | points | cost | cost λ>0 | gradient | gradient λ>0 | ex4 size | fuzz | "
         "likely mistake | what gradcheck says |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Student& s : students) {
    std::string tests;
    for (std::size_t k = 0; k < 4; ++k) tests += (k < s.tests.size() ? (s.tests[k] == "passed" ? "✓" : "✗") : "-") + std::string(" | ");
    out += fmt::format("| [{}](students/{}/feedback.md) | {} | {} | {:g}/{:g} | {}{} | {} | {} | {} |\n", markdown_cell(s.name),
                       url_path(s.name), edition_name(s.edition), markdown_cell(s.status), s.score, s.max_score, tests,
                       markdown_cell(s.ex4), markdown_cell(s.fuzz), markdown_cell(mistakes_of(s)),
                       markdown_cell(s.message.substr(0, 200)));
  }
  return out;
}

std::string class_csv(const std::vector<Student>& students) {
  std::string out = "student,edition,verdict,score,max_score,cost,regularized_cost,gradient,regularized_gradient,ex4,fuzz,"
                    "mistakes,message,seconds\n";
  for (const Student& s : students) {
    out += fmt::format("{},{},{},{:g},{:g}", csv_cell(s.name), edition_name(s.edition), csv_word(s.status), s.score, s.max_score);
    for (std::size_t k = 0; k < 4; ++k) out += "," + csv_word(k < s.tests.size() ? s.tests[k] : std::string("-"));
    out += fmt::format(",{},{},{},{},{:.1f}\n", csv_word(s.ex4), csv_word(s.fuzz), csv_cell(mistakes_of(s)), csv_cell(s.message),
                       s.seconds);
  }
  return out;
}

/// A page with one row per student linking to their report; a click on a heading sorts by it.
/// The script is the page's own, allowed by its nonce: nothing is loaded, nothing else runs.
std::string class_html(const std::vector<Student>& students, const std::string& summary) {
  const std::string nonce = script_nonce();
  std::string out = html_head("gradcheck: class table", nonce) + R"(<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{cursor:pointer;background:#f4f4f4}tr.PASS td.verdict{color:#070}tr.FAIL td.verdict,tr.ERROR td.verdict,tr.TIMEOUT td.verdict,tr.CRASH td.verdict{color:#b00}</style>
</head><body><h1>Class table</h1>
)";
  out += "<p id=\"summary\">" + escape_markup(summary) + "</p>\n<table id=\"class\"><thead><tr>";
  for (const char* heading : {"student", "edition", "verdict", "points", "cost", "cost λ>0", "gradient", "gradient λ>0",
                              "ex4 size", "fuzz", "likely mistake", "what gradcheck says"})
    out += fmt::format("<th>{}</th>", escape_markup(heading));
  out += "</tr></thead><tbody>\n";
  for (const Student& s : students) {
    out += fmt::format("<tr class=\"{}\"><td><a href=\"students/{}/report.html\">{}</a> (<a href=\"students/{}/feedback.md\">feedback</a>)</td>"
                       "<td>{}</td><td class=\"verdict\">{}</td><td data-sort=\"{:g}\">{:g}/{:g}</td>",
                       row_class(s.status), url_path(s.name), escape_markup(s.name), url_path(s.name), edition_name(s.edition),
                       escape_markup(s.status), s.score, s.score, s.max_score);
    for (std::size_t k = 0; k < 4; ++k) out += "<td>" + escape_markup(k < s.tests.size() ? s.tests[k] : std::string("-")) + "</td>";
    out += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", escape_markup(s.ex4), escape_markup(s.fuzz),
                       escape_markup(mistakes_of(s)), escape_markup(s.message.substr(0, 300)));
  }
  return out + "</tbody></table>\n<script nonce=\"" + nonce + "\">" + sorting_script + "</script>\n</body></html>\n";
}

std::string class_summary(const std::vector<Student>& students) {
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

ClassTables incomplete_class_tables(const std::string& what, const std::string& command) {
  return {"# Class table\n\n" + markdown_text(what) + "\n\ncommand: " + markdown_code_cell(command) + "\n",
          "student,edition,verdict,score,max_score,cost,regularized_cost,gradient,regularized_gradient,ex4,fuzz,mistakes,"
          "message,seconds\n-,-,INCOMPLETE,0,0,-,-,-,-,-,-,," + csv_cell(what) + ",0\n",
          html_head("gradcheck: class table INCOMPLETE", "") + "</head><body><h1>Class table</h1>\n<p id=\"summary\">" +
              escape_markup(what) + "</p>\n</body></html>\n"};
}

}  // namespace gradcheck::cli
