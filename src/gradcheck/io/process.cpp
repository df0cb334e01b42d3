// An implementation as a child process: one request line in, one reply line out, within limits.

#include "gradcheck/io/process.hpp"

#include "gradcheck/io/descendants.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace gradcheck {
namespace {

std::string quote(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) {
    if (!text.empty()) text += ' ';
    text += a.find_first_of(" \t'\"") == std::string::npos ? a : "'" + a + "'";
  }
  return text;
}

/// What a wait status says, in words.
std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "stopped";
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, ChildLimits limits)
    : limits_(limits), command_(limits.shown_as.empty() ? quote(argv) : limits.shown_as) {
  if (argv.empty()) throw ImplementationError("no implementation command given");
  // A child that closes its stdin must not kill us with SIGPIPE: we want EPIPE and a message.
  std::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw ImplementationError("cannot create pipes for " + command_ + ": " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Its own process group, so that stopping it stops whatever it started too (a shell's children,
  // an interpreter's workers), and a Ctrl-C at the terminal reaches gradcheck, which stops it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Nothing of gradcheck's but the three pipes: a descriptor opened elsewhere without O_CLOEXEC (a
  // caller's report file) would be the implementation's to read or write.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int spawned = 0;
  {
    descendants::Spawning spawning;
    spawned = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    if (spawned == 0) spawning.own(pid);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  if (spawned != 0) {
    close(in_);
    close(out_);
    close(err_);
    throw ImplementationError("cannot start " + argv.front() + ": " + std::strerror(spawned) +
                              " (is the program installed and on PATH?)");
  }
  pid_ = group_ = pid;
}

Child::~Child() { stop(); }

bool Child::reaped(int& status) {
  if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) != pid_) return false;
  descendants::disown(pid_);
  pid_ = -1;
  return true;
}

void Child::stop() {
  // A second Ctrl-C (whose default action ends gradcheck at once) waits until this is done.
  const descendants::HoldStopSignals hold;
  if (in_ >= 0) close(in_);
  in_ = -1;
  // Closing stdin is the signal to finish; give the child a moment (none when interrupted).
  int status = 0;
  for (int i = 0; pid_ > 0 && !stop_requested(limits_.stop) && i < 50 && !reaped(status); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Then the child, its group and all that is below them; in gradcheck (a subreaper) also what
  // left them, a daemon's double fork included (descendants.hpp).
  if (pid_ > 0 || group_ > 0) descendants::stop(pid_ > 0 ? pid_ : 0, group_);
  if (pid_ > 0) {
    descendants::disown(pid_);
    pid_ = -1;
  }
  group_ = -1;
  if (out_ >= 0) close(out_);
  if (err_ >= 0) close(err_);
  out_ = err_ = -1;
}

std::string Child::stderr_tail() const { return stderr_; }

void Child::watch_memory(const std::string& what) {
  if (limits_.memory_bytes == 0 || pid_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_memory_look_) return;
  next_memory_look_ = now + std::chrono::milliseconds(50);
  const std::uint64_t used = descendants::resident_bytes(pid_);
  if (used > limits_.memory_bytes)
    fail(what, fmt::format("more than {} MiB of memory in all its processes together ({} MiB: the sandbox's limit)",
                           limits_.memory_bytes >> 20, used >> 20));
}

void Child::drain_stderr() {
  char buffer[4096];
  const ssize_t n = read(err_, buffer, sizeof buffer);
  if (n > 0) {
    stderr_.append(buffer, static_cast<std::size_t>(n));
    if (stderr_.size() > limits_.stderr_tail_bytes) stderr_.erase(0, stderr_.size() - limits_.stderr_tail_bytes);
  } else if (n == 0) {
    close(err_);
    err_ = -1;
  }
}

void Child::fail(const std::string& what, const std::string& problem) {
  if (stop_requested(limits_.stop)) {  // it likely got the same Ctrl-C: not its fault
    stop();
    throw Interrupted("interrupted while waiting for the reply to " + what);
  }
  // Collect what is left of stderr and how the child ended, without waiting long: a child that
  // keeps writing to stderr gets 200 ms in all, never an open-ended wait.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (err_ >= 0 && std::chrono::steady_clock::now() < until) {
    pollfd p{err_, POLLIN, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (poll(&p, 1, static_cast<int>(std::max<std::int64_t>(1, ms.count()))) <= 0) break;
    drain_stderr();
  }
  // Its stdout may close a moment before it can be reaped: give a dying child half a second
  // (none when it timed out or was interrupted: it is still running, and will be stopped).
  std::string ended = exit_status_ ? "; the implementation " + describe_status(*exit_status_) : "";
  const bool waiting_helps = problem.rfind("no reply within", 0) != 0;
  for (int i = 0; waiting_helps && pid_ > 0 && i < 50; ++i) {
    int status = 0;
    if (reaped(status)) {
      ended = "; the implementation " + describe_status(status);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  std::string tail = stderr_;
  for (char& ch : tail)
    if (ch == '\n' || ch == '\r') ch = ' ';
  throw ImplementationError(command_ + ": " + problem + " in reply to " + what + ended +
                            (tail.empty() ? "" : "; its stderr ends: " + tail));
}

std::string Child::exchange(const std::string& line, const std::string& what) {
  if (pid_ < 0) {
    // Stopped by gradcheck itself on a signal (a request cut short): the stop, not the child's fault.
    if (stop_requested(limits_.stop)) throw Interrupted("interrupted before " + what);
    throw ImplementationError(command_ + " is no longer running (before " + what + ")");
  }
  const auto deadline = std::chrono::steady_clock::now() + limits_.timeout;
  const std::string message = line + "\n";
  std::size_t written = 0;
  const auto left = [&] {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, ms.count()));
  };

  // Write the request while reading stdout and stderr, so that no pipe fills up on either side.
  while (true) {
    const auto newline = pending_.find('\n');
    // The cap holds however the reply arrived: in pieces, or all at once with its newline.
    if (std::min(newline, pending_.size()) > limits_.max_reply_bytes)
      fail(what, limits_.max_reply_bytes >= (1u << 20)
                     ? fmt::format("a reply longer than {} MiB", limits_.max_reply_bytes >> 20)
                     : fmt::format("a reply longer than {} bytes", limits_.max_reply_bytes));
    if (newline != std::string::npos && written == message.size()) {
      std::string reply = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return reply;
    }
    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {out_, POLLIN, 0};
    if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
    if (written < message.size()) fds[n++] = {in_, POLLOUT, 0};
    if (stop_requested(limits_.stop)) fail(what, "interrupted");
    watch_memory(what);
    // Wake at least every 100 ms: to notice a stop, and a child that exited while something it
    // started still holds its stdout open (no end of file would ever come).
    const int wait = std::min(left(), 100);
    if (left() == 0)
      fail(what, fmt::format("no reply within {:g} s (raise the limit with --timeout)",
                             static_cast<double>(limits_.timeout.count()) / 1000));
    const int ready = poll(fds, n, wait);
    if (ready < 0 && errno != EINTR) fail(what, std::string("poll failed: ") + std::strerror(errno));
    for (nfds_t i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_) {
        char buffer[1 << 16];
        const ssize_t got = read(out_, buffer, sizeof buffer);
        if (got > 0) pending_.append(buffer, static_cast<std::size_t>(got));
        if (got == 0)
          fail(what, pending_.empty() ? "no reply (it closed its stdout)"
                                      : "a partial line without its newline (it closed its stdout)");
      } else if (fds[i].fd == err_) {
        drain_stderr();
      } else if (fds[i].fd == in_) {
        const ssize_t put = write(in_, message.data() + written, message.size() - written);
        if (put > 0) written += static_cast<std::size_t>(put);
        if (put < 0 && errno == EPIPE) fail(what, "no reading of the request (it closed its stdin)");
      }
    }
    if (int status = 0; reaped(status)) {
      exit_status_ = status;
      // What it wrote before it ended is in the pipe already: take it without waiting.
      pollfd p{out_, POLLIN, 0};
      char buffer[1 << 16];
      ssize_t got = -1;
      while (poll(&p, 1, 0) > 0 && (got = read(out_, buffer, sizeof buffer)) > 0)
        pending_.append(buffer, static_cast<std::size_t>(got));
      const std::string how = got == 0 ? "it closed its stdout" : "it ended, while something it started holds its stdout";
      if (pending_.find('\n') == std::string::npos || written < message.size())
        fail(what, pending_.empty() ? "no reply (" + how + ")" : "a partial line without its newline (" + how + ")");
    }
  }
}

}  // namespace gradcheck
