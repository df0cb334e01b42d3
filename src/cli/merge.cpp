// gradcheck merge: the partial reports of `gradcheck check --shard i/N` joined into one.

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gradcheck::cli {

/// Joins the shards' partial reports into the report of the whole check.
int run_merge(const MergeCommand& m) {
  const std::vector<std::string>& files = m.files;
  std::vector<Shard> shards;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::invalid_argument(fmt::format("cannot read {}; expected a shard report file", file));
    std::ostringstream text;
    text << in.rdbuf();
    shards.push_back(shard_from_json(text.str(), file));
  }
  Subject subject;
  const CheckResult result = merge(shards, subject);
  promise_reports(with_default_reports(m.out, m.reports));
  if (stop_requested(&stop_flag)) throw Interrupted("gradcheck merge stopped before writing");
  return report(result, subject, with_default_reports(m.out, m.reports), m.quiet);
}

void add_merge(CLI::App& app, MergeCommand& m) {
  auto* merge = app.add_subcommand("merge", "Join the partial reports of 'gradcheck check --shard i/N' into one report");
  merge->add_option("files", m.files, "The N shard reports (any order)")->required()->check(CLI::ExistingFile);
  merge->add_option("-o,--out", m.out,
                    "Write the report of the whole check here; the format follows the extension: .json, .xml "
                    "(JUnit), .md (Markdown), .txt; repeat for several")
      ->allow_extra_args(false);  // one file per -o
  merge->add_flag("--reports", m.reports, "Write the report in every format under reports/ (gradcheck.txt, .json, .xml, .md, .html)");
  merge->add_flag("-q,--quiet", m.quiet, "Print only the verdict line");
  merge->footer(R"(The merged report is identical to the one an unsharded run prints.

Examples:
  for i in 1 2 3 4; do gradcheck check --arch 784-256-128-10 --seed 1 --shard $i/4 & done; wait
  gradcheck merge reports/shard-*-of-4.json --out reports/check.json

Exit codes: 0 pass, 1 gradient mismatch, 2 bad usage or shard files that are not the N parts of one check.)");
}

}  // namespace gradcheck::cli
