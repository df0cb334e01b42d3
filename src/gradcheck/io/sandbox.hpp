#pragma once
/// @file
/// An implementation nobody vouches for (a student's homework, a pull request's code), run where it
/// can harm nothing but its own copy: inside bubblewrap, as an unprivileged user, or both.
///
/// gradcheck, the reference and every report stay outside; the only channel between them is the
/// protocol's pipes. The sandbox is built from well-kept tools, each doing one thing, chained by
/// exec so that the implementation's process is the one gradcheck started:
///
///   setpriv (util-linux): the unprivileged user, when gradcheck runs as root;
///   env (coreutils): an environment of a few harmless variables, none of the caller's;
///   prlimit (util-linux): per-process bounds (address space, file size, core dumps) and the
///     number of processes, which a user namespace counts for the sandbox alone;
///   bwrap (bubblewrap): user, PID, network, IPC and UTS namespaces; the system read-only, /tmp
///     and the working copy on size-capped tmpfs, nothing else of the machine's files.
///
/// Where namespaces are forbidden (Docker's default seccomp profile), the user alone confines it:
/// it cannot write what it does not own, and grade kills every process of that user at the end.
/// The memory of all its processes together is watched by Child (ChildLimits::memory_bytes).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradcheck::sandbox {

/// Where and how an implementation runs. An empty `folder` is no sandbox at all.
struct Sandbox {
  /// The implementation's folder: inside bubblewrap, a size-capped copy of it is the only place it
  /// may write (at the same path, so its command line needs no change); it is also its HOME.
  std::filesystem::path folder;
  std::vector<std::filesystem::path> readable;  ///< more folders it may read (gradcheck's drivers)
  bool namespaces = true;                       ///< bubblewrap; false: the user alone
  std::string user;                             ///< run as this user ("": as gradcheck; root only)
  std::uint64_t memory_mib = 2048;              ///< all its processes together
  unsigned processes = 256;                     ///< at once
  std::uint64_t scratch_mib = 512;              ///< bytes it may write: its copy and /tmp each
};

inline bool enabled(const Sandbox& s) { return !s.folder.empty(); }

/// The command that runs `argv` inside `s`.
std::vector<std::string> command(const Sandbox& s, const std::vector<std::string>& argv);

/// One line on what `s` gives, for reports: "bubblewrap (no network, own PIDs, system read-only) as
/// gradcheck-sandbox-1; 2048 MiB, 256 processes, 512 MiB of files".
std::string describe(const Sandbox& s);

/// Why `s` cannot run code on this machine, in one line, or "" when it can: a trivial command is
/// run inside it.
std::string probe(const Sandbox& s);

/// A control group of the implementation's own (root only): the kernel's hard bound on the memory
/// and the processes of all it starts, where the watch of Child only samples. cgroup v2 where its
/// memory and pids controllers can be had, else v1's memory and pids hierarchies.
class Cgroup {
 public:
  /// The group, or nullptr where this process may make none (not root; cgroups read-only, as in
  /// most containers).
  static std::unique_ptr<Cgroup> make(std::uint64_t memory_bytes, unsigned processes);
  /// Kills what is left in it, and removes it.
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  /// `argv` preceded by what moves it into the group before it runs (a shell, as root).
  std::vector<std::string> enter(const std::vector<std::string>& argv) const;

 private:
  Cgroup() = default;
  std::vector<std::string> folders_;  // one per hierarchy
};

/// A user's ids, when the user exists.
struct Account {
  uid_t uid;
  gid_t gid;
};
std::optional<Account> account(const std::string& user);

/// The user `name`, created (a system user with no home and no shell: useradd) when missing.
/// Root only; throws std::runtime_error saying why when it cannot be had.
Account dedicated_user(const std::string& name);

/// A dedicated user held for as long as this object lives, by this process alone: two grades (two
/// workers of one, or two runs at once) never share one, so killing every process of a user never
/// reaches another's student. Users are gradcheck-sandbox-1, -2, …, the first free ones, created
/// when missing; held with flock on a root-owned file in /run/gradcheck (else /tmp/gradcheck-locks).
class Lease {
 public:
  /// Throws std::runtime_error saying why when no user can be had (not root, useradd failed).
  Lease();
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  const std::string& user() const { return user_; }

 private:
  std::string user_;
  int lock_ = -1;
};

/// Sends SIGKILL to every process of `uid` until none is left (5 s at most); returns how many were
/// left then. Refuses uid 0 and this process's own uid.
std::size_t kill_all_of(uid_t uid);

/// Removes what `uid` left in the folders every user may write (/tmp, /var/tmp, /dev/shm, the lock
/// folders), once
/// none of its processes runs: nothing it planted there waits for the next student.
void remove_files_of(uid_t uid);

/// Removes the System V shared memory, message queues and semaphores `uid` left (readable by
/// whoever comes next when it made them mode 0666).
void remove_ipc_of(uid_t uid);

/// Gives `path` and everything in it (never following a link) to `account`.
void give_to(const std::filesystem::path& path, const Account& account);

/// Whether an address-space limit can be set (not under AddressSanitizer, whose shadow memory
/// reserves terabytes).
bool address_space_limit_works();

}  // namespace gradcheck::sandbox
