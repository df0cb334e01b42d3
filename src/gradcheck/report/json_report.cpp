#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/run_report.hpp"
#include "gradcheck/report/parts.hpp"

#include "gradcheck/io/json_numbers.hpp"
#include "gradcheck/util/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace gradcheck {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* version = "0.1.0";

Json number(double x) { return json_numbers::write(x); }

/// Reads what number() wrote; `where` names the field for errors.
double number(const Json& j, const std::string& where) {
  if (const auto x = json_numbers::read(j)) return *x;
  throw std::invalid_argument(where + " is " + j.dump() + "; expected a number (or \"NaN\", \"Infinity\")");
}

Json entry(const EntryReport& e, const Names& names) {
  return Json{{"k", e.k},           {"name", names.entry(e.where)},   {"entry", format(e.where)},
              {"l", e.where.l},     {"i", e.where.i},                 {"j", e.where.j},
              {"analytic", number(e.analytic)}, {"numerical", number(e.numerical)},
              {"relative_error", number(e.relative_error)}};
}

Json tolerances(const Tolerances& t) {
  return Json{{"entry", number(t.entry)}, {"norm", number(t.norm)}, {"floor", number(t.floor)}, {"cost", number(t.cost)}};
}

/// How a report's names are kept in JSON ("octave", "w-out-in", …), and read back.
constexpr std::pair<Names::Style, const char*> name_styles[] = {
    {Names::Style::course, "course"},     {Names::Style::octave, "octave"},     {Names::Style::numpy, "numpy"},
    {Names::Style::w_out_in, "w-out-in"}, {Names::Style::w_in_out, "w-in-out"}, {Names::Style::eigen, "eigen"},
    {Names::Style::tensors, "tensors"},
};

std::string names_key(const Names& names) {
  for (const auto& [style, key] : name_styles)
    if (style == names.style()) return key;
  return "course";
}

Json subject(const Subject& s) {
  Json j{{"title", s.title},   {"network", s.network}, {"origin", s.origin}, {"parameters", s.parameters},
         {"examples", s.examples}, {"lambda", number(s.lambda)}, {"notes", s.notes},
         {"hints", s.hints}, {"names", names_key(s.names)}};
  if (!s.run.empty()) j["run"] = s.run;
  return j;
}

Json architecture(const Architecture& a) {
  Json hidden = Json::array();
  for (const Activation g : a.hidden) hidden.push_back(std::string(name(g)));
  return Json{{"sizes", a.sizes}, {"hidden", hidden}, {"output", std::string(name(a.output))}};
}

/// Field access with errors that name the file and the field.
class Reader {
 public:
  Reader(const Json& root, std::string source) : root_(root), source_(std::move(source)) {}

  const Json& at(const Json& j, const std::string& key, const std::string& where) const {
    if (!j.is_object() || !j.contains(key))
      throw std::invalid_argument(source_ + ": \"" + where + key + "\" is missing; expected a gradcheck shard report "
                                  "written by 'gradcheck check --shard i/N'");
    return j.at(key);
  }
  template <class T> T get(const Json& j, const std::string& key, const std::string& where = "") const {
    const Json& value = at(j, key, where);
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument(source_ + ": " + where + key + " is " + value.dump() + ", which is not of the expected type");
    }
  }
  double real(const Json& j, const std::string& key, const std::string& where = "") const {
    return number(at(j, key, where), source_ + ": " + where + key);
  }
  const Json& root() const { return root_; }
  const std::string& source() const { return source_; }

 private:
  const Json& root_;
  std::string source_;
};

bool same(const Tolerances& x, const Tolerances& y) {
  return x.entry == y.entry && x.norm == y.norm && x.floor == y.floor && x.cost == y.cost;
}

bool same(const Subject& x, const Subject& y) {
  return x.title == y.title && x.network == y.network && x.origin == y.origin && x.parameters == y.parameters &&
         x.examples == y.examples && x.lambda == y.lambda && x.notes == y.notes;
}

bool same(const Architecture& x, const Architecture& y) {
  return x.sizes == y.sizes && x.hidden == y.hidden && x.output == y.output;
}

}  // namespace

std::string to_json(const CheckResult& r, const Subject& s) {
  Json layers = Json::array();
  for (const LayerReport& layer : r.layers) {
    Json worst = Json::array();
    for (const auto& e : layer.worst) worst.push_back(entry(e, s.names));
    layers.push_back(Json{{"l", layer.l},
                          {"rows", layer.rows},
                          {"cols", layer.cols},
                          {"max_relative_error", number(layer.max_relative_error)},
                          {"mean_relative_error", number(layer.mean_relative_error)},
                          {"norm_figure", number(layer.norm_figure)},
                          {"norm_floored", layer.norm_floored},
                          {"mismatches", layer.mismatches},
                          {"kinks", layer.kinks},
                          {"unchecked", layer.unchecked},
                          {"unresolved", layer.unresolved},
                          {"in_noise", layer.in_noise},
                          {"pass", layer.pass && !report_detail::unmeasured(layer)},
                          {"worst", worst}});
  }
  Json worst = Json::array(), not_finite = Json::array();
  for (const auto& e : r.worst) worst.push_back(entry(e, s.names));
  for (const auto& e : r.not_finite) not_finite.push_back(entry(e, s.names));
  Json report{{"verdict", verdict_line(r, s.names)},
              {"outcome", word(outcome_of(r))},
              {"gradcheck", {{"version", version}, {"report", "check"}}},
              {"subject", subject(s)},
              {"method", r.method},
              {"evaluations", r.evaluations},
              {"tolerances", tolerances(r.tolerances)},
              {"pass", r.pass},
              {"complete", r.complete},
              {"norm_figure", number(r.norm_figure)},
              {"norm_floored", r.norm_floored},
              {"max_relative_error", number(r.max_relative_error)},
              {"kinks", r.kinks},
              {"unchecked", r.unchecked},
              {"not_finite", not_finite}};
  if (r.failure) report["failure"] = *r.failure;
  if (r.cannot_judge) report["cannot_judge"] = *r.cannot_judge;
  report["judged"] = !r.cannot_judge && !r.failure;
  if (r.cost)
    report["cost"] = Json{{"implementation", number(r.cost->implementation)},
                          {"reference", number(r.cost->reference)},
                          {"relative_error", number(r.cost->relative_error)},
                          {"rounding", number(r.cost->rounding)},
                          {"pass", r.cost->pass}};
  if (r.cost) report["gradient_pass"] = r.gradient_pass && !r.failure && !r.cannot_judge && r.complete;
  if (r.diagnosis) {
    const char* kinds[] = {"right", "recognised", "unrecognised"};
    report["diagnosis"] = Json{{"kind", kinds[static_cast<int>(r.diagnosis->kind)]},
                               {"mistakes", r.diagnosis->mistakes},
                               {"summary", r.diagnosis->summary},
                               {"where", r.diagnosis->where},
                               {"evidence", r.diagnosis->evidence},
                               {"wrong_layers", r.diagnosis->wrong_layers},
                               {"right_layers", r.diagnosis->right_layers},
                               {"gradient_said_right", r.diagnosis->gradient_said_right}};
  }
  report["layers"] = layers;
  report["worst"] = worst;
  return report.dump(2) + "\n";
}

std::string to_json(const Shard& shard) {
  const Measurements& m = shard.measured;
  Json analytic = Json::array(), numerical = Json::array(), kinks = Json::array(), stationary = Json::array();
  for (Index c = 0; c < m.analytic.size(); ++c) {
    analytic.push_back(number(m.analytic(c)));
    numerical.push_back(number(m.numerical(c)));
    if (!m.kinks.empty() && m.kinks[static_cast<std::size_t>(c)]) kinks.push_back(m.coordinates[static_cast<std::size_t>(c)]);
    if (!m.stationary.empty() && m.stationary[static_cast<std::size_t>(c)])
      stationary.push_back(m.coordinates[static_cast<std::size_t>(c)]);
  }
  Json report{{"gradcheck", {{"version", version}, {"report", "shard"}}},
                    {"shard", {{"index", shard.index}, {"count", shard.count}}},
                    {"subject", subject(shard.subject)},
                    {"architecture", architecture(shard.architecture)},
                    {"problem", shard.problem},
                    {"method", m.method},
                    {"tolerances", tolerances(shard.tolerances)},
                    {"worst", shard.worst},
                    {"evaluations", m.evaluations},
                    {"coordinates", m.coordinates},
                    {"analytic", analytic},
                    {"numerical", numerical},
                    {"kinks", kinks},
                    {"stationary", stationary}};
  if (!m.floors.empty()) {
    Json floors = Json::array();
    for (const double f : m.floors) floors.push_back(number(f));
    report["floors"] = floors;
  }
  if (shard.unjudgeable) report["cannot_judge"] = *shard.unjudgeable;
  if (shard.cost)
    report["cost"] = {{"implementation", number(shard.cost->implementation)},
                      {"reference", number(shard.cost->reference)},
                      {"relative_error", number(shard.cost->relative_error)},
                      {"rounding", number(shard.cost->rounding)},
                      {"pass", shard.cost->pass}};
  return report.dump(1) + "\n";
}

Shard shard_from_json(std::string_view text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw std::invalid_argument(source + ": is empty; expected a report written by 'gradcheck check --shard i/N'");
  Json root;
  try {
    root = Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: is not valid JSON (cut short, or not a report?) at byte {}; expected a "
                                            "report written by 'gradcheck check --shard i/N'", source, e.byte));
  }
  const Reader read(root, source);
  if (read.get<std::string>(read.at(root, "gradcheck", ""), "report", "gradcheck.") != "shard")
    throw std::invalid_argument(source + ": gradcheck.report is not \"shard\"; expected a report written by "
                                "'gradcheck check --shard i/N'");
  Shard shard;
  const Json& position = read.at(root, "shard", "");
  shard.index = read.get<Index>(position, "index", "shard.");
  shard.count = read.get<Index>(position, "count", "shard.");

  const Json& s = read.at(root, "subject", "");
  shard.subject.title = read.get<std::string>(s, "title", "subject.");
  shard.subject.network = read.get<std::string>(s, "network", "subject.");
  shard.subject.origin = read.get<std::string>(s, "origin", "subject.");
  shard.subject.parameters = read.get<Index>(s, "parameters", "subject.");
  shard.subject.examples = read.get<Index>(s, "examples", "subject.");
  shard.subject.lambda = read.real(s, "lambda", "subject.");
  shard.subject.notes = read.get<std::vector<std::string>>(s, "notes", "subject.");
  if (s.contains("names")) {
    const std::string key = read.get<std::string>(s, "names", "subject.");
    const auto* known = std::find_if(std::begin(name_styles), std::end(name_styles),
                                     [&](const auto& style) { return key == style.second && style.first != Names::Style::tensors; });
    if (known == std::end(name_styles))
      throw std::invalid_argument(fmt::format("{}: subject.names is \"{}\"; expected course, octave, numpy, w-out-in, w-in-out or eigen",
                                              source, terminal_safe(key, 40)));
    shard.subject.names = Names(known->first);
  }

  if (root.contains("problem")) shard.problem = read.get<std::string>(root, "problem", "");
  const Json& a = read.at(root, "architecture", "");
  shard.architecture.sizes = read.get<std::vector<Index>>(a, "sizes", "architecture.");
  try {
    for (const auto& g : read.get<std::vector<std::string>>(a, "hidden", "architecture."))
      shard.architecture.hidden.push_back(parse_activation(g));
    shard.architecture.output = parse_output(read.get<std::string>(a, "output", "architecture."));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": architecture: " + e.what());
  }

  const Json& t = read.at(root, "tolerances", "");
  shard.tolerances.entry = read.real(t, "entry", "tolerances.");
  shard.tolerances.norm = read.real(t, "norm", "tolerances.");
  shard.tolerances.floor = read.real(t, "floor", "tolerances.");
  shard.tolerances.cost = read.real(t, "cost", "tolerances.");
  // What check --shard can write, and no more: looser tolerances in a file would pass mistakes.
  const Tolerances& got = shard.tolerances;
  if (!(got.entry > 0 && got.entry <= ToleranceCaps::entry) || !(got.norm > 0 && got.norm <= ToleranceCaps::norm) ||
      !(got.floor > 0 && got.floor <= ToleranceCaps::floor) || !(got.cost > 0 && got.cost <= Tolerances{}.cost))
    throw std::invalid_argument(fmt::format(
        "{}: tolerances entry {:g}, norm {:g}, floor {:g}, J {:g} are outside what a check may use (entry ≤ {:g}, norm ≤ {:g}, "
        "0 < floor ≤ {:g}, J ≤ {:g}); expected a shard report as 'gradcheck check --shard' wrote it",
        source, got.entry, got.norm, got.floor, got.cost, ToleranceCaps::entry, ToleranceCaps::norm, ToleranceCaps::floor,
        Tolerances{}.cost));
  shard.worst = read.get<std::size_t>(root, "worst");

  Measurements& m = shard.measured;
  m.method = read.get<std::string>(root, "method");
  m.evaluations = read.get<std::size_t>(root, "evaluations");
  m.coordinates = read.get<std::vector<Index>>(root, "coordinates");
  const Json& analytic = read.at(root, "analytic", "");
  const Json& numerical = read.at(root, "numerical", "");
  const auto n = m.coordinates.size();
  if (!analytic.is_array() || !numerical.is_array() || analytic.size() != n || numerical.size() != n)
    throw std::invalid_argument(source + ": analytic and numerical must be arrays of " + std::to_string(n) +
                                " numbers, one per coordinate");
  m.analytic.resize(static_cast<Index>(n));
  m.numerical.resize(static_cast<Index>(n));
  for (std::size_t c = 0; c < n; ++c) {
    m.analytic(static_cast<Index>(c)) = number(analytic[c], source + ": analytic[" + std::to_string(c) + "]");
    m.numerical(static_cast<Index>(c)) = number(numerical[c], source + ": numerical[" + std::to_string(c) + "]");
  }
  m.kinks.assign(n, false);
  const auto at_kink = read.get<std::vector<Index>>(root, "kinks");
  for (std::size_t c = 0; c < n; ++c)
    m.kinks[c] = std::find(at_kink.begin(), at_kink.end(), m.coordinates[c]) != at_kink.end();
  if (root.contains("stationary")) {  // a layer of these with no entry resolved is not judged
    const auto flagged = read.get<std::vector<Index>>(root, "stationary");
    m.stationary.assign(n, false);
    for (std::size_t c = 0; c < n; ++c)
      m.stationary[c] = std::find(flagged.begin(), flagged.end(), m.coordinates[c]) != flagged.end();
  }
  if (root.contains("floors")) {  // judge() holds each to 0 < floor ≤ the tolerances' floor
    const Json& floors = read.at(root, "floors", "");
    if (!floors.is_array() || floors.size() != n)
      throw std::invalid_argument(source + ": floors must be an array of " + std::to_string(n) +
                                  " numbers, one per coordinate");
    for (std::size_t c = 0; c < n; ++c) m.floors.push_back(number(floors[c], source + ": floors[" + std::to_string(c) + "]"));
  }
  if (root.contains("cannot_judge")) shard.unjudgeable = read.get<std::string>(root, "cannot_judge");
  if (root.contains("cost")) {
    const Json& j = read.at(root, "cost", "");
    CostComparison cost;
    cost.implementation = number(read.at(j, "implementation", "cost."), source + ": cost.implementation");
    cost.reference = number(read.at(j, "reference", "cost."), source + ": cost.reference");
    cost.relative_error = number(read.at(j, "relative_error", "cost."), source + ": cost.relative_error");
    if (j.contains("rounding")) cost.rounding = number(j["rounding"], source + ": cost.rounding");
    // Judged again here, not taken from the file: a shard cannot say "pass" for numbers that do not.
    cost.pass = cost.judge(shard.tolerances.cost);
    shard.cost = cost;
  }
  return shard;
}

CheckResult merge(const std::vector<Shard>& shards, Subject& subject) {
  if (shards.empty()) throw std::invalid_argument("no shard reports given; expected the N files of one sharded check");
  const Shard& first = shards.front();
  const auto N = first.count;
  if (static_cast<Index>(shards.size()) != N)
    throw std::invalid_argument(std::to_string(shards.size()) + " shard reports given; expected all N = " +
                                std::to_string(N) + " of the check");
  std::vector<bool> present(static_cast<std::size_t>(N) + 1, false);
  Measurements all;
  all.method = first.measured.method;
  for (const Shard& shard : shards) {
    const std::string which = "shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count);
    if (shard.count != N || !same(shard.subject, first.subject) || !same(shard.architecture, first.architecture) ||
        !same(shard.tolerances, first.tolerances) || shard.worst != first.worst || shard.measured.method != all.method)
      throw std::invalid_argument(which + " belongs to a different check than shard " + std::to_string(first.index) +
                                  "/" + std::to_string(N) + " (network, problem, method or tolerances differ)");
    if (shard.problem != first.problem)
      throw std::invalid_argument(which + " was measured on other data than shard " + std::to_string(first.index) + "/" +
                                  std::to_string(N) + " (X, y, λ or Θ differ: did the problem file change between the "
                                  "jobs?); run every shard on the same problem");
    if (shard.index < 1 || shard.index > N || present[static_cast<std::size_t>(shard.index)])
      throw std::invalid_argument(which + " is given twice or does not exist; expected each of 1 … " +
                                  std::to_string(N) + " once");
    present[static_cast<std::size_t>(shard.index)] = true;
    const Measurements& m = shard.measured;
    all.coordinates.insert(all.coordinates.end(), m.coordinates.begin(), m.coordinates.end());
    all.kinks.insert(all.kinks.end(), m.kinks.begin(), m.kinks.end());
    if (m.stationary.empty()) all.stationary.insert(all.stationary.end(), m.coordinates.size(), false);
    else all.stationary.insert(all.stationary.end(), m.stationary.begin(), m.stationary.end());
    if (m.floors.empty()) all.floors.insert(all.floors.end(), m.coordinates.size(), first.tolerances.floor);
    else all.floors.insert(all.floors.end(), m.floors.begin(), m.floors.end());
    all.evaluations += m.evaluations;
  }
  all.analytic.resize(static_cast<Index>(all.coordinates.size()));
  all.numerical.resize(static_cast<Index>(all.coordinates.size()));
  Index at = 0;
  for (const Shard& shard : shards) {
    const auto n = shard.measured.analytic.size();
    all.analytic.segment(at, n) = shard.measured.analytic;
    all.numerical.segment(at, n) = shard.measured.numerical;
    at += n;
  }
  CheckOptions options;
  options.tolerances = first.tolerances;
  options.worst = first.worst;
  subject = first.subject;
  const Layout layout(first.architecture);
  all.own_J = all.method.find("own J") != std::string::npos;
  CheckResult result = judge(layout, all, options);
  // An implementation's entries still on a kink were judged by nothing (the reference's own
  // check skips them, and says so).
  const bool self = all.method.find("own J") != std::string::npos;
  if (const std::string why = unjudged_kinks(all, layout, self, first.subject.names); !why.empty() && result.pass && (self || first.cost))
    result.cannot_judge = why, result.pass = false;
  const auto D_l = [](Index l) { return "D^(" + std::to_string(l) + ")"; };
  if (const std::string why =
          self || !first.cost ? at_stationary_point(result, D_l, "a random θ, or against the reference (drop --self), which judges small entries by its exact D")
                              : within_its_rounding(result, D_l, first.cost->rounding > 0 ? "float32" : "float64");
      !why.empty() && result.pass)
    result.cannot_judge = why, result.pass = false;
  // J too noisy to judge any part of the check by, as a shard measured it: no verdict stands.
  for (const Shard& shard : shards)
    if (shard.unjudgeable) result.cannot_judge = *shard.unjudgeable, result.pass = false;
  // An implementation's J, as each shard compared it: the worst comparison stands for all.
  for (const Shard& shard : shards) {
    if (shard.cost.has_value() != first.cost.has_value())
      throw std::invalid_argument("shard " + std::to_string(shard.index) + "/" + std::to_string(N) +
                                  " belongs to a different check (J compared in some shards, not in others)");
    if (shard.cost && (!result.cost || !(shard.cost->relative_error <= result.cost->relative_error))) result.cost = shard.cost;
  }
  if (result.cost) {
    result.gradient_pass = result.pass;
    result.pass = result.pass && result.cost->pass;
  }
  return result;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  // A temporary of this process's own (mkstemp) in the target's folder, written, synced, then
  // renamed over the target: concurrent runs writing one path each leave a whole file of theirs,
  // the last rename wins, and no run ever reads or removes another's temporary.
  const auto cannot = [&](const std::string& doing, int error) {
    return std::runtime_error(fmt::format("cannot write {}: {} ({})", path, doing, std::strerror(error)));
  };
  struct stat there {};  // a report replaces a regular file only: never /dev/null, a FIFO, a link
  if (lstat(path.c_str(), &there) == 0 && !S_ISREG(there.st_mode))
    throw std::runtime_error(fmt::format("cannot write {}: it is not a regular file; refusing to replace it", path));
  std::string temporary = path + ".partial-XXXXXX";
  const int fd = mkstemp(temporary.data());
  if (fd < 0) throw cannot("cannot create a temporary file beside it", errno);
  fchmod(fd, 0644);
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t put = write(fd, content.data() + written, content.size() - written);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      const int error = put < 0 ? errno : EIO;
      close(fd);
      unlink(temporary.c_str());
      throw cannot("writing failed", error);
    }
    written += static_cast<std::size_t>(put);
  }
  if (fsync(fd) != 0 && errno != EINVAL) {
    const int error = errno;
    close(fd);
    unlink(temporary.c_str());
    throw cannot("syncing failed", error);
  }
  close(fd);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temporary.c_str());
    throw cannot("renaming the temporary file onto it failed", error);
  }
}

}  // namespace gradcheck
