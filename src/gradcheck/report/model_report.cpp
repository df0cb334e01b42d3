// The report of a model check (model.hpp): per named tensor, in text and JSON.

#include "gradcheck/check/model.hpp"
#include "gradcheck/report/run_report.hpp"
#include "gradcheck/io/json_numbers.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gradcheck {
namespace {

std::string shape_of(const Tensor& t) {
  if (t.shape.empty()) return "scalar";
  std::string out;
  for (const Index d : t.shape) out += fmt::format("{}{}", out.empty() ? "" : " × ", d);
  return out;
}

/// The diagnosis lines of the text report, "" when there is none.
std::string diagnosis_lines(const std::optional<Diagnosis>& d) {
  if (!d) return "";
  return fmt::format("\n  diagnosis  {}\n  where      {}\n  evidence   {}\n", d->summary, d->where, d->evidence);
}

std::string verdict(const ModelResult& r) {
  // The verdict every format of the run opens with (run_report.hpp), in the tensors' names.
  const ReportPart part = model_part(r, "");
  return verdict_line(part.result, part.subject.names);
}

}  // namespace

std::string format_text(const ModelResult& r, const std::string& title) {
  Index P = 0;
  std::string shapes;
  for (const auto& t : r.tensors) {
    shapes += fmt::format("{}{} {}", shapes.empty() ? "" : ", ", t.name, shape_of(t));
    P += t.size();
  }
  std::string out = verdict(r) + "\n";
  out += fmt::format("gradcheck: {} (model mode, {} request{})\n", title, r.requests, r.requests == 1 ? "" : "s");
  out += fmt::format("  model      {} tensors, P = {} parameters: {}\n", r.tensors.size(), P, shapes.size() > 300 ? shapes.substr(0, 300) + "…" : shapes);
  if (r.jittered) out += fmt::format("  θ          {}\n", *r.jittered);
  out += fmt::format("  J          {:.12g}, as the implementation computes it\n", r.J);
  for (const auto& said : r.side_effects) out += fmt::format("  mistake    {}\n", said);
  if (r.directional) {
    const auto& d = *r.directional;
    out += fmt::format("  method     random unit directions v per tensor: vᵀD against (J(θ + εv) − J(θ − εv)) / 2ε, and the Taylor "
                       "test{}; {} evaluations of J\n\n", describe_beyond_noise(d), d.evaluations);
    out += fmt::format("  {:<24} {:<16} {:>16} {:>16} {:>10} {:>13}  {}\n", "tensor", "shape", "vᵀD (analytic)", "numerical", "rel.err",
                       "Taylor", "verdict");
    for (const auto& layer : d.layers) {
      const Tensor& t = r.tensors[static_cast<std::size_t>(layer.l - 1)];
      const std::string& unusable = r.unusable.empty() ? t.name.substr(0, 0) : r.unusable[static_cast<std::size_t>(layer.l - 1)];
      out += fmt::format("  {:<24} {:<16} {:>16.9e} {:>16.9e} {:>10.2e} {:>13}  {}\n", t.name, shape_of(t),
                         layer.analytic.empty() ? 0.0 : layer.analytic.front(), layer.numerical.empty() ? 0.0 : layer.numerical.front(),
                         layer.max_relative_error, taylor_shown(layer),
                         !unusable.empty() ? "FAIL: " + unusable
                         : layer.at_kink == DirectionalLayer::AtKink::unjudged ? "not judged: a corner"
                         : layer.pass && layer.unresolved                    ? "not judged: below J's resolution"
                         : layer.pass && layer.in_noise                      ? "not judged: within J's noise"
                         : layer.pass                                        ? std::string("ok")
                                                                             : std::string("MISMATCH"));
    }
    return out + diagnosis_lines(r.diagnosis) + verdict(r) + "\n";
  }
  const CheckResult& c = r.result;
  out += fmt::format("  method     {}, {} evaluations of J\n", c.method, c.evaluations);
  out += fmt::format("  tolerance  relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}\n\n", c.tolerances.entry,
                     c.tolerances.floor, c.tolerances.norm);
  out += fmt::format("  {:<24} {:<16} {:>12} {:>12} {:>13}  {}\n", "tensor", "shape", "max rel.err", "mean rel.err", "‖n−a‖/‖n+a‖", "verdict");
  for (const auto& layer : c.layers) {
    const Tensor& t = r.tensors[static_cast<std::size_t>(layer.l - 1)];
    std::string verdict_text = layer.pass ? "ok" : fmt::format("MISMATCH ({} of {} entries)", layer.mismatches, t.size());
    if (layer.unchecked > 0) verdict_text += fmt::format(" ({} not sampled)", layer.unchecked);
    if (layer.kinks > 0) verdict_text += fmt::format(" ({} not judged: a corner)", layer.kinks);
    if (layer.pass && layer.unresolved) verdict_text = fmt::format("not judged: below J's resolution {:.2g}", layer.resolution);
    if (layer.pass && layer.in_noise) verdict_text = fmt::format("not judged: within J's noise ±{:.2g}", layer.resolution);
    if (!layer.unusable.empty()) {  // nothing was compared: no figures to show
      out += fmt::format("  {:<24} {:<16} {:>12} {:>12} {:>13}  FAIL: {}\n", t.name, shape_of(t), "—", "—", "—", layer.unusable);
      continue;
    }
    out += fmt::format("  {:<24} {:<16} {:>12.2e} {:>12.2e} {:>13.2e}  {}\n", t.name, shape_of(t), layer.max_relative_error,
                       layer.mean_relative_error, layer.norm_figure, verdict_text);
  }
  if (!c.worst.empty()) {
    out += "\n  worst entries (a = the implementation's gradient, n = numerical)\n";
    out += fmt::format("  {:<30} {:>20} {:>20} {:>10}\n", "entry", "analytic a", "numerical n", "rel.err");
    for (const auto& e : c.worst)
      out += fmt::format("  {:<30} {:>20.12e} {:>20.12e} {:>10.2e}\n", entry_name(r.tensors, e.where), e.analytic, e.numerical,
                         e.relative_error);
  }
  return out + diagnosis_lines(r.diagnosis) + "\n" + verdict(r) + "\n";
}

std::string to_json(const ModelResult& r, const std::string& title) {
  using Json = nlohmann::ordered_json;
  Json tensors = Json::array();
  for (std::size_t t = 0; t < r.tensors.size(); ++t) {
    Json entry{{"name", r.tensors[t].name}, {"shape", r.tensors[t].shape}};
    if (r.directional) {
      const auto& layer = r.directional->layers[t];
      entry["max_relative_error"] = json_numbers::write(layer.max_relative_error);
      entry["taylor_order"] = layer.taylor_exact ? Json("exact") : json_numbers::write(layer.taylor_order);
      entry["taylor_smooth"] = layer.taylor_smooth;
      entry["pass"] = layer.pass;
      if (!r.unusable.empty() && !r.unusable[t].empty()) entry["unusable"] = r.unusable[t];
    } else {
      const auto& layer = r.result.layers[t];
      entry["max_relative_error"] = json_numbers::write(layer.max_relative_error);
      entry["mismatches"] = layer.mismatches;
      entry["unchecked"] = layer.unchecked;
      entry["pass"] = layer.pass;
      if (!layer.unusable.empty()) entry["unusable"] = layer.unusable;
    }
    tensors.push_back(std::move(entry));
  }
  Json worst = Json::array();
  if (!r.directional)
    for (const auto& e : r.result.worst)
      worst.push_back({{"name", entry_name(r.tensors, e.where)}, {"entry", entry_name(r.tensors, e.where)}, {"analytic", json_numbers::write(e.analytic)},
                       {"numerical", json_numbers::write(e.numerical)}, {"relative_error", json_numbers::write(e.relative_error)}});
  Json report{{"verdict", verdict(r)},
                    {"outcome", word(outcome_of(model_part(r, title).result))},
                    {"gradcheck", {{"report", "model"}}},
                    {"title", title},
                    {"mode", r.directional ? "directional" : "every entry"},
                    {"jitter", r.jittered ? Json(*r.jittered) : Json()},
                    {"J", json_numbers::write(r.J)},
                    {"requests", r.requests},
                    {"tensors", tensors},
                    {"worst", worst},
                    {"complete", r.directional || r.result.complete},
                    {"pass", r.pass},
                    {"judged", !r.cannot_judge},
                    {"side_effects", r.side_effects}};
  if (const auto& d = r.diagnosis) {
    const char* kinds[] = {"right", "recognised", "unrecognised"};
    const auto named = [&](const std::vector<Index>& which) {
      Json out = Json::array();
      for (const Index l : which) out.push_back(r.tensors.at(static_cast<std::size_t>(l - 1)).name);
      return out;
    };
    report["diagnosis"] = Json{{"kind", kinds[static_cast<int>(d->kind)]}, {"patterns", d->mistakes},
                               {"summary", d->summary},         {"where", d->where},
                               {"evidence", d->evidence},       {"wrong_tensors", named(d->wrong_layers)},
                               {"right_tensors", named(d->right_layers)}};
  }
  return report.dump(2) + "\n";
}

ReportPart model_part(const ModelResult& r, const std::string& title) {
  ReportPart part;
  std::vector<TensorName> names;
  std::string shapes;
  for (const auto& t : r.tensors) {
    names.push_back({t.name, t.shape});
    shapes += fmt::format("{}{} {}", shapes.empty() ? "" : ", ", t.name, shape_of(t));
    part.subject.parameters += t.size();
  }
  part.subject.names = Names(std::move(names));
  part.subject.title = fmt::format("{} (model mode, {} request{})", title, r.requests, r.requests == 1 ? "" : "s");
  part.subject.network = fmt::format("{} tensors: {}", r.tensors.size(), shapes.size() > 300 ? shapes.substr(0, 300) + "…" : shapes);
  part.subject.origin = fmt::format("the implementation's own parameters, data and J = {:.12g}", r.J);
  CheckResult& c = part.result;
  if (r.directional) {
    std::vector<std::pair<Index, Index>> matrices;
    for (const auto& t : r.tensors) matrices.push_back(t.matrix());
    c = as_check(*r.directional, matrices, r.result.tolerances);
    for (std::size_t t = 0; t < r.unusable.size() && t < c.layers.size(); ++t) c.layers[t].unusable = r.unusable[t];
  } else {
    c = r.result;
  }
  c.cannot_judge = r.cannot_judge;
  c.pass = r.pass;
  c.diagnosis = r.diagnosis;
  return part;
}

}  // namespace gradcheck
