// An implementation moved into a sandbox for check and fuzz (--sandbox DIR): its command wrapped
// in the sandbox's tools, gradcheck's drivers readable there, its memory bounded.

#include "cli.hpp"

#include "gradcheck/io/sandbox.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

#include <unistd.h>

namespace gradcheck::cli {

void confine(Implementation& impl, ChildLimits& limits, sandbox::Sandbox box) {
  if (!sandbox::enabled(box)) {
    if (!box.user.empty() || !box.namespaces)
      throw std::invalid_argument("--sandbox-user and --sandbox-no-namespaces apply to a sandbox; add --sandbox DIR");
    return;
  }
  std::error_code ec;
  box.folder = std::filesystem::absolute(box.folder, ec);
  if (!std::filesystem::is_directory(box.folder, ec))
    throw std::invalid_argument(fmt::format("--sandbox {}: not a folder; expected the folder that holds the implementation "
                                            "(the only one it may write, as a size-capped copy)", box.folder.string()));
  if (!box.user.empty() && geteuid() != 0)
    throw std::invalid_argument("--sandbox-user needs gradcheck to run as root (it switches to that user)");
  if (!box.user.empty() && !sandbox::account(box.user))
    throw std::invalid_argument(fmt::format("--sandbox-user {}: no such user", box.user));
  if (box.user.empty() && !box.namespaces)
    throw std::invalid_argument("--sandbox-no-namespaces leaves the user as the only confinement; add --sandbox-user NAME");
  if (impl.driver) {
    box.readable.push_back(impl.driver->path());
    // mkdtemp made it for gradcheck's user alone; the sandbox's user reads the driver, nothing more.
    for (auto it = std::filesystem::recursive_directory_iterator(impl.driver->path(), ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      std::filesystem::permissions(it->path(), std::filesystem::perms::others_read | std::filesystem::perms::group_read |
                                   (it->is_directory() ? std::filesystem::perms::others_exec | std::filesystem::perms::group_exec
                                                       : std::filesystem::perms::none),
                                   std::filesystem::perm_options::add, ec);
    std::filesystem::permissions(impl.driver->path(), std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add, ec);
  }
  for (const auto& a : impl.argv)
    limits.shown_as += (limits.shown_as.empty() ? "" : " ") + (a.find_first_of(" '\"") == std::string::npos ? a : "'" + a + "'");
  impl.argv = sandbox::command(box, impl.argv);
  // The kernel's bound where gradcheck may make a control group (root), the watch's everywhere.
  impl.cgroup = sandbox::Cgroup::make(box.memory_mib << 20, box.processes);
  if (impl.cgroup) impl.argv = impl.cgroup->enter(impl.argv);
  limits.memory_bytes = box.memory_mib << 20;
}

}  // namespace gradcheck::cli
