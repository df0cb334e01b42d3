// gradcheck check --model -- COMMAND: a model gradcheck does not know, its parameters named
// tensors of any shape, checked against central differences of its own J (model.hpp).

#include "commands.hpp"

#include "gradcheck/check/model.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace gradcheck::cli {

int run_model(const CheckCommand& c) {
  if (c.implementation.empty())
    throw std::invalid_argument("--model checks an implementation; give its command after --");
  if (!c.octave.empty() || !c.python_ex4.empty() || !c.problem.empty() || c.lambda_given || !c.shard.empty() || c.shrink ||
      !c.gradescope.empty() || c.planted != Mistake::none || c.complex_step)
    throw std::invalid_argument("--model: the implementation owns its data, λ and parameters; drop --octave, --python-ex4, "
                                "--problem, --lambda, --shard, --shrink, --gradescope, --plant and --complex-step");
  promise_reports(c.out);  // before any path is checked: one refused leaves error reports in the others
  for (const auto& path : c.out) {
    const std::string extension = std::filesystem::path(path).extension().string();
    if (extension != ".json" && extension != ".txt")
      throw std::invalid_argument(fmt::format("--out {}: a model check writes .json or .txt reports", path));
  }
  check_report_paths(c.out);
  start_reports();
  ModelOptions options;
  options.check = c.options;
  options.check.tolerances =
      sound_tolerances(options.check.difference, c.entry_tolerance, c.norm_tolerance, options.check.tolerances.floor);
  require_resolvable(options.check.difference, options.check.tolerances);
  options.sample_per_tensor = c.sample;
  options.seed = c.seed.value_or(0);
  options.protocol = c.protocol;
  if (c.directional) options.directional = directional_options(c, options.check.tolerances);
  Progress progress(!c.quiet && isatty(STDERR_FILENO));
  options.check.difference.progress = [&progress](Index done, Index total) { progress(done, total); };
  options.check.difference.stop = &stop_flag;

  Child child(c.implementation, child_limits(c.timeout, c.max_reply_mib));
  PrintedOutput printed;
  const ModelResult result = check_model(child, options, &printed);
  const std::string title = fmt::format("{} against central differences of its own J{}", child.command(),
                                        c.directional ? ", along random directions" : "");
  std::string text = format_text(result, title);
  if (printed.bytes > 0)
    text.insert(text.find("  J  "), fmt::format("  hint       your code printed {} bytes while it was checked; gradcheck kept "
                                                "that apart from the answers\n", printed.bytes));
  std::cout << (c.quiet ? text.substr(text.rfind('\n', text.size() - 2) + 1) : text);
  const ReportLock lock(c.out);
  for (const auto& path : c.out) {
    const bool json = std::filesystem::path(path).extension() == ".json";
    write_file_atomically(path, json ? to_json(result, title) : text);
    if (!c.quiet) std::cout << "report: " << path << '\n';
  }
  pending_reports.written = true;
  if (!result.directional && !result.result.complete) throw Interrupted("the model check was stopped part-way");
  if (result.cannot_judge) {
    std::cerr << "gradcheck: cannot judge: " << *result.cannot_judge << '\n';
    return cannot_judge_exit;
  }
  return result.pass ? pass : mismatch;
}

}  // namespace gradcheck::cli
