// gradcheck: the command line. A thin layer over the library: parse, build the problem, check,
// print the report, map the outcome to an exit code (cli/cli.hpp). Each subcommand lives in
// its own file of cli/.

#include "cli/commands.hpp"
#include "gradcheck/io/descendants.hpp"
#include "gradcheck/util/allocator.hpp"

#include <fmt/format.h>

#include <iostream>
#include <thread>

using namespace gradcheck;
using namespace gradcheck::cli;

namespace {

/// What became of the report files, for the last line on stderr.
std::string reports_note(const std::string& subcommand) {
  if (subcommand == "grade") return "; the class table says INCOMPLETE";
  if (pending_reports.paths.empty()) return "; no report written";
  return pending_reports.shard ? "; the shard's file is removed (merge needs whole shards)"
                               : "; the report files say so (no stale report is left)";
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();  // before anything is allocated: J's temporaries reuse the heap (util/allocator.hpp)
  // gradcheck becomes the parent of whatever its implementations leave running (a daemon's double
  // fork, setsid) and stops it with them (io/descendants.hpp). On every way out of main, whatever
  // is still below gradcheck goes too: the promise is that nothing is left behind.
  descendants::adopt_orphans();
  struct LeaveNothing {
    ~LeaveNothing() {
      if (const std::size_t left = descendants::stop_all())
        std::cerr << "gradcheck: warning: " << left << " processes started by the implementation could not be stopped\n";
    }
  } leave_nothing;
  this_run();  // the run's identity, as its reports name it, fixed at its start
  for (int k = 0; k < argc; ++k) {
    const std::string a = k == 0 ? "gradcheck" : argv[k];
    invocation += (k ? " " : "") + (a.find_first_of(" '\"$") == std::string::npos ? a : "'" + a + "'");
  }
  CommandLine commands;
  if (const auto exit_now = parse_command_line(argc, argv, commands)) return *exit_now;

  // Every subcommand stops on SIGINT, SIGTERM or SIGHUP within a second and says so.
  install_stop_handlers();
  try {
    const int code = commands.subcommand == "merge"     ? run_merge(commands.merge)
                     : commands.subcommand == "catalog" ? run_catalog_command(commands.catalog)
                     : commands.subcommand == "fuzz"    ? run_fuzz(commands.fuzz)
                     : commands.subcommand == "explain" ? run_explain(commands.explain)
                     : commands.subcommand == "grade"   ? run_grade(commands.grade)
                                                        : run_check(commands.check);
    // A signal that came after the run's verdict was written changes nothing: the reports and the
    // exit code say that verdict.
    const bool wrote = pending_reports.written;
    if (stop_signal == 0 || (wrote && code < 128)) {
      settle_reports("gradcheck ended without writing this report");  // a subcommand that forgot: never stale
      return code;
    }
    settle_reports(fmt::format("interrupted by {} before a verdict", stop_signal_name()), true);
    std::cerr << "gradcheck: interrupted by " << stop_signal_name()
              << (wrote ? ": the report covers what was measured and is marked incomplete\n"
                        : ": stopped early" + reports_note(commands.subcommand) + "\n");
    return 128 + stop_signal;
  } catch (const Interrupted& e) {
    settle_reports(fmt::format("interrupted by {}: {}", stop_signal_name(), e.what()), true);
    std::cerr << "gradcheck: interrupted by " << stop_signal_name() << ": " << one_line(e.what()) << reports_note(commands.subcommand) << '\n';
    return 128 + stop_signal;
  } catch (const ImplementationError& e) {
    settle_reports("the implementation failed: " + std::string(e.what()));
    std::cout << "ERROR: the implementation failed: " << one_line(e.what()) << '\n';  // stdout opens with the verdict too
    std::cerr << "gradcheck: implementation failed: " << one_line(e.what()) << '\n';
    return implementation_failed;
  } catch (const std::invalid_argument& e) {
    settle_reports("bad input: " + std::string(e.what()));
    std::cerr << "gradcheck: error: " << one_line(e.what()) << '\n';
    return bad_usage;
  } catch (const std::runtime_error& e) {  // files that cannot be written
    settle_reports(e.what());
    std::cerr << "gradcheck: error: " << one_line(e.what()) << '\n';
    return bad_usage;
  } catch (const std::bad_alloc&) {
    settle_reports("out of memory");
    std::cerr << "gradcheck: error: out of memory; try a smaller --arch or fewer --examples\n";
    return bad_usage;
  } catch (const std::exception& e) {
    settle_reports("internal error: " + std::string(e.what()));
    std::cerr << "gradcheck: internal error: " << one_line(e.what()) << '\n';
    return internal_error;
  }
}

