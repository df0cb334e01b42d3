// A command under limits of time and memory, for grade: started, watched, stopped with all it left.

#include "limited_run.hpp"

#include "cli.hpp"
#include "gradcheck/io/descendants.hpp"
#include "gradcheck/util/stop.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gradcheck::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Ran run_limited(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& out, const fs::path& err,
                Clock::time_point deadline, std::uint64_t memory) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string out_path = out.string(), err_path = err.string(), dir = cwd.string();
  const pid_t parent = getpid();
  pid_t pid = -1;
  {
    descendants::Spawning spawning;
    pid = fork();
    if (pid == 0) {  // only async-signal-safe calls until exec
      setpgid(0, 0);
#ifdef PR_SET_PDEATHSIG
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // grade killed: the check still stops its implementation
      if (getppid() != parent) _exit(127);
#endif
      if (memory > 0) {
        const rlimit limit{memory, memory};
        setrlimit(RLIMIT_AS, &limit);
      }
      // Close-on-exec: only the copies on 0, 1 and 2 reach the check, and nothing of grade's
      // reaches what the check starts (a student's code wrote into check.out through them).
      const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
      const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (in < 0 || o < 0 || e < 0 || chdir(dir.c_str()) != 0) _exit(127);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pid > 0) spawning.own(pid);
  }
  if (pid < 0) throw std::runtime_error(std::string("cannot start a check: fork failed: ") + std::strerror(errno));
  setpgid(pid, pid);  // either side may win the race; both set the same group
  Ran ran;
  int status = 0;
  Clock::time_point killed_at{};
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    const auto now = Clock::now();
    const bool stopping = stop_requested(&stop_flag);
    if ((now >= deadline || stopping) && killed_at == Clock::time_point{}) {
      ran.timed_out = !stopping;
      kill(-pid, SIGTERM);
      killed_at = now;
    } else if (killed_at != Clock::time_point{} && now - killed_at > std::chrono::seconds(2)) {
      kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  descendants::disown(pid);
  descendants::stop(0, pid);  // whatever it left behind, in its group or not
  if (WIFEXITED(status)) ran.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) ran.signal = WTERMSIG(status);
  return ran;
}

}  // namespace gradcheck::cli
