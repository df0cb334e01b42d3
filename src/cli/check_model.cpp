// gradcheck check --model -- COMMAND: a model gradcheck does not know, its parameters named
// tensors of any shape, checked against central differences of its own J (model.hpp).

#include "commands.hpp"

#include "gradcheck/check/model.hpp"
#include "gradcheck/diagnosis/model_diagnosis.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

namespace gradcheck::cli {

int run_model(const CheckCommand& c) {
  // Promised before anything is refused: a refused model check leaves error reports (Gradescope's
  // a score of 0), never the last run's PASS.
  const std::vector<std::string> out = with_default_reports(c.out, c.reports);
  promise_reports(out, false, c.gradescope, c.points);
  if (c.implementation.empty())
    throw std::invalid_argument("--model checks an implementation; give its command after --");
  if (!c.octave.empty() || !c.python_ex4.empty() || !c.problem.empty() || c.lambda_given || !c.shard.empty() || c.shrink ||
      !c.gradescope.empty() || c.planted != Mistake::none || c.complex_step)
    throw std::invalid_argument("--model: the implementation owns its data, λ and parameters; drop --octave, --python-ex4, "
                                "--problem, --lambda, --shard, --shrink, --gradescope, --plant and --complex-step");
  check_report_paths(out);
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
  if (c.jitter) options.jitter = Jitter{c.seed.value_or(0)};
  Progress progress(!c.quiet && isatty(STDERR_FILENO));
  options.check.difference.progress = [&progress](Index done, Index total) { progress(done, total); };
  options.check.difference.stop = &stop_flag;

  Implementation impl;
  impl.argv = c.implementation;
  std::unique_ptr<Child> started;
  Channel& child = open_channel(c, impl, started);
  PrintedOutput printed;
  ModelResult result = check_model(child, options, &printed);
  result.diagnosis = diagnose(result);
  const std::string title = fmt::format("{} against central differences of its own J{}{}", child.command(),
                                        c.directional ? ", along random directions" : "",
                                        c.jitter ? fmt::format(", at θ jittered (--jitter, --seed {})", c.seed.value_or(0)) : "");
  std::string text = format_text(result, title);
  if (printed.bytes > 0)
    text.insert(text.find("  J  "), fmt::format("  hint       your code printed {} bytes while it was checked; gradcheck kept "
                                                "that apart from the answers\n", printed.bytes));
  std::cout << (c.quiet ? text.substr(0, text.find('\n') + 1) : text);
  // Its own text and JSON (per tensor, with J); JUnit, Markdown and HTML as every check writes them.
  const std::vector<ReportPart> parts{model_part(result, title)};
  std::vector<std::string> contents;
  for (const auto& path : out) {
    const std::string extension = std::filesystem::path(path).extension().string();
    contents.push_back(extension == ".json" ? to_json(result, title) : extension == ".txt" ? text : formatted(path, parts));
  }
  const ReportLock lock(out);
  for (std::size_t k = 0; k < out.size(); ++k) {
    write_file_atomically(out[k], contents[k]);
    if (!c.quiet) std::cout << "report: " << out[k] << '\n';
  }
  pending_reports.written = true;
  if (result.cannot_judge) std::cerr << "gradcheck: cannot judge: " << *result.cannot_judge << '\n';
  return exit_code(outcome_of(parts));
}

}  // namespace gradcheck::cli
