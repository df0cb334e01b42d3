#pragma once
/// @file
/// What an implementation starts is stopped with it, even what left its process group: a daemon's
/// fork, setsid, fork. Linux only (PR_SET_CHILD_SUBREAPER and /proc); elsewhere the process group
/// is all that is stopped.
///
/// A process group reaches what an implementation starts only while it stays in the group. A
/// daemon leaves it (setsid), and once the process between them exits it is no one's descendant:
/// the kernel hands it to init. A program that calls adopt_orphans() is handed such an orphan
/// instead (it is a "subreaper"), so the orphan stays its descendant, as a child it never started.
/// stop() then stops everything below: frozen with SIGSTOP until a scan of /proc finds no process
/// it has not frozen (what is frozen starts nothing; a process hopping from pid to pid keeps its
/// process group, which is signalled whole), killed with SIGKILL, reaped; again until none is left.
///
/// Whose orphan an adopted child is cannot be known (its parent is gone), so a process that
/// adopts orphans counts every child it did not start itself as one of the implementation's. It
/// names the children it starts on purpose with Spawning. gradcheck runs one implementation at a
/// time per process (`grade` runs each student's check as a process of its own, itself a
/// subreaper), so an orphan it adopts is the running implementation's, or one that an earlier
/// implementation left and that should be gone already.
///
/// Not a PID namespace: killing its first process kills all of it at once, which no process
/// hopping from pid to pid and group to group could race, but it needs privileges (root, or a
/// user namespace that remaps the implementation's uid), and it changes the implementation's
/// world: it would be PID 1, which ignores the signals it does not handle, and would have to reap
/// its own orphans. What it adds over freezing is that one race; not worth a different world.

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace gradcheck::descendants {

/// Makes this process the parent of every orphan below it (PR_SET_CHILD_SUBREAPER), and stop()
/// kill those orphans. For a program's main, first thing, and only in a program that starts all of
/// its children through Child or with a Spawning held: anything else would pass for an orphan.
/// Returns false where the system has no subreapers.
bool adopt_orphans();

/// Held from before a child is started until own() names it, so that a stop() in another thread
/// never takes the new child for an orphan. Holds a process-wide lock: start the child, nothing more.
class Spawning {
 public:
  Spawning();
  ~Spawning();
  Spawning(const Spawning&) = delete;
  Spawning& operator=(const Spawning&) = delete;
  /// `pid` was started on purpose: stop() leaves it to whoever started it.
  void own(pid_t pid);
};

/// `pid`, named by Spawning::own, was reaped: its number may be given to another process.
void disown(pid_t pid);

/// Stops and reaps `child` (a child of this process not yet reaped, or 0), the members of the
/// process group `group` (or 0) that are this process's descendants, everything below them, and,
/// after adopt_orphans(), every orphan adopted with everything below it. SIGINT, SIGTERM and SIGHUP
/// wait until it is done (milliseconds). Gives up after 5 s (a process that cannot be killed: not
/// ours to signal, or stuck in the kernel) and returns how many it found left then; 0 otherwise.
std::size_t stop(pid_t child, pid_t group);

/// Stops and reaps every descendant of this process, the children it started included: for the
/// end of main, after every child was stopped as it should be. Returns as stop() does.
std::size_t stop_all();

/// The resident memory of `child` (a child of this process) and everything below it, adopted
/// orphans included, in bytes: what a sandbox's memory limit bounds.
std::uint64_t resident_bytes(pid_t child);

/// Blocks SIGINT, SIGTERM and SIGHUP in this thread while it lives: a second Ctrl-C, whose default
/// action ends the process, waits until what is being stopped is stopped.
class HoldStopSignals {
 public:
  HoldStopSignals();
  ~HoldStopSignals();
  HoldStopSignals(const HoldStopSignals&) = delete;
  HoldStopSignals& operator=(const HoldStopSignals&) = delete;

 private:
  sigset_t saved_;  // the thread's former mask
};

}  // namespace gradcheck::descendants
