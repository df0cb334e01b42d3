// Stopping everything below a child: found in /proc, frozen, killed, reaped.

#include "gradcheck/io/descendants.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gradcheck::descendants {
namespace {

using Clock = std::chrono::steady_clock;

std::mutex& spawn_lock() {
  static std::mutex lock;
  return lock;
}
std::set<pid_t>& owned() {  // guarded by spawn_lock()
  static std::set<pid_t> pids;
  return pids;
}
std::atomic<bool> adopting{false};

struct Process {
  pid_t pid = 0, ppid = 0, group = 0;
  char state = 0;  // 'Z': a zombie, waiting to be reaped
};

/// /proc/PID/stat: "pid (comm) state ppid pgrp …", where comm may hold ')' and spaces.
bool read_stat(const char* pid, Process& p) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%s/stat", pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[512];
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return false;
  text[n] = '\0';
  const char* comm_end = std::strrchr(text, ')');
  int ppid = 0, group = 0;
  char state = 0;
  if (!comm_end || std::sscanf(comm_end + 1, " %c %d %d", &state, &ppid, &group) != 3) return false;
  p = {static_cast<pid_t>(std::atoi(pid)), ppid, group, state};
  return true;
}

/// Every process /proc shows (none without /proc).
std::vector<Process> processes() {
  std::vector<Process> all;
  DIR* proc = opendir("/proc");
  if (!proc) return all;
  while (const dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    Process p;
    if (read_stat(entry->d_name, p)) all.push_back(p);
  }
  closedir(proc);
  return all;
}

/// The processes to stop, parents before their children: below this process, those that are
/// `child`, in `group`, adopted orphans (or any, with `everything`), and all that is below them.
std::vector<Process> targets(const std::vector<Process>& all, pid_t child, pid_t group, bool everything) {
  const pid_t self = getpid();
  std::unordered_map<pid_t, std::vector<const Process*>> below;
  for (const Process& p : all) below[p.ppid].push_back(&p);
  std::vector<const Process*> order;  // this process's descendants, breadth first
  std::unordered_set<pid_t> seen{self};  // a pid reused during the scan makes no loop
  for (const Process* p : below[self])
    if (seen.insert(p->pid).second) order.push_back(p);
  for (std::size_t k = 0; k < order.size(); ++k)
    for (const Process* p : below[order[k]->pid])
      if (seen.insert(p->pid).second) order.push_back(p);
  std::vector<Process> chosen;
  std::unordered_set<pid_t> taken;
  for (const Process* p : order) {
    const bool root = (p->ppid == self && (everything || p->pid == child || (adopting && !owned().count(p->pid)))) ||
                      (group > 0 && p->group == group);
    if (root || taken.count(p->ppid)) {
      taken.insert(p->pid);
      chosen.push_back(*p);
    }
  }
  return chosen;
}

/// The process groups of `chosen` that hold nothing else in `all` (never this process's): one
/// signal to such a group reaches each member, and a member's child forked meanwhile, at once.
std::set<pid_t> whole_groups(const std::vector<Process>& all, const std::vector<Process>& chosen) {
  std::set<pid_t> groups, members;
  for (const Process& p : chosen) groups.insert(p.group), members.insert(p.pid);
  groups.erase(getpgrp());
  for (const Process& p : all)
    if (groups.count(p.group) && !members.count(p.pid)) groups.erase(p.group);
  return groups;
}

/// Waits until `p`, sent SIGKILL, has ended (until `give_up` at most): a child of this process is
/// reaped; another process is awaited until it is a zombie or gone (its parent reaps it).
void reap(const Process& p, Clock::time_point give_up) {
  char pid[16];
  std::snprintf(pid, sizeof pid, "%d", static_cast<int>(p.pid));
  for (;;) {
    bool ended = false;
    if (p.ppid == getpid()) {
      int status = 0;
      const pid_t done = waitpid(p.pid, &status, WNOHANG);
      ended = done == p.pid || (done < 0 && errno != EINTR);
    } else {
      Process now;
      ended = !read_stat(pid, now) || now.state == 'Z';
    }
    if (ended || Clock::now() > give_up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::size_t stop_processes(pid_t child, pid_t group, bool everything) {
  HoldStopSignals hold;
  std::lock_guard<std::mutex> lock(spawn_lock());
  const pid_t self = getpid();
  const auto give_up = Clock::now() + std::chrono::seconds(5);
  std::set<pid_t> not_ours;  // EPERM: a set-user-ID program, say
  while (Clock::now() < give_up) {
    // Freeze: each scan stops what it finds; one that finds nothing new ends it (what is stopped
    // starts nothing, so a process forking in a loop is caught however fast it forks).
    // A process that forks and exits in a loop (its pid never stays put) keeps its group: the
    // group's signal catches it.
    std::vector<Process> frozen;
    std::set<pid_t> seen, groups;
    for (bool fresh = true; fresh && Clock::now() < give_up;) {
      fresh = false;
      if (group > 0) kill(-group, SIGSTOP);
      const std::vector<Process> all = processes();
      const std::vector<Process> found = targets(all, child, group, everything);
      for (const pid_t g : whole_groups(all, found))
        if (groups.insert(g).second) kill(-g, SIGSTOP);
      for (const Process& p : found) {
        if (not_ours.count(p.pid) || !seen.insert(p.pid).second) continue;
        fresh = true;
        frozen.push_back(p);
        if (p.state != 'Z' && kill(p.pid, SIGSTOP) != 0 && errno == EPERM) not_ours.insert(p.pid);
      }
    }
    // Kill, then reap what is this process's: what was below a killed process comes to this one
    // (after adopt_orphans()) and is found by the next round.
    if (group > 0) kill(-group, SIGKILL);
    for (const pid_t g : groups) kill(-g, SIGKILL);
    for (const Process& p : frozen)
      if (!not_ours.count(p.pid)) kill(p.pid, SIGKILL);
    for (const Process& p : frozen)
      if (!not_ours.count(p.pid)) reap(p, give_up);
    // The child even without /proc, while it is this process's (so its number is not another's).
    if (int status = 0; child > 0 && waitpid(child, &status, WNOHANG) == 0) {
      kill(child, SIGKILL);
      Process c;
      c.pid = child, c.ppid = self;
      reap(c, give_up);
    }
    if (frozen.empty()) return not_ours.size();
  }
  return targets(processes(), child, group, everything).size();
}

}  // namespace

bool adopt_orphans() {
#ifdef PR_SET_CHILD_SUBREAPER
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0) adopting = true;
#endif
  return adopting;
}

Spawning::Spawning() { spawn_lock().lock(); }
Spawning::~Spawning() { spawn_lock().unlock(); }
void Spawning::own(pid_t pid) { owned().insert(pid); }

void disown(pid_t pid) {
  std::lock_guard<std::mutex> lock(spawn_lock());
  owned().erase(pid);
}

std::uint64_t resident_bytes(pid_t child) {
  std::vector<Process> below;
  {
    const std::lock_guard<std::mutex> lock(spawn_lock());  // owned() is read by targets()
    below = targets(processes(), child, 0, false);
  }
  static const std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  std::uint64_t total = 0;
  for (const Process& p : below) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(p.pid));
    if (FILE* f = std::fopen(path, "re")) {
      unsigned long long size = 0, resident = 0;
      if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) total += resident * page;
      std::fclose(f);
    }
  }
  return total;
}

std::size_t stop(pid_t child, pid_t group) { return stop_processes(child, group, false); }

std::size_t stop_all() { return stop_processes(0, 0, true); }

HoldStopSignals::HoldStopSignals() {
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stops, &saved_);
}

HoldStopSignals::~HoldStopSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

}  // namespace gradcheck::descendants
