// An archive unpacked into scratch only when its listing shows no bomb and nothing reaching out,
// by unzip or tar under a cap on each file's size and a watch of the folder's, then verified.

#include "limited_run.hpp"
#include "submission_copy.hpp"

#include "gradcheck/io/descendants.hpp"
#include "gradcheck/util/stop.hpp"
#include "gradcheck/util/text.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gradcheck::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Python's zipfile and tarfile read the archive's own listing (zip's central directory, tar's
// headers) without writing a byte: members, declared bytes, and the first member that would land
// outside, link outside, or be a device or FIFO. Lexical only: the verification after unpacking
// resolves what really landed.
constexpr const char* list_script = R"PY(
import json, stat, sys, tarfile, zipfile
path, kind, most, cap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
found = {"members": 0, "bytes": 0, "more": False, "partial": False, "problem": None}
def parts(name):
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
def absolute(name):
    name = name.replace("\\", "/")
    return name.startswith("/") or name[1:2] == ":"
def escapes(name):
    return absolute(name) or ".." in parts(name)
def points_out(member, target):
    if absolute(target):
        return True
    depth = len(parts(member)) - 1
    for p in parts(target):
        depth += -1 if p == ".." else 1
        if depth < 0:
            return True
    return False
def refuse(why, name, target=""):
    if found["problem"] is None:
        found["problem"] = {"why": why, "name": name, "target": target}
def count(size):
    found["members"] += 1
    found["bytes"] += max(size, 0)
    found["more"] = found["members"] > most
    return found["more"]
if kind == "zip":
    with zipfile.ZipFile(path) as z:
        for i in z.infolist():
            if count(i.file_size):
                break
            mode = i.external_attr >> 16
            if escapes(i.filename):
                refuse("escape", i.filename)
            elif stat.S_ISLNK(mode):
                try:
                    with z.open(i) as f:
                        target = f.read(4096).decode("utf-8", "replace")
                except Exception:
                    target = "/(unreadable)"
                if points_out(i.filename, target):
                    refuse("link", i.filename, target)
            elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                refuse("special", i.filename)
else:
    with tarfile.open(path) as t:
        for m in t:
            if count(m.size if m.isreg() else 0):
                break
            if found["bytes"] > cap:  # a tar.gz is read whole to be listed: 40 GiB of zeros is a minute
                found["partial"] = True
                break
            if escapes(m.name):
                refuse("escape", m.name)
            elif m.issym():
                if points_out(m.name, m.linkname):
                    refuse("link", m.name, m.linkname)
            elif m.islnk():
                if escapes(m.linkname):
                    refuse("hard link", m.name, m.linkname)
            elif not (m.isreg() or m.isdir()):
                refuse("special", m.name)
found["bytes"] = min(found["bytes"], 2**62)  # a forged zip64 size stays a C++ integer
print(json.dumps(found))
)PY";

bool is_zip(const Student& s) {
  const std::string name = s.source.filename().string();
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".zip") == 0;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto end = text.rfind('\n');
  return one_line(end == std::string::npos ? text : text.substr(end + 1));
}

/// The archive's listing judged before anything is unpacked; nothing to say without Python (the
/// watch and the verification still hold).
std::optional<std::string> judge_listing(const Student& s, const fs::path& scratch, const CopyLimits& limits,
                                         std::uintmax_t& declared) {
  const char* python = "/usr/bin/python3";
  if (access(python, X_OK) != 0) return std::nullopt;
  const Ran r = run_limited({python, "-I", "-c", list_script, s.source.string(), is_zip(s) ? "zip" : "tar",
                             std::to_string(limits.max_files), std::to_string(limits.max_bytes)},
                            scratch, scratch / "list.out", scratch / "list.err", Clock::now() + limits.unpack_time, limits.memory);
  if (r.timed_out) return fmt::format("the archive could not be listed within {} s", limits.unpack_time.count());
  if (r.code != 0 || r.signal != 0)  // Python's last line names the trouble: "zipfile.BadZipFile: File is not a zip file"
    return "the archive could not be read: " + last_line(read_text_file(scratch / "list.err", 1 << 16));
  const auto listing = nlohmann::json::parse(read_text_file(scratch / "list.out"), nullptr, false);
  if (listing.is_discarded()) return "the archive could not be read: its listing is not what Python's zipfile or tarfile prints";
  declared = listing.value("bytes", std::uintmax_t{0});
  if (const auto& p = listing["problem"]; p.is_object()) {
    const std::string why = p.value("why", ""), name = terminal_safe(p.value("name", ""), 200),
                      target = terminal_safe(p.value("target", ""), 200);
    if (why == "escape") return fmt::format("the archive holds {}, which would land outside the submission (an absolute path or ..)", name);
    if (why == "special") return fmt::format("the archive holds {}, which is neither a file, a folder nor a link (a device or FIFO)", name);
    return fmt::format("the archive holds a {}, {} -> {}, to a place outside the submission", why, name, target);
  }
  if (listing.value("more", false))
    return fmt::format("the archive holds more than {} files and folders, the most a submission may hold", limits.max_files);
  if (declared > limits.max_bytes)
    return fmt::format("the archive would unpack to {}{}, more than the {} a submission may hold",
                       listing.value("partial", false) ? "at least " : "", size_text(declared), size_text(limits.max_bytes));
  return std::nullopt;
}

/// Files and bytes under `root` so far, links not followed; stops counting past the limits.
bool over_limits(const fs::path& root, const CopyLimits& limits) {
  std::uintmax_t files = 0, bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code gone;
    if (++files > limits.max_files) return true;
    if (it->symlink_status(gone).type() == fs::file_type::regular) bytes += it->file_size(gone);
    if (bytes > limits.max_bytes) return true;
  }
  return false;
}

struct Watched {
  Ran ran;
  bool over = false;  ///< killed for writing more than the limits allow
};

/// argv run in `scratch` with no file of it larger than the limit (RLIMIT_FSIZE: SIGXFSZ), and
/// killed, its group whole, once `into` holds more than the limits allow: a header that lies
/// about its sizes fills no disk. Polled every 50 ms, so it stops within a few MiB past the cap.
Watched run_watched(const std::vector<std::string>& argv, const fs::path& scratch, const fs::path& into, const CopyLimits& limits) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string out = (scratch / "unpack.out").string(), err = (scratch / "unpack.err").string(), dir = scratch.string();
  const rlim_t largest = static_cast<rlim_t>(limits.max_bytes) + 1;
  const pid_t parent = getpid();
  pid_t pid = -1;
  {
    descendants::Spawning spawning;
    pid = fork();
    if (pid == 0) {  // only async-signal-safe calls until exec
      setpgid(0, 0);
#ifdef PR_SET_PDEATHSIG
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
#endif
      const rlimit size{largest, largest}, core{0, 0};
      setrlimit(RLIMIT_FSIZE, &size);
      setrlimit(RLIMIT_CORE, &core);  // SIGXFSZ dumps core by default
      signal(SIGXFSZ, SIG_DFL);       // killed at the cap, not told EFBIG ("disk full? Continue?")
      if (limits.memory > 0) {
        const rlimit memory{limits.memory, limits.memory};
        setrlimit(RLIMIT_AS, &memory);
      }
      // Close-on-exec, as in limited_run.cpp: only the copies on 0, 1 and 2 reach the unpacker.
      const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
      const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (in < 0 || o < 0 || e < 0 || chdir(dir.c_str()) != 0) _exit(127);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pid > 0) spawning.own(pid);
  }
  if (pid < 0) throw std::runtime_error(std::string("cannot unpack an archive: fork failed: ") + std::strerror(errno));
  setpgid(pid, pid);
  const auto deadline = Clock::now() + limits.unpack_time;
  Watched w;
  bool killed = false;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (!killed) {
      w.over = over_limits(into, limits);
      w.ran.timed_out = !w.over && Clock::now() >= deadline;
      if (w.over || w.ran.timed_out || stop_requested(&stop_flag)) kill(-pid, SIGKILL), killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  descendants::disown(pid);
  descendants::stop(0, pid);  // tar's gzip, in its group
  if (WIFEXITED(status)) w.ran.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) w.ran.signal = WTERMSIG(status);
  // Past the cap by its last write, or stopped by SIGXFSZ at it, before a poll saw it.
  if (w.ran.signal == SIGXFSZ || (!killed && over_limits(into, limits))) w.over = true;
  return w;
}

/// unzip, else Python's zipfile; GNU tar, never restoring owners or set-uid bits.
std::vector<std::string> unpack_command(const Student& s, const fs::path& into) {
  if (!is_zip(s)) return {"/bin/tar", "--no-same-owner", "--no-same-permissions", "-xf", s.source.string(), "-C", into.string()};
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/local/bin/"})
    if (access((std::string(dir) + "unzip").c_str(), X_OK) == 0)
      return {std::string(dir) + "unzip", "-qq", "-o", s.source.string(), "-d", into.string()};
  return {"/usr/bin/python3", "-I", "-m", "zipfile", "-e", s.source.string(), into.string()};
}

}  // namespace

namespace detail {

std::optional<std::string> unpack_archive(const Student& s, const fs::path& into, const CopyLimits& limits) {
  const fs::path scratch = into.parent_path();
  std::uintmax_t declared = 0;
  if (auto refused = judge_listing(s, scratch, limits, declared)) return refused;
  const Watched w = run_watched(unpack_command(s, into), scratch, into, limits);
  if (w.over)
    return fmt::format("the archive unpacked to more than the {} a submission may hold (its listing declared {}): unpacking was stopped",
                       size_text(limits.max_bytes), size_text(declared));
  if (w.ran.timed_out) return fmt::format("the archive could not be unpacked within {} s", limits.unpack_time.count());
  if (w.ran.code != 0 || w.ran.signal != 0)  // unzip names the archive in brackets, then the trouble: both, on one line
    return "the archive could not be unpacked: " + one_line(read_text_file(scratch / "unpack.err", 400));
  const Survey landed = survey(into, limits, true);
  if (!landed.problem.empty()) return "the unpacked archive " + landed.problem;
  if (landed.bytes > limits.max_bytes)
    return fmt::format("the archive unpacked to {}, more than the {} a submission may hold", size_text(landed.bytes),
                       size_text(limits.max_bytes));
  return std::nullopt;
}

}  // namespace detail

}  // namespace gradcheck::cli
