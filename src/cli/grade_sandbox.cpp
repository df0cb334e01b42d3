// How grade confines the students' code: the strongest sandbox the machine allows, decided once
// for the class (gradcheck/io/sandbox.hpp), and how long a reply of a student's code may take.

#include "grade.hpp"

#include "gradcheck/io/sandbox.hpp"
#include "gradcheck/model/backprop.hpp"
#include "gradcheck/model/course.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <unistd.h>

namespace gradcheck::cli {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

/// Whether a user other than the owner (and not in its group) may reach `path`: every folder
/// above it searchable by others, and it readable or searchable by them.
bool reachable_by_others(const fs::path& path) {
  std::error_code ec;
  const auto others = [&](const fs::path& p, fs::perms wanted) {
    const auto perms = fs::status(p, ec).permissions();
    return !ec && (perms & wanted) != fs::perms::none;
  };
  if (!fs::exists(path, ec)) return false;
  if (!others(path, fs::perms::others_read | fs::perms::others_exec)) return false;
  for (fs::path above = fs::weakly_canonical(path, ec).parent_path(); !above.empty(); above = above.parent_path()) {
    if (!others(above, fs::perms::others_exec)) return false;
    if (above == above.root_path()) break;
  }
  return true;
}

/// Whether every folder from / down to `path` may be searched by any user.
bool searchable_by_others(const fs::path& path) {
  std::error_code ec;
  for (fs::path p = fs::weakly_canonical(path, ec); !ec && !p.empty(); p = p.parent_path()) {
    if ((fs::status(p, ec).permissions() & fs::perms::others_exec) == fs::perms::none || ec) return false;
    if (p == p.root_path()) return true;
  }
  return false;
}

}  // namespace

SandboxPlan plan_sandbox(const GradeCommand& g) {
  SandboxPlan plan;
  if (g.no_sandbox) {
    plan.enabled = false;
    plan.described = "none (--no-sandbox): the students' code ran as the teacher's user, with the teacher's files, the "
                     "network and every other student's work in reach; no grade here is safe from a hostile student";
    return plan;
  }
  const bool root = geteuid() == 0;
  // The students' users must reach their scratch copies and gradcheck's drivers, made in TMPDIR:
  // a private one (a folder of root's alone) is left for /tmp, whose sticky bit keeps users apart.
  if (const char* tmp = std::getenv("TMPDIR"); root && tmp && *tmp && !searchable_by_others(tmp)) setenv("TMPDIR", "/tmp", 1);
  try {
    // One user per worker: killing every process of one student's user never reaches another's.
    for (unsigned k = 1; root && k <= std::max(1u, g.jobs); ++k) plan.users.push_back(std::make_shared<sandbox::Lease>());
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("cannot sandbox the students' code: ") + e.what() +
                                "; or pass --no-sandbox to run it as yourself, unconfined");
  }
  TemporaryFolder probe_folder;
  const fs::path inside = probe_folder.path() / "submission";
  fs::create_directories(inside);
  sandbox::Sandbox box;
  box.folder = inside;
  box.user = root ? plan.users.front()->user() : "";
  box.memory_mib = g.memory_mib;
  box.processes = g.processes;
  box.scratch_mib = g.scratch_mib;
  if (root) sandbox::give_to(probe_folder.path(), *sandbox::account(box.user));
  if (g.sandbox == "user" && !root)
    throw std::invalid_argument("--sandbox user runs each student's code as an unprivileged user, which only root can do; "
                                "run grade as root, or use --sandbox auto");
  const std::string why = g.sandbox == "user" ? "--sandbox user" : sandbox::probe(box);
  // Each worker's students run as its own user: say so once, not as the first worker's.
  const auto described = [&] {
    std::string text = sandbox::describe(box);
    if (plan.users.size() > 1)
      if (const auto at = text.find(box.user); at != std::string::npos)
        text.replace(at, box.user.size(), fmt::format("{} and {} more (one per worker)", box.user, plan.users.size() - 1));
    return text;
  };
  if (why.empty()) {
    plan.described = described();
    return plan;
  }
  if (root && g.sandbox != "bubblewrap") {  // Docker's default seccomp profile forbids namespaces: the users alone
    box.namespaces = plan.namespaces = false;
    const std::string also = sandbox::probe(box);
    // Without namespaces the users see what every user may read: nobody's work may be among it.
    for (const fs::path& kept : {fs::absolute(g.submissions), fs::absolute(g.out), fs::path(GRADCHECK_FIXTURES)})
      if (also.empty() && reachable_by_others(kept))
        throw std::invalid_argument(fmt::format(
            "the students' code would run as unprivileged users without namespaces{}, and every user may read {}; make it "
            "unreadable to them (chmod o-rwx on it or on a folder above it), or grade where bubblewrap works",
            g.sandbox == "user" ? "" : " (" + why + ")", kept.string()));
    if (also.empty()) {
      plan.described = described() + " (" + why + ")";
      return plan;
    }
    throw std::invalid_argument(fmt::format("cannot sandbox the students' code: {}; and as an unprivileged user: {}; "
                                            "fix that, or pass --no-sandbox to run it as yourself, unconfined", why, also));
  }
  throw std::invalid_argument(fmt::format(
      "cannot sandbox the students' code: {}; let unprivileged users create namespaces (sysctl "
      "kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; in Docker, a seccomp profile that allows "
      "them), or run grade as root (each student's code then runs as an unprivileged user), or pass --no-sandbox to "
      "run it as yourself, unconfined", why));
}

double request_timeout(double floor_seconds) {
  const Instance at = random_instance(make_architecture("400-25-10", Activation::sigmoid, Output::sigmoid_logistic), 16, 3, 1);
  const auto started = Clock::now();
  (void)backprop(at.problem, at.theta);
  const double took = std::chrono::duration<double>(Clock::now() - started).count();
  return std::max(floor_seconds, 1000 * took);
}

}  // namespace gradcheck::cli
