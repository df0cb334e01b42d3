#pragma once
/// @file
/// An implementation under test, run as a child process that answers one line per request.
///
/// The child is started from an argv (never through a shell), with its stdin, stdout and stderr
/// on pipes. A request is one line written to its stdin; the reply is the next line on its
/// stdout. stderr is drained all the while (so a chatty child never blocks), and its tail is kept
/// for error messages. A reply must come within the timeout and stay under the size cap. When
/// this object goes, the child's stdin is closed, it gets a moment to exit, then it and all it
/// started get SIGKILL (descendants.hpp: in a program that adopts orphans, a daemon too); all are
/// reaped.

#include "gradcheck/util/stop.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradcheck {

/// The implementation failed: crashed, exited, hung, or answered something that is not a reply.
/// `gradcheck` exits 3 on it.
class ImplementationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Limits on a child's replies.
struct ChildLimits {
  std::chrono::milliseconds timeout{60'000};  ///< per request, from writing it to the reply's end
  std::size_t max_reply_bytes = 512u << 20;   ///< 512 MiB
  std::size_t stderr_tail_bytes = 2048;       ///< how much of stderr error messages quote
  /// The resident memory of the child and all below it together (a sandbox's bound, not one
  /// process's), sampled while a reply is awaited; past it the request fails. 0: not watched.
  std::uint64_t memory_bytes = 0;
  /// How messages name the command ("": its argv), for one wrapped in a sandbox's tools.
  std::string shown_as;
  /// When set and it becomes true, a request waiting for its reply throws Interrupted within
  /// 100 ms (and a child that died meanwhile, e.g. of the same Ctrl-C, is no ImplementationError).
  const StopFlag* stop = nullptr;
};

/// What a check talks to: an implementation that answers one reply line per request line. A Child
/// is one in a process of its own; gradcheck's Python package (`import gradcheck`) answers in the
/// caller's own process, from the same requests, so both are judged by the same code.
class Channel {
 public:
  virtual ~Channel() = default;

  /// Sends `line`, returns the reply line (without its newline). `what` describes the request for
  /// error messages ("request 3 (J and gradient)"). Throws ImplementationError when no proper
  /// line comes, Interrupted when stopped.
  virtual std::string exchange(const std::string& line, const std::string& what) = 0;

  /// The last bytes the implementation wrote to stderr, for messages ("" where there is none).
  virtual std::string stderr_tail() const { return ""; }

  /// How messages name the implementation: its command line, or the function checked.
  virtual const std::string& command() const = 0;

  /// How long a request may take (batches of points are sized to a tenth of it at most).
  virtual std::chrono::milliseconds timeout() const = 0;

  /// What the implementation said of itself in its replies, kept from one session to the next: the
  /// protocol version (0 until a reply said) and whether it reads base64 arrays.
  struct Peer {
    int version = 0;
    bool base64 = false;
  };
  Peer peer;
  /// Requests sent to it, in every session: ids run on from one session to the next, so a stray
  /// reply left over from λ = 0 never passes for the answer to λ = 3's first request.
  std::size_t requests = 0;
};

/// A running implementation.
class Child : public Channel {
 public:
  /// Starts argv[0] (looked up on PATH) with the rest as its arguments. Throws
  /// ImplementationError when it cannot be started.
  Child(const std::vector<std::string>& argv, ChildLimits limits = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// Writes `line` and a newline, returns the next line of stdout (without its newline). Throws
  /// ImplementationError when no proper line comes, Interrupted when limits.stop is set.
  std::string exchange(const std::string& line, const std::string& what) override;

  /// The last bytes the child wrote to stderr, for messages.
  std::string stderr_tail() const override;

  /// The command line, for messages.
  const std::string& command() const override { return command_; }

  std::chrono::milliseconds timeout() const override { return limits_.timeout; }

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& problem);
  void drain_stderr();
  /// Fails the request when the child and all below it hold more than limits_.memory_bytes.
  void watch_memory(const std::string& what);
  void stop();
  /// Whether the child ended and was reaped now (its wait status into `status`).
  bool reaped(int& status);

  ChildLimits limits_;
  std::string command_;
  int pid_ = -1;
  int group_ = -1;                      // its process group (its own pid): stopped as a whole
  std::optional<int> exit_status_;      // its wait status, once it ended (reaped while waiting for a reply)
  int in_ = -1, out_ = -1, err_ = -1;  // our ends: child's stdin, stdout, stderr
  std::string pending_;                 // stdout read past the last reply
  std::string stderr_;                  // the tail of stderr
  std::chrono::steady_clock::time_point next_memory_look_{};
};

}  // namespace gradcheck
