// gradcheck: the command line. A thin layer over the library: parse, build the problem, check,
// print the report, map the outcome to an exit code (cli/cli.hpp). Each subcommand lives in
// its own file of cli/.

#include "cli/commands.hpp"

#include <fmt/format.h>

#include <iostream>
#include <thread>

using namespace gradcheck;
using namespace gradcheck::cli;

namespace {

/// What became of the report files, for the last line on stderr.
std::string reports_note() {
  if (pending_reports.paths.empty()) return "; no report written";
  return pending_reports.shard ? "; the shard's file is removed (merge needs whole shards)"
                               : "; the report files say so (no stale report is left)";
}

}  // namespace

int main(int argc, char** argv) {
  for (int k = 0; k < argc; ++k) {
    const std::string a = k == 0 ? "gradcheck" : argv[k];
    invocation += (k ? " " : "") + (a.find_first_of(" '\"$") == std::string::npos ? a : "'" + a + "'");
  }
  CLI::App app{"gradcheck: tells whether a backpropagation implementation is right, and if not, where."};
  app.set_version_flag("--version", "gradcheck 0.1.0");
  app.require_subcommand(1);
  app.footer("Run 'gradcheck check --help', 'gradcheck fuzz --help' or 'gradcheck merge --help' for their options.\n"
             "With no options, 'gradcheck check' reproduces the course's checkNNGradients.");
  CheckCommand check;
  check.options.threads = std::max(1u, std::thread::hardware_concurrency());
  add_check(app, check);
  MergeCommand merge;
  add_merge(app, merge);
  FuzzCommand fuzz_command;
  add_fuzz(app, fuzz_command);
  CatalogCommand catalog_command;
  add_catalog(app, catalog_command);
  ExplainCommand explain_command;
  add_explain(app, explain_command);

  const auto known = [&](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->get_name() == name) return true;
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {  // CLI11 would say one is "required"
    std::cerr << "gradcheck: error: unknown subcommand '" << one_line(argv[1])
              << "'; expected check, merge, fuzz, catalog or explain (see 'gradcheck --help')\n";
    return bad_usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "gradcheck: error: " << one_line(e.what()) << " (see 'gradcheck --help')\n";
    return bad_usage;
  }

  // An empty value is a mistake (an unset shell variable, say), never a request for the default:
  // `--problem ""` must not quietly check the reference instead.
  for (const CLI::App* sub : app.get_subcommands())
    for (const CLI::Option* option : sub->get_options()) {
      const auto& given = option->results();
      const bool command = option->get_name() == "implementation";
      for (std::size_t k = 0; k < (command ? std::min<std::size_t>(1, given.size()) : given.size()); ++k)
        if (given[k].empty() || given[k].find_first_not_of(" \t") == std::string::npos) {
          std::cerr << "gradcheck: error: " << sub->get_name() << ' '
                    << (command ? std::string("--") : option->get_name())
                    << (command ? ": the implementation's command is empty; expected a program after --, e.g. -- "
                                  "/usr/bin/python3 my_backprop.py"
                                : " is given an empty value; expected a value (drop the option for its default)")
                    << '\n';
          return bad_usage;
        }
    }

  // Every subcommand stops on SIGINT, SIGTERM or SIGHUP within a second and says so.
  install_stop_handlers();
  try {
    const int code = app.got_subcommand("merge")     ? run_merge(merge)
                     : app.got_subcommand("catalog") ? run_catalog_command(catalog_command)
                     : app.got_subcommand("fuzz")    ? run_fuzz(fuzz_command)
                     : app.got_subcommand("explain") ? run_explain(explain_command)
                                                     : run_check(check);
    if (stop_signal == 0) {
      settle_reports("gradcheck ended without writing this report");  // a subcommand that forgot: never stale
      return code;
    }
    const bool wrote = pending_reports.written;
    settle_reports(fmt::format("interrupted by {} before a verdict", stop_signal_name()));
    std::cerr << "gradcheck: interrupted by " << stop_signal_name()
              << (wrote ? ": the report covers what was measured and is marked incomplete\n"
                        : ": stopped early" + reports_note() + "\n");
    return 128 + stop_signal;
  } catch (const Interrupted& e) {
    settle_reports(fmt::format("interrupted by {}: {}", stop_signal_name(), e.what()));
    std::cerr << "gradcheck: interrupted by " << stop_signal_name() << ": " << one_line(e.what()) << reports_note() << '\n';
    return 128 + stop_signal;
  } catch (const ImplementationError& e) {
    settle_reports("the implementation failed: " + std::string(e.what()));
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

