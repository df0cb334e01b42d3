// What a student reads of their own code's failures and output: their file and line, their
// words, none of gradcheck's plumbing.

#include "student_messages.hpp"

#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

namespace gradcheck::cli {

namespace {

/// A value as Octave echoes a scalar: a number (NaN, Inf), or a complex one, `1 + 2i`.
bool echoed_value(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  std::vector<std::string> words;
  while (in >> word) words.push_back(word);
  const auto number = [](const std::string& w, bool imaginary) {
    const std::string digits = imaginary && !w.empty() && w.back() == 'i' ? w.substr(0, w.size() - 1) : w;
    if (digits.empty() || (imaginary && digits.size() == w.size())) return false;
    char* end = nullptr;
    std::strtod(digits.c_str(), &end);
    return end == digits.c_str() + digits.size();
  };
  if (words.size() == 1) return number(words[0], false);
  return words.size() == 3 && number(words[0], false) && (words[1] == "+" || words[1] == "-") && number(words[2], true);
}

}  // namespace

/// "Octave running your nnCostFunction.m" in place of the driver's command line, and the driver's
/// own frames and folders out of a message meant for a student.
std::string for_student(std::string message, const std::string& command, const Implementation& impl) {
  if (message.rfind(command + ": ", 0) == 0)
    message = (impl.edition == Edition::octave ? "Octave (running your nnCostFunction.m): " : "Python (running your nnCostFunction): ") +
              message.substr(command.size() + 2);
  auto request = message.find(" in reply to request ");
  if (request != std::string::npos) {
    const auto close = message.find(')', request);
    if (request > 0 && message[request - 1] == ',') --request;  // "…, in reply to request 1 (…)" goes whole
    message.erase(request, close == std::string::npos ? std::string::npos : close + 1 - request);
  }
  const auto tail = message.find("; its stderr ends: ");
  if (tail != std::string::npos) message.erase(tail);
  if (impl.driver) {
    const std::string folder = impl.driver->path().string();
    for (auto at = message.find(folder); at != std::string::npos; at = message.find(folder))
      message.erase(at, folder.size());
  }
  return message;
}

/// Octave's or Python's stderr as a student should see it: its warnings and errors without the
/// driver's frames ("called from gradcheck_serve>…", "gradcheck_ex4.py") or Octave's noise at exit.
std::string student_stderr(const std::string& tail) {
  std::string kept, line;
  std::istringstream lines(tail);
  while (std::getline(lines, line)) {
    if (line.find("gradcheck_serve") != std::string::npos || line.find("gradcheck_ex4") != std::string::npos ||
        line.find("gradcheck_adapter") != std::string::npos || line.find("execution_exception") != std::string::npos ||
        line.find("called from") != std::string::npos || line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    kept += (kept.empty() ? "" : " | ") + line.substr(line.find_first_not_of(" \t"));
  }
  return kept.size() > 300 ? kept.substr(kept.size() - 300) : kept;
}

/// What the implementation printed, as hints: how much, the first lines, and for Octave's echo of
/// an assignment without a semicolon ("g = …"), which variables.
std::vector<std::string> printed_hints(const PrintedOutput& printed, bool octave) {
  if (printed.bytes == 0) return {};
  std::vector<std::string> lines;
  std::istringstream in(printed.text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<std::string> echoed;
  std::string first;
  int shown = 0;
  for (const auto& line : lines) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (shown < 3) {
      const std::string text = line.substr(start, 60);
      first += fmt::format("{}'{}'", shown ? ", " : "", terminal_safe(line.substr(start), 60));
      ++shown;
    }
    // Octave shows `name = value` (or `name =` above a matrix) for an assignment without a semicolon;
    // `m = 5 examples` is a printf's, not an echo.
    std::size_t end = start;
    while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_')) ++end;
    if (end > start && !std::isdigit(static_cast<unsigned char>(line[start])) && line.compare(end, 2, " =") == 0 &&
        (end + 2 == line.size() || (line[end + 2] == ' ' && echoed_value(line.substr(end + 3))))) {
      const std::string name = line.substr(start, end - start);
      if (std::find(echoed.begin(), echoed.end(), name) == echoed.end() && echoed.size() < 6) echoed.push_back(name);
    }
  }
  std::vector<std::string> hints;
  hints.push_back(fmt::format("your code printed {} line{} ({} bytes) while it was checked; gradcheck keeps that apart "
                              "from the answers and never judges it; the first: {}",
                              lines.size(), lines.size() == 1 ? "" : "s", printed.bytes, first));
  if (octave && !echoed.empty()) {
    std::string names;
    for (const auto& n : echoed) names += (names.empty() ? "" : ", ") + n;
    hints.push_back(fmt::format("lines like '{} = …' are Octave showing an assignment that has no semicolon ({}): "
                                "end those lines with ';' to keep your output quiet", echoed.front(), names));
  }
  return hints;
}

}  // namespace gradcheck::cli
