// gradcheck merge: the partial reports of `gradcheck check --shard i/N` joined into one.

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace gradcheck::cli {

/// Joins the shards' partial reports into the report of the whole check.
int run_merge(const MergeCommand& m) {
  // Promised first: a refused merge (a shard missing, from another check) leaves an error
  // report, never the last run's.
  promise_reports(with_default_reports(m.out, m.reports));
  check_report_paths(m.out);
  start_reports();
  const std::vector<std::string>& files = m.files;
  if (files.empty())
    throw std::invalid_argument("merge: no shard reports given; expected the N files that 'gradcheck check --shard i/N' "
                                "wrote (gradcheck merge reports/shard-*-of-N.json)");
  std::vector<Shard> shards;
  for (const auto& file : files) {
    if (std::filesystem::is_directory(file))
      throw std::invalid_argument(fmt::format("merge: {} is a folder; expected a shard report file", file));
    std::ifstream in(file, std::ios::binary);
    if (!in)
      throw std::invalid_argument(fmt::format("merge: {} {}; expected a shard report file", file,
                                              std::filesystem::exists(file) ? "cannot be read" : "is not there"));
    std::ostringstream text;
    text << in.rdbuf();
    shards.push_back(shard_from_json(text.str(), file));
  }
  Subject subject;
  const CheckResult result = merge(shards, subject);
  subject.run = this_run();  // the merge's: each shard names its own run
  if (stop_requested(&stop_flag)) throw Interrupted("gradcheck merge stopped before writing");
  const int code = report(result, subject, with_default_reports(m.out, m.reports), m.quiet);
  return code;
}

}  // namespace gradcheck::cli
