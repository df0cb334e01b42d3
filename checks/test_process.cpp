// The child-process runner (io/process.hpp) against misbehaving children, and what it leaves
// behind (io/descendants.hpp): nothing.

#include "gradcheck/io/descendants.hpp"
#include "gradcheck/io/process.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

using namespace gradcheck;

namespace {

std::string run(const std::string& script, ChildLimits limits = {}, const std::string& request = "{\"id\": 1}") {
  try {
    Child child({"/bin/sh", "-c", script}, limits);
    return child.exchange(request, "request 1");
  } catch (const ImplementationError& e) {
    return std::string("error: ") + e.what();
  }
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(aChildAnswersLineByLine) {
  Child child({"/bin/sh", "-c", R"(while read line; do echo "{\"id\": 1, \"J\": 2}"; done)"});
  BOOST_TEST(child.exchange("{}", "request 1") == R"({"id": 1, "J": 2})");
  BOOST_TEST(child.exchange("{}", "request 2") == R"({"id": 1, "J": 2})");
}

BOOST_AUTO_TEST_CASE(misbehavingChildrenFailWithMessagesNotHangsOrCrashes) {
  ChildLimits quick;
  quick.timeout = std::chrono::milliseconds(300);
  BOOST_TEST(contains(run("sleep 5", quick), "no reply within 0.3 s"));
  BOOST_TEST(contains(run("read l; kill -SEGV $$"), "killed by signal 11"));
  BOOST_TEST(contains(run("read l; echo 'went wrong' >&2; exit 3"), "exited with code 3; its stderr ends: went wrong"));
  BOOST_TEST(contains(run("read l; printf '{\"id\": 1'"), "a partial line without its newline"));
  // A request larger than a pipe's buffer, to a child that never reads it.
  BOOST_TEST(contains(run("exec 0<&-; sleep 1", {}, std::string(1 << 20, ' ')), "closed its stdin"));
  ChildLimits small;
  small.max_reply_bytes = 1000;
  BOOST_TEST(contains(run("read l; head -c 5000 /dev/zero | tr '\\0' x; echo", small), "a reply longer than"));
  BOOST_TEST(contains(run("/nonexistent/program"), "exited with code 127"));
  try {
    Child child({"/nonexistent/program"});
    BOOST_FAIL("started a program that does not exist");
  } catch (const ImplementationError& e) {
    BOOST_TEST(contains(e.what(), "cannot start /nonexistent/program: No such file or directory"));
  }
}

BOOST_AUTO_TEST_CASE(aChildFloodingStderrDoesNotDeadlockAndOnlyItsTailIsKept) {
  // 4 MB on stderr before the reply: more than any pipe buffer holds.
  const std::string reply = run("head -c 4000000 /dev/zero | tr '\\0' e >&2; read l; echo '{\"id\": 1}'");
  BOOST_TEST(reply == R"({"id": 1})");
  Child child({"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' e >&2; read l; echo done"});
  child.exchange("{}", "request 1");
  BOOST_TEST(child.stderr_tail().size() <= ChildLimits{}.stderr_tail_bytes);
}

BOOST_AUTO_TEST_CASE(aStopWhileWaitingForAReplyIsAnInterruptionNotAFault) {
  StopFlag stop{false};
  ChildLimits limits;
  limits.stop = &stop;
  Child child({"/bin/sh", "-c", "read l; sleep 30"}, limits);
  std::thread ctrl_c([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  const auto start = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(child.exchange("{}", "request 1"), Interrupted);
  ctrl_c.join();
  BOOST_TEST(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 5);  // not its 30 s
}

BOOST_AUTO_TEST_CASE(noChildIsLeftBehind) {
  { Child child({"/bin/sh", "-c", "sleep 30"}); }          // ignores its closed stdin: killed
  { Child child({"/bin/sh", "-c", "read l; sleep 30"}); }  // likewise
  run("read l; kill -KILL $$");
  errno = 0;
  BOOST_TEST(waitpid(-1, nullptr, WNOHANG) == -1);  // no child at all, not even a zombie
  BOOST_TEST(errno == ECHILD);
}

namespace {

/// Whether `pid` runs (a zombie does not).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto comm_end = text.rfind(')');
  return comm_end != std::string::npos && comm_end + 2 < text.size() && text[comm_end + 2] != 'Z';
}

/// The pid a child wrote to `file`.
pid_t pid_in(const std::string& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  std::remove(file.c_str());
  return pid;
}

std::string pid_file(const char* name) { return "/tmp/gradcheck-" + std::string(name) + "-" + std::to_string(getpid()); }

}  // namespace

BOOST_AUTO_TEST_CASE(aDescendantThatLeftTheProcessGroupIsStoppedWithTheChild) {
  // setsid leaves the group (the group kill misses it), but the shell, its parent, still runs.
  const std::string file = pid_file("left-group");
  {
    Child child({"/bin/sh", "-c", "setsid sleep 30 & echo $! >" + file + "; read l; echo '{\"id\": 1}'; sleep 30"});
    child.exchange("{}", "request 1");
  }
  const pid_t pid = pid_in(file);
  BOOST_TEST(pid > 0);
  BOOST_TEST(!running(pid));
}

BOOST_AUTO_TEST_CASE(aDaemonIsStoppedWithItsImplementationInAProgramThatAdoptsOrphans) {
  // fork, setsid, and the process between exits: the daemon is no one's child, but this
  // program's once it adopts orphans; it is stopped and reaped with the implementation.
  BOOST_TEST(descendants::adopt_orphans());
  const std::string file = pid_file("daemon");
  {
    Child child({"/bin/sh", "-c", "(setsid sleep 30 & echo $! >" + file + "); read l; echo '{\"id\": 1}'"});
    child.exchange("{}", "request 1");
  }
  const pid_t pid = pid_in(file);
  BOOST_TEST(pid > 0);
  BOOST_TEST(!running(pid));
  errno = 0;
  BOOST_TEST(waitpid(-1, nullptr, WNOHANG) == -1);  // reaped: not even a zombie
  BOOST_TEST(errno == ECHILD);
}

BOOST_AUTO_TEST_SUITE_END()
