#pragma once
// A command run for `gradcheck grade` under limits of time and memory, in a process group of its
// own, with nothing it started left behind (limited_run.cpp).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gradcheck::cli {

/// How a run of a child ended.
struct Ran {
  int code = 0;           ///< its exit code, when it exited
  int signal = 0;         ///< the signal that ended it, when one did
  bool timed_out = false; ///< killed at the deadline
};

/// Runs argv with stdout and stderr in files, in `cwd`, in a process group of its own, its address
/// space limited to `memory` bytes (0: no limit); at `deadline` it gets SIGTERM (gradcheck then
/// stops its own child), and SIGKILL for the whole group 2 s later; on stop_flag, the same. It gets
/// SIGTERM too if grade ends without waiting for it. Once it ended, whatever it left (in its
/// group; orphans that came to grade when a check was killed before it could stop its
/// implementation) is stopped (gradcheck/io/descendants.hpp).
Ran run_limited(const std::vector<std::string>& argv, const std::filesystem::path& cwd, const std::filesystem::path& out,
                const std::filesystem::path& err, std::chrono::steady_clock::time_point deadline, std::uint64_t memory);

}  // namespace gradcheck::cli
