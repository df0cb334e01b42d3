// gradcheck grade SUBMISSIONS: every student's homework checked as `gradcheck check` checks one,
// each in a scratch copy, in its own process group under its own time and memory limits, several
// at once; a cache keyed by the submission's content makes a re-run cost only what changed.

#include "grade.hpp"
#include "limited_run.hpp"
#include "submission_copy.hpp"

#include "gradcheck/io/sandbox.hpp"
#include "gradcheck/report/json_report.hpp"
#include "gradcheck/util/stop.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace gradcheck::cli {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

/// FNV-1a, 64 bits: a cache key, not a defence against a student forging one.
struct Fingerprint {
  std::uint64_t value = 1469598103934665603ull;
  void add(std::string_view bytes) {
    for (const char c : bytes) value = (value ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  void add_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) add({buffer, static_cast<std::size_t>(in.gcount())});
  }
};

bool has_suffix(const std::string& name, std::string_view suffix) {
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The archive formats a submission may come in, and the name left without the extension.
std::optional<std::string> archive_stem(const std::string& name) {
  for (const std::string_view suffix : {".tar.gz", ".tgz", ".tar", ".zip"})
    if (has_suffix(name, suffix)) return name.substr(0, name.size() - suffix.size());
  return std::nullopt;
}

/// The folder inside `root` holding the homework, and its edition: nnCostFunction.m (Octave), or
/// a notebook or .py file defining nnCostFunction (the Python edition), at most 3 folders down.
std::optional<std::pair<fs::path, Edition>> find_homework(const fs::path& root) {
  // The Python edition's folder: the shallowest holding a file that defines nnCostFunction (by
  // name among equals), given to check as a folder, so it chooses the file as `check` does.
  std::optional<std::pair<fs::path, Edition>> python;
  int python_depth = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > 3) {
      it.disable_recursion_pending();
      continue;
    }
    const std::string name = it->path().filename().string();
    if (name == "__MACOSX" || name.rfind('.', 0) == 0) {
      it.disable_recursion_pending();
      continue;
    }
    std::error_code unreadable;  // a link in a loop, a dangling one: not a file of the submission's
    if (it->is_symlink(unreadable) && !stays_inside(root, it->path())) continue;  // never read outside it
    if (!it->is_regular_file(unreadable)) continue;
    if (name == "nnCostFunction.m") return std::pair{it->path().parent_path(), Edition::octave};
    const fs::path folder = it->path().parent_path();
    const bool better = !python || it.depth() < python_depth || (it.depth() == python_depth && folder < python->first);
    if (better && defines_nn_cost_function(it->path())) python = std::pair{folder, Edition::python}, python_depth = it.depth();
  }
  return python;
}

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return one_line(text.substr(0, end));
}

/// Checks one student: the submission copied (or unpacked) into scratch, then the checks, each
/// given what is left of the student's time. Files land in `folder` (the student's results).
void grade_one(const GradeCommand& g, const SandboxPlan& plan, const std::string& user, const std::string& self,
               Student& s, const fs::path& folder) {
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(g.time_limit));
  const std::uint64_t memory = sandbox::address_space_limit_works() ? static_cast<std::uint64_t>(g.memory_mib) << 20 : 0;
  s.sandbox = plan.described;
  TemporaryFolder scratch;
  const std::optional<sandbox::Account> account = user.empty() ? std::nullopt : sandbox::account(user);
  // Whatever the student's user left running dies with each part, and before its files go.
  struct Sweep {
    const std::optional<sandbox::Account>& who;
    ~Sweep() {
      if (!who) return;
      sandbox::kill_all_of(who->uid);
      sandbox::remove_files_of(who->uid);
      sandbox::remove_ipc_of(who->uid);
    }
  } sweep{account};
  const fs::path copy = scratch.path() / "submission";
  fs::create_directories(copy);
  fs::create_directories(scratch.path() / "tmp");
  CopyLimits limits;
  limits.max_bytes = static_cast<std::uintmax_t>(g.max_submission_mib) << 20;
  limits.max_files = g.max_submission_files;
  limits.memory = memory;
  if (const auto refused = copy_submission(s, copy, limits)) {
    s.status = "ERROR";
    s.message = *refused;
    return;
  }
  const auto found = find_homework(copy);
  if (!found) {
    s.status = "ERROR";
    s.message = "no nnCostFunction.m, and no notebook or .py file defining nnCostFunction, in the submission";
    return;
  }
  s.edition = found->second;
  const std::string flag = s.edition == Edition::octave ? "--octave" : "--python-ex4";
  const std::string where = found->first.string();
  static const double per_request = request_timeout();
  const auto child_timeout = fmt::format("{:g}", std::min(per_request, std::max(1.0, g.time_limit / 2)));
  // The student's code in the sandbox: its copy is all it sees of the class, and its user's.
  std::vector<std::string> confined;
  if (plan.enabled) {
    if (account) sandbox::give_to(scratch.path(), *account);
    confined = {"--sandbox", copy.string(), "--sandbox-memory", std::to_string(g.memory_mib), "--sandbox-processes",
                std::to_string(g.processes), "--sandbox-scratch", std::to_string(g.scratch_mib)};
    if (!user.empty()) confined.insert(confined.end(), {"--sandbox-user", user});
    if (!plan.namespaces) confined.push_back("--sandbox-no-namespaces");
  }
  const auto sandboxed = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin() + 2, confined.begin(), confined.end());
    return argv;
  };

  // 1. The course's checks at λ = 0 and λ = 3, the smallest failing network, every report.
  std::vector<std::string> argv{self,   "check",   flag,     where,   "--shrink", "-q",   "--timeout", child_timeout,
                                "-o",   (folder / "report.json").string(), "-o", (folder / "report.md").string(),
                                "-o",   (folder / "report.html").string(), "-o", (folder / "report.txt").string(), "--gradescope", (folder / course_results_file).string(),
                                "--points", g.points};
  Ran r = run_limited(sandboxed(argv), scratch.path(), folder / "check.out", folder / "check.err", deadline, memory);
  if (account) sandbox::kill_all_of(account->uid);
  s.check_code = r.code;
  const auto ended = [&](const Ran& ran, const char* what) {
    if (ran.timed_out) {
      s.status = "TIMEOUT";
      s.message = fmt::format("stopped after the time limit of {:g} s during {} (does the code loop forever or wait "
                              "for input?)", g.time_limit, what);
    } else if (ran.signal != 0 || ran.code == 4 || ran.code == 127) {
      s.status = "CRASH";
      s.message = ran.signal ? fmt::format("the check died from signal {} ({}) during {}; the memory limit is {} MiB",
                                           ran.signal, strsignal(ran.signal), what, g.memory_mib)
                             : fmt::format("the check failed during {}: {}", what, first_line(read_text_file(folder / "check.err")));
    } else {
      return false;
    }
    return true;
  };
  if (!ended(r, "the check")) {
    if (r.code == 0) s.status = "PASS";
    else if (r.code == 1) s.status = "FAIL";
    else if (r.code == 5) s.status = "CANNOT JUDGE";
    else s.status = "ERROR";
    s.message = first_line(read_text_file(r.code == 3 || r.code == 2 ? folder / "check.err" : folder / "check.out"));
    if (s.message.rfind("gradcheck: ", 0) == 0) s.message.erase(0, 11);
    if (r.code == 3 && s.message.find("no reply within") != std::string::npos) {  // the student's code hung
      s.status = "TIMEOUT";
      s.message = fmt::format("nnCostFunction did not return within {} s: does it loop forever, or wait for input?",
                              child_timeout);
    }
  }
  // Fresh problems each run for ex4's size and the fuzz: answers looked up from an earlier run's
  // requests (they were the same every time) must not pass for a gradient.
  std::random_device entropy;
  const auto fresh_seed = [&] { return std::to_string((std::uint64_t{entropy()} << 32) | entropy()); };
  // 2. ex4's own sizes for a submission right so far, and for one that failed on the small problem
  // too: a test it passed there (constants for checkNNGradients' own problem) is confirmed at
  // ex4's size before it scores (grade_score.cpp). 3. A short fuzz with shrinking, if right so far.
  if (s.status == "FAIL" && s.check_code == 1) {
    const fs::path ex4_results = folder / ex4_results_file;
    argv = {self, "check", flag, where, "--arch", "400-25-10", "--examples", "16", "--seed", fresh_seed(), "-q",
            "--timeout", child_timeout, "-o", (folder / "ex4.json").string(), "--gradescope", ex4_results.string(),
            "--points", g.points};
    r = run_limited(sandboxed(argv), scratch.path(), folder / "ex4.out", folder / "ex4.err", deadline, memory);
    if (account) sandbox::kill_all_of(account->uid);
    s.ex4 = r.timed_out ? "TIMEOUT" : r.code == 0 ? "PASS" : r.code == 1 ? "FAIL" : "ERROR";
  }
  if (s.status == "PASS") {
    const fs::path ex4_results = folder / ex4_results_file;
    std::error_code gone;
    fs::remove(ex4_results, gone);
    argv = {self, "check", flag, where, "--arch", "400-25-10", "--examples", "16", "--seed", fresh_seed(), "-q",
            "--timeout", child_timeout, "-o", (folder / "ex4.json").string(), "--gradescope", ex4_results.string(),
            "--points", g.points};
    r = run_limited(sandboxed(argv), scratch.path(), folder / "ex4.out", folder / "ex4.err", deadline, memory);
    if (account) sandbox::kill_all_of(account->uid);
    if (!ended(r, "the check at ex4's size 400-25-10")) {
      s.ex4 = r.code == 0 ? "PASS" : "FAIL";
      if (r.code != 0) {
        s.status = r.code == 3 ? "ERROR" : "FAIL";
        std::string line = first_line(read_text_file(folder / (r.code == 3 ? "ex4.err" : "ex4.out")));
        if (line.rfind("gradcheck: ", 0) == 0) line.erase(0, 11);
        s.message = fmt::format("{} at ex4's size 400-25-10 ({})", s.status, line);
      }
    }
  }
  if (s.status == "PASS" && g.fuzz_cases > 0) {
    argv = {self, "fuzz", flag, where, "--cases", std::to_string(g.fuzz_cases), "--seed", fresh_seed(), "-q",
            "--timeout", child_timeout, "-o", (folder / "fuzz.md").string()};
    r = run_limited(sandboxed(argv), scratch.path(), folder / "fuzz.out", folder / "fuzz.err", deadline, memory);
    if (account) sandbox::kill_all_of(account->uid);
    if (!ended(r, "the fuzz")) {
      s.fuzz = r.code == 0 ? "PASS" : "FAIL";
      if (r.code != 0) {
        s.status = "FAIL";
        const std::string out = read_text_file(folder / "fuzz.out");
        // "… shrunk 7 times to the smallest failing network:\n  1-1-2, …, m = 1, λ = 0, seed 0": the
        // network itself, not the words that announce it (the class table's message ended at "network:").
        const auto smallest = out.find("smallest failing network:");
        const auto network = smallest == std::string::npos ? std::string::npos : out.find('\n', smallest);
        std::string shown = first_line(network == std::string::npos ? out : out.substr(network + 1));
        shown.erase(0, shown.find_first_not_of(' '));
        s.message = "FAIL on random networks: " + (network == std::string::npos ? shown : "smallest failing network " + shown);
      }
    }
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - started).count();
}

}  // namespace

std::vector<Student> submissions_in(const fs::path& folder) {
  if (!fs::is_directory(folder))
    throw std::invalid_argument(fmt::format("{} is not a folder; expected a folder of submissions, one subfolder or "
                                            ".zip/.tar archive per student", folder.string()));
  std::vector<Student> students;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind('.', 0) == 0 || name == "__MACOSX") {
      if (name != "__MACOSX" && name != ".DS_Store")  // a hidden name is no student's: said, not graded in silence
        std::cerr << "gradcheck grade: skipped " << terminal_safe(name, 60) << " (a hidden name; rename it to grade it)\n";
      continue;
    }
    Student s;
    s.source = fs::absolute(entry.path());
    if (entry.is_directory()) {
      s.name = name;
    } else if (const auto stem = archive_stem(name); stem && entry.is_regular_file()) {
      s.name = *stem;
      s.archive = true;
    } else {
      continue;  // a stray file beside the submissions (a class list, a README)
    }
    students.push_back(std::move(s));
  }
  // Two submissions under one name (alice/ and alice.zip, alice.zip and alice.tar): each archive so
  // named keeps its whole file name, unique in the folder, and both are graded; one student's naming
  // never costs the class its table.
  std::map<std::string, int> named;
  for (const Student& s : students) ++named[s.name];
  for (Student& s : students)
    if (s.archive && named[s.name] > 1) s.name = s.source.filename().string();
  std::sort(students.begin(), students.end(), [](const Student& a, const Student& b) { return a.name < b.name; });
  if (students.empty())
    throw std::invalid_argument(fmt::format("{} holds no submissions; expected one subfolder or .zip/.tar archive per student",
                                            folder.string()));
  return students;
}

std::string content_key(const Student& s, const GradeCommand& g) {
  Fingerprint f;
  f.add(fmt::format("gradcheck 0.1.0|{}|{}|{}|{}|{}|{}|", g.points, g.time_limit, g.memory_mib, g.fuzz_cases,
                    g.max_submission_mib, g.max_submission_files));
  f.add(self_fingerprint());
  // The student's own: two identical submissions never share a cache folder (graded at once, one
  // deleted the other's files; one's failure to be copied read the other's 100 points).
  f.add(s.name);
  f.add(std::string(1, '\0'));
  if (!fs::is_directory(s.source)) {
    f.add_file(s.source);
  } else {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(s.source, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (std::error_code unreadable; it->is_regular_file(unreadable) || it->is_symlink(unreadable)) files.push_back(it->path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      f.add(file.lexically_relative(s.source).string());  // lexically: never through a link
      f.add(std::string(1, '\0'));
      // A link is its target's name, never the file it reaches: that may lie outside the submission.
      if (std::error_code unreadable; fs::is_symlink(fs::symlink_status(file, unreadable)))
        f.add("-> " + fs::read_symlink(file, unreadable).string());
      else
        f.add_file(file);
    }
  }
  return fmt::format("{:016x}", f.value);
}

std::string self_fingerprint() {
  static const std::string fingerprint = [] {
    Fingerprint f;
    f.add_file("/proc/self/exe");
    return fmt::format("{:016x}", f.value);
  }();
  return fingerprint;
}

void grade_all(const GradeCommand& g, const SandboxPlan& plan, std::vector<Student>& students, const fs::path& out) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const fs::path cache = out / ".cache";
  fs::create_directories(cache);
  // gradcheck's alone: no student's user may read another's results, or write any.
  fs::permissions(cache, fs::perms::owner_all, fs::perm_options::replace);
  const unsigned jobs = std::max(1u, std::min<unsigned>(g.jobs, static_cast<unsigned>(students.size())));
  // A TIMEOUT among others may be the others' doing (a classmate's code that takes every core):
  // it is checked again once nothing else runs, and only then is it the student's.
  const bool alone_later = jobs > 1;
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress;
  const auto started = Clock::now();
  // The points, from what the checks recorded: a later stage that failed (ex4's size, the fuzz)
  // takes the points of the tests it failed, so the points and the verdict agree.
  const std::vector<double> points = gradescope_points(g.points);
  const auto score = [&](const Student& s, const fs::path& cached) {
    write_file_atomically((cached / "results.json").string(), score_student(s, cached, points));
  };
  const auto work = [&](const std::string& user) {
    for (std::size_t k; (k = next++) < students.size() && !stop_requested(&stop_flag);) {
      Student& s = students[k];
      s.key = content_key(s, g);
      const fs::path cached = cache / s.key;
      if (!g.no_cache && fs::is_regular_file(cached / "row.json") && read_row(cached / "row.json", s)) {
        s.cached = true;
      } else {
        // A failure of grade's own on one student (a file it cannot write, one it cannot read
        // back) is that student's ERROR row: never the class's loss, never std::terminate.
        try {
          fs::remove_all(cached);
          fs::create_directories(cached);
          grade_one(g, plan, user, self, s, cached);
        } catch (const std::exception& e) {
          s.status = "ERROR";
          s.message = "gradcheck could not grade this submission: " + one_line(e.what());
        }
        try {
          if (!stop_requested(&stop_flag)) {
            score(s, cached);
            if (!(s.status == "TIMEOUT" && alone_later)) write_row(cached / "row.json", s);
          }
        } catch (const std::exception&) {  // no row: the class table says INCOMPLETE for this student
        }
      }
      const std::size_t finished = ++done;
      if (!g.quiet) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        const double left = elapsed / static_cast<double>(finished) * static_cast<double>(students.size() - finished);
        std::lock_guard<std::mutex> lock(progress);
        std::cerr << fmt::format("gradcheck grade: {}/{} done ({}: {}{}), about {:.0f} s left\n", finished,
                                 students.size(), terminal_safe(s.name, 40), s.status, s.cached ? ", unchanged" : "", left);
      }
    }
  };
  std::vector<std::thread> workers;
  for (unsigned k = 0; k < jobs; ++k) workers.emplace_back(work, k < plan.users.size() ? plan.users[k]->user() : std::string());
  for (auto& w : workers) w.join();
  for (Student& s : students) {
    if (!alone_later || s.cached || s.status != "TIMEOUT" || stop_requested(&stop_flag)) continue;
    const fs::path cached = cache / s.key;
    fs::remove_all(cached);
    fs::create_directories(cached);
    grade_one(g, plan, plan.users.empty() ? std::string() : plan.users.front()->user(), self, s, cached);
    if (!stop_requested(&stop_flag)) {
      score(s, cached);
      write_row(cached / "row.json", s);
    }
    if (!g.quiet)
      std::cerr << fmt::format("gradcheck grade: {} checked again alone: {}\n", terminal_safe(s.name, 40), s.status);
  }
}

}  // namespace gradcheck::cli
