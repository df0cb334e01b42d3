// The sandbox an untrusted implementation runs in: a chain of well-kept tools, probed before use.

#include "gradcheck/io/sandbox.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gradcheck::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr const char* setpriv = "/usr/bin/setpriv";
constexpr const char* env = "/usr/bin/env";
constexpr const char* prlimit = "/usr/bin/prlimit";
constexpr const char* bwrap = "/usr/bin/bwrap";

/// Where the implementation's folder is seen read-only inside bubblewrap, to be copied from into
/// the size-capped tmpfs that takes its place.
constexpr const char* pristine = "/.gradcheck-original";

/// The caller's variables an implementation may see: locale and thread counts, nothing else (no
/// token, no path into the caller's files).
constexpr const char* passed_on[] = {"LANG", "LC_ALL", "TZ", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"};

/// Runs argv, its stdout and stderr together in the text returned (at most 4 KiB), within `seconds`.
std::pair<int, std::string> run_capturing(const std::vector<std::string>& argv, int seconds) {
  int pipe_ends[2];
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) return {-1, std::string("pipe failed: ") + std::strerror(errno)};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  if (spawned != 0) {
    close(pipe_ends[0]);
    return {-1, fmt::format("cannot start {}: {}", argv.front(), std::strerror(spawned))};
  }
  std::string text;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    pollfd p{pipe_ends[0], POLLIN, 0};
    if (std::chrono::steady_clock::now() >= until || poll(&p, 1, 100) < 0) break;
    if (p.revents == 0) continue;
    char buffer[1024];
    const ssize_t n = read(pipe_ends[0], buffer, sizeof buffer);
    if (n <= 0) break;
    if (text.size() < 4096) text.append(buffer, static_cast<std::size_t>(n));
  }
  close(pipe_ends[0]);
  int status = 0;
  // Its output ended: it exits now (its own end of the pipe closes a moment before it can be reaped).
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return {-1, text + " (no answer within " + std::to_string(seconds) + " s)"};
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text};
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

/// bubblewrap's part: namespaces, the system read-only, the copy and /tmp on capped tmpfs.
std::vector<std::string> bubblewrap(const Sandbox& s) {
  const std::string scratch = std::to_string(s.scratch_mib << 20), folder = s.folder.string();
  std::vector<std::string> argv{bwrap, "--unshare-all", "--die-with-parent", "--new-session"};
  if (geteuid() == 0 && s.user.empty()) argv.insert(argv.end(), {"--cap-drop", "ALL"});  // root keeps none inside
  argv.insert(argv.end(), {"--ro-bind", "/usr", "/usr"});
  // Debian's merged /usr: /bin, /lib… are links into it; elsewhere they are folders of their own.
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    if (fs::is_symlink(top, ec)) argv.insert(argv.end(), {"--symlink", fs::read_symlink(top, ec).string(), top});
    else if (fs::is_directory(top, ec)) argv.insert(argv.end(), {"--ro-bind", top, top});
  }
  // /etc: the dynamic linker's cache and the alternatives (BLAS, python3) the interpreters need.
  argv.insert(argv.end(), {"--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev",
                           "--size", scratch, "--tmpfs", "/dev/shm", "--size", scratch, "--tmpfs", "/tmp"});
  for (const auto& r : s.readable) argv.insert(argv.end(), {"--ro-bind", r.string(), r.string()});
  argv.insert(argv.end(), {"--ro-bind", folder, pristine, "--size", scratch, "--tmpfs", folder, "--chdir", folder, "--"});
  // The copy first (a shell and cp, both the system's), then the implementation in its place.
  argv.insert(argv.end(), {"/bin/sh", "-c", std::string("cp -a ") + pristine + "/. \"$0\"/ && exec \"$@\"", folder});
  return argv;
}

}  // namespace

bool address_space_limit_works() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return false;
#else
  return true;
#endif
#else
  return true;
#endif
}

std::vector<std::string> command(const Sandbox& s, const std::vector<std::string>& argv) {
  if (!enabled(s)) return argv;
  std::vector<std::string> chain;
  if (!s.user.empty()) {
    const auto who = account(s.user);
    if (!who) throw std::runtime_error("the sandbox's user " + s.user + " does not exist");
    chain = {setpriv, "--reuid=" + std::to_string(who->uid), "--regid=" + std::to_string(who->gid), "--clear-groups",
             "--inh-caps=-all", "--"};
  }
  chain.insert(chain.end(), {env, "-i", "-C", s.folder.string(), "PATH=/usr/local/bin:/usr/bin:/bin",
                             "HOME=" + s.folder.string(), "TMPDIR=" + (s.namespaces ? std::string("/tmp") : s.folder.string())});
  for (const char* name : passed_on)
    if (const char* value = std::getenv(name)) chain.push_back(std::string(name) + "=" + value);
  chain.insert(chain.end(), {prlimit, "--nproc=" + std::to_string(s.processes), "--core=0",
                             "--fsize=" + std::to_string(s.scratch_mib << 20)});
  if (address_space_limit_works()) chain.push_back("--as=" + std::to_string(s.memory_mib << 20));
  chain.push_back("--");
  if (s.namespaces) {
    const auto wrap = bubblewrap(s);
    chain.insert(chain.end(), wrap.begin(), wrap.end());
  }
  chain.insert(chain.end(), argv.begin(), argv.end());
  return chain;
}

std::string describe(const Sandbox& s) {
  if (!enabled(s)) return "no sandbox: the implementation ran as gradcheck's own user, with its files in reach";
  std::string text = s.namespaces ? "bubblewrap (system read-only, no network, own PIDs and /tmp, only its own copy writable)"
                                  : "the unprivileged user " + s.user + ", without namespaces: it may read what every "
                                    "user may read, and reach the network";
  if (s.namespaces && !s.user.empty()) text += " as " + s.user;
  return text + fmt::format("; {} MiB of memory and {} processes in all, {} MiB of files", s.memory_mib, s.processes,
                            s.scratch_mib);
}

std::string probe(const Sandbox& s) {
  for (const char* tool : {env, prlimit})
    if (access(tool, X_OK) != 0) return fmt::format("{} is missing (Debian: apt-get install util-linux coreutils)", tool);
  if (!s.user.empty() && access(setpriv, X_OK) != 0) return "setpriv is missing (Debian: apt-get install util-linux)";
  if (s.namespaces && access(bwrap, X_OK) != 0) return "bubblewrap is not installed (Debian: apt-get install bubblewrap)";
  std::vector<std::string> argv;
  try {
    argv = command(s, {"/bin/true"});
  } catch (const std::exception& e) {
    return e.what();
  }
  const auto [code, said] = run_capturing(argv, 20);
  if (code == 0) return "";
  return fmt::format("{} could not run a command in the sandbox{}", s.namespaces ? "bubblewrap" : "setpriv",
                     said.empty() ? fmt::format(" (exit code {})", code) : ": " + one_line(said));
}

namespace {

bool write_to(const std::string& file, const std::string& text) {
  const int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return written;
}

std::string read_small(const std::string& file) {
  std::string text;
  if (FILE* f = std::fopen(file.c_str(), "re")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) text.append(buffer, n);
    std::fclose(f);
  }
  return text;
}

}  // namespace

std::unique_ptr<Cgroup> Cgroup::make(std::uint64_t memory_bytes, unsigned processes) {
  if (geteuid() != 0) return nullptr;
  static std::atomic<unsigned> made{0};
  const std::string name = fmt::format("gradcheck-{}-{}", getpid(), made++);
  std::unique_ptr<Cgroup> group(new Cgroup);
  const std::string v2 = "/sys/fs/cgroup";
  const std::string controllers = read_small(v2 + "/cgroup.controllers");
  if (controllers.find("memory") != std::string::npos && controllers.find("pids") != std::string::npos) {
    write_to(v2 + "/cgroup.subtree_control", "+memory +pids");
    const std::string folder = v2 + "/" + name;
    if (mkdir(folder.c_str(), 0700) == 0) {
      group->folders_.push_back(folder);
      if (write_to(folder + "/memory.max", std::to_string(memory_bytes)) &&
          write_to(folder + "/pids.max", std::to_string(processes))) {
        write_to(folder + "/memory.swap.max", "0");
        return group;
      }
    }
    return nullptr;  // the destructor removes what was made
  }
  for (const char* hierarchy : {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}) {
    const std::string folder = std::string(hierarchy) + "/" + name;
    if (mkdir(folder.c_str(), 0700) != 0) return nullptr;
    group->folders_.push_back(folder);
  }
  const std::string& memory = group->folders_[0];
  if (!write_to(memory + "/memory.limit_in_bytes", std::to_string(memory_bytes)) ||
      !write_to(group->folders_[1] + "/pids.max", std::to_string(processes)))
    return nullptr;
  write_to(memory + "/memory.memsw.limit_in_bytes", std::to_string(memory_bytes));  // no swap beyond it, where counted
  return group;
}

Cgroup::~Cgroup() {
  for (const std::string& folder : folders_) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rmdir(folder.c_str()) != 0 && errno == EBUSY && std::chrono::steady_clock::now() < give_up) {
      std::string pids = read_small(folder + "/cgroup.procs");
      for (std::size_t at = 0; at < pids.size();) {
        const std::size_t end = pids.find('\n', at);
        if (const int pid = std::atoi(pids.c_str() + at); pid > 0) kill(pid, SIGKILL);
        at = end == std::string::npos ? pids.size() : end + 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

std::vector<std::string> Cgroup::enter(const std::vector<std::string>& argv) const {
  std::vector<std::string> chain{"/bin/sh", "-c",
                                 "while [ \"$1\" != -- ]; do echo $$ > \"$1/cgroup.procs\" || exit 125; shift; done; "
                                 "shift; exec \"$@\"",
                                 "sh"};
  chain.insert(chain.end(), folders_.begin(), folders_.end());
  chain.push_back("--");
  chain.insert(chain.end(), argv.begin(), argv.end());
  return chain;
}

std::optional<Account> account(const std::string& user) {
  passwd entry{}, *found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) return std::nullopt;
  return Account{found->pw_uid, found->pw_gid};
}

Account dedicated_user(const std::string& name) {
  if (const auto found = account(name)) return *found;
  if (geteuid() != 0) throw std::runtime_error("the user " + name + " does not exist, and only root can create it");
  const auto [code, said] = run_capturing({"/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                                           "--shell", "/usr/sbin/nologin", "--user-group", name}, 30);
  if (const auto found = account(name)) return *found;  // made now, or by a grade running beside this one
  throw std::runtime_error(fmt::format("cannot create the user {} for the sandbox: useradd {}", name,
                                       said.empty() ? "exited with code " + std::to_string(code) : one_line(said)));
}

namespace {

/// The folder of the leases' lock files: root's own, never one a sandbox's user could replace.
std::string lock_folder() {
  const std::string folder = fs::is_directory("/run") && access("/run", W_OK) == 0 ? "/run/gradcheck" : "/tmp/gradcheck-locks";
  mkdir(folder.c_str(), 0700);
  struct stat info {};
  if (lstat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != geteuid() || (info.st_mode & 022) != 0)
    throw std::runtime_error(folder + " is not a folder of gradcheck's user alone (a sandbox's user could hold its locks)");
  return folder;
}

}  // namespace

Lease::Lease() {
  if (geteuid() != 0) throw std::runtime_error("only root can run code as another user");
  const std::string folder = lock_folder();
  for (int k = 1; k <= 4096; ++k) {
    const std::string name = "gradcheck-sandbox-" + std::to_string(k);
    const int fd = open((folder + "/" + name + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot open a lock in {}: {}", folder, std::strerror(errno)));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {  // another worker's, or another grade's
      close(fd);
      continue;
    }
    dedicated_user(name);
    user_ = name;
    lock_ = fd;
    return;
  }
  throw std::runtime_error("all of gradcheck-sandbox-1 … 4096 are in use");
}

Lease::~Lease() {
  if (lock_ >= 0) close(lock_);
}

std::size_t kill_all_of(uid_t uid) {
  if (uid == 0 || uid == getuid() || uid == geteuid()) return 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    std::size_t left = 0;
    if (DIR* proc = opendir("/proc")) {
      while (const dirent* entry = readdir(proc)) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
        struct stat info {};
        if (stat((std::string("/proc/") + entry->d_name).c_str(), &info) != 0 || info.st_uid != uid) continue;
        // A zombie is dead already: its parent reaps it.
        char state = 0;
        if (FILE* f = std::fopen((std::string("/proc/") + entry->d_name + "/stat").c_str(), "re")) {
          char line[512] = {};
          if (std::fgets(line, sizeof line, f))
            if (const char* end = std::strrchr(line, ')')) state = end[2];
          std::fclose(f);
        }
        if (state == 'Z' || state == 'X') continue;
        kill(static_cast<pid_t>(std::atoi(entry->d_name)), SIGKILL);
        ++left;
      }
      closedir(proc);
    }
    if (left == 0 || std::chrono::steady_clock::now() >= give_up) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void remove_files_of(uid_t uid) {
  if (uid == 0 || uid == getuid() || uid == geteuid()) return;
  for (const char* shared : {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock"}) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(shared, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      struct stat info {};
      std::error_code ignored;
      if (lstat(it->path().c_str(), &info) == 0 && info.st_uid == uid) fs::remove_all(it->path(), ignored);
    }
  }
}

void remove_ipc_of(uid_t uid) {
  if (uid == 0 || uid == getuid() || uid == geteuid()) return;
  // /proc/sysvipc lists every System V object with its id and owner: "key id perms … uid …".
  const auto each = [uid](const char* table, int owner_column, auto&& remove) {
    std::istringstream lines(read_small(table));
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::vector<std::string> f{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
      if (static_cast<int>(f.size()) > owner_column && std::strtoul(f[owner_column].c_str(), nullptr, 10) == uid)
        remove(std::atoi(f[1].c_str()));
    }
  };
  each("/proc/sysvipc/shm", 7, [](int id) { shmctl(id, IPC_RMID, nullptr); });
  each("/proc/sysvipc/msg", 7, [](int id) { msgctl(id, IPC_RMID, nullptr); });
  each("/proc/sysvipc/sem", 4, [](int id) { semctl(id, 0, IPC_RMID); });
}

void give_to(const fs::path& path, const Account& who) {
  std::error_code ec;
  lchown(path.c_str(), who.uid, who.gid);
  if (!fs::is_directory(fs::symlink_status(path, ec))) return;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    lchown(it->path().c_str(), who.uid, who.gid);
}

}  // namespace gradcheck::sandbox
