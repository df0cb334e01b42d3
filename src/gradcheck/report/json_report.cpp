// JSON reports of a check and of a run: stable keys, every number, the verdict first.

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/run_report.hpp"
#include "gradcheck/report/parts.hpp"

#include "gradcheck/io/json_numbers.hpp"
#include "gradcheck/util/text.hpp"
#include "gradcheck/report/shard_claims.hpp"
#include "gradcheck/report/shard_json.hpp"

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
  throw std::invalid_argument(where + " is " + shard_json::shown(j) + "; expected a number (or \"NaN\", \"Infinity\")");
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
      throw std::invalid_argument(source_ + ": " + where + key + " is " + shard_json::shown(value) + ", which is not of the expected type");
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
    if (!layer.unusable.empty()) layers.back()["unusable"] = layer.unusable;
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
  if (!r.side_effects.empty()) report["side_effects"] = r.side_effects;  // each a mistake: the check fails
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

const char* const report_version = version;

namespace {

using namespace shard_json;

/// The subject and the network of a shard, the network's parameters those the subject counts.
void read_network(const Reader& read, const Json& root, Shard& shard) {
  const std::string& source = read.source();
  const Json& s = read.at(root, "subject", "");
  shard.subject.title = read.get<std::string>(s, "title", "subject.");
  shard.subject.network = read.get<std::string>(s, "network", "subject.");
  shard.subject.origin = read.get<std::string>(s, "origin", "subject.");
  shard.subject.parameters = integer(read.at(s, "parameters", "subject."), "subject.parameters", 1, max_parameters, source);
  shard.subject.examples = integer(read.at(s, "examples", "subject."), "subject.examples", 1, max_activations, source);
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

  shard.problem = read.get<std::string>(root, "problem", "");
  const Json& a = read.at(root, "architecture", "");
  const Json& sizes = read.at(a, "sizes", "architecture.");
  if (!sizes.is_array() || sizes.size() < 2 || sizes.size() > 1000)
    throw std::invalid_argument(fmt::format("{}: architecture.sizes is {}; expected 2 to 1000 layer sizes", source, shown(sizes)));
  for (std::size_t l = 0; l < sizes.size(); ++l)
    shard.architecture.sizes.push_back(integer(sizes[l], fmt::format("architecture.sizes[{}]", l), 1, max_parameters, source));
  try {
    for (const auto& g : read.get<std::vector<std::string>>(a, "hidden", "architecture."))
      shard.architecture.hidden.push_back(parse_activation(g));
    shard.architecture.output = parse_output(read.get<std::string>(a, "output", "architecture."));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": architecture: " + e.what());
  }
  const Index P = parameters_within_limit(shard.architecture.sizes);
  if (shard.architecture.hidden.size() + 2 != shard.architecture.sizes.size() || P != shard.subject.parameters)
    throw std::invalid_argument(fmt::format("{}: architecture {} with {} hidden activations {} parameters; expected one "
                                            "activation per hidden layer and subject.parameters = {} parameters",
                                            source, shown(sizes), shard.architecture.hidden.size(),
                                            P < 0 ? "has more than 100000000" : fmt::format("has {}", P), shard.subject.parameters));
}

/// The tolerances, no looser than a check may use: looser ones in a file would pass mistakes.
Tolerances read_tolerances(const Reader& read, const Json& root) {
  const Json& t = read.at(root, "tolerances", "");
  Tolerances got;
  got.entry = read.real(t, "entry", "tolerances.");
  got.norm = read.real(t, "norm", "tolerances.");
  got.floor = read.real(t, "floor", "tolerances.");
  got.cost = read.real(t, "cost", "tolerances.");
  if (!(got.entry > 0 && got.entry <= ToleranceCaps::entry) || !(got.norm > 0 && got.norm <= ToleranceCaps::norm) ||
      !(got.floor > 0 && got.floor <= ToleranceCaps::floor) || !(got.cost > 0 && got.cost <= Tolerances{}.cost))
    throw std::invalid_argument(fmt::format(
        "{}: tolerances entry {:g}, norm {:g}, floor {:g}, J {:g} are outside what a check may use (entry ≤ {:g}, norm ≤ {:g}, "
        "0 < floor ≤ {:g}, J ≤ {:g}); expected a shard report as 'gradcheck check --shard' wrote it",
        read.source(), got.entry, got.norm, got.floor, got.cost, ToleranceCaps::entry, ToleranceCaps::norm,
        ToleranceCaps::floor, Tolerances{}.cost));
  return got;
}

/// The measurements of shard i of N: its coordinates exactly shard_coordinates()'s, counted before
/// they are read, one value of each kind per coordinate, flags only on its coordinates.
Measurements read_measurements(const Reader& read, const Json& root, const Shard& shard) {
  const std::string& source = read.source();
  Measurements m;
  m.method = read.get<std::string>(root, "method");
  m.evaluations = static_cast<std::size_t>(integer(read.at(root, "evaluations", ""), "evaluations", 0, Index{1} << 53, source));
  const Index P = shard.subject.parameters, i = shard.index, N = shard.count;
  const Json& coordinates = read.at(root, "coordinates", "");
  const Index expected = i <= P ? (P - i) / N + 1 : 0;
  if (!coordinates.is_array() || static_cast<Index>(coordinates.size()) != expected)
    throw std::invalid_argument(fmt::format("{}: coordinates is {}; expected the {} parameters of shard {}/{} of {}: {}, {} + {}, …",
                                            source, shown(coordinates), expected, i, N, P, i - 1, i - 1, N));
  for (std::size_t c = 0; c < coordinates.size(); ++c) {
    const Index k = i - 1 + static_cast<Index>(c) * N;
    if (!(coordinates[c].is_number_integer() && coordinates[c] == k))
      throw std::invalid_argument(fmt::format("{}: coordinates[{}] is {}; expected {}, the parameters of shard {}/{} being "
                                              "{}, {} + {}, …", source, c, shown(coordinates[c]), k, i, N, i - 1, i - 1, N));
    m.coordinates.push_back(k);
  }
  const auto n = m.coordinates.size();
  const std::vector<double> analytic = numbers(read.at(root, "analytic", ""), "analytic", n, source),
                            numerical = numbers(read.at(root, "numerical", ""), "numerical", n, source);
  m.analytic = Eigen::Map<const Eigen::VectorXd>(analytic.data(), static_cast<Index>(n));
  m.numerical = Eigen::Map<const Eigen::VectorXd>(numerical.data(), static_cast<Index>(n));
  m.kinks = flags_of(read.at(root, "kinks", ""), "kinks", i, N, n, source);
  m.stationary = flags_of(read.at(root, "stationary", ""), "stationary", i, N, n, source);
  if (root.contains("floors")) m.floors = numbers(root.at("floors"), "floors", n, source);
  return m;
}

/// J as the shard compared it with the reference, with the verdict the file gives it.
CostComparison read_cost(const Reader& read, const Json& root) {
  const Json& j = read.at(root, "cost", "");
  CostComparison cost;
  cost.implementation = read.real(j, "implementation", "cost.");
  cost.reference = read.real(j, "reference", "cost.");
  cost.relative_error = read.real(j, "relative_error", "cost.");
  cost.rounding = read.real(j, "rounding", "cost.");
  if (!read.at(j, "pass", "cost.").is_boolean())
    throw std::invalid_argument(fmt::format("{}: cost.pass is {}; expected true or false", read.source(), shown(j.at("pass"))));
  cost.pass = j.at("pass").get<bool>();
  return cost;
}

}  // namespace

namespace {
Shard read_shard(std::string_view text, const std::string& source, const StopFlag* stop);
}  // namespace

Shard shard_from_json(std::string_view text, const std::string& source, const StopFlag* stop) {
  // A value JSON allows but no shard holds (1e400, a number where text belongs) is the file's
  // fault, said as such: never an internal error.
  try {
    return read_shard(text, source, stop);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: {}; expected a report written by 'gradcheck check --shard i/N'", source,
                                            terminal_safe(e.what(), 200)));
  }
}

namespace {

Shard read_shard(std::string_view text, const std::string& source, const StopFlag* stop) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw std::invalid_argument(source + ": is empty; expected a report written by 'gradcheck check --shard i/N'");
  const Json root = parse(text, source, stop);
  const Reader read(root, source);
  const Json& gradcheck = read.at(root, "gradcheck", "");
  if (read.get<std::string>(gradcheck, "report", "gradcheck.") != "shard")
    throw std::invalid_argument(source + ": gradcheck.report is not \"shard\"; expected a report written by "
                                "'gradcheck check --shard i/N'");
  if (const auto written = read.get<std::string>(gradcheck, "version", "gradcheck."); written != version)
    throw std::invalid_argument(fmt::format("{}: gradcheck.version is \"{}\"; expected \"{}\", this gradcheck's: run every "
                                            "shard and the merge with one version", source, written.substr(0, 40), version));
  Shard shard;
  shard.source = source;
  const Json& position = read.at(root, "shard", "");
  shard.count = integer(read.at(position, "count", "shard."), "shard.count", 1, 1'000'000'000, source);
  shard.index = integer(read.at(position, "index", "shard."), "shard.index", 1, shard.count, source);
  read_network(read, root, shard);
  shard.tolerances = read_tolerances(read, root);
  shard.worst = static_cast<std::size_t>(integer(read.at(root, "worst", ""), "worst", 0, 1000, source));
  shard.measured = read_measurements(read, root, shard);
  if (root.contains("cannot_judge")) {
    shard.unjudgeable = read.get<std::string>(root, "cannot_judge");
    if (shard.unjudgeable->empty()) throw std::invalid_argument(source + ": cannot_judge is \"\"; expected the reason why not");
  }
  if (root.contains("cost")) shard.cost = read_cost(read, root);
  admit(shard);  // each field held to what a check of its kind writes (shard_claims.hpp)
  return shard;
}

}  // namespace

bool sync_written_files = true;

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
  if (sync_written_files && fsync(fd) != 0 && errno != EINVAL) {
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
