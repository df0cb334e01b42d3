// The HTML report: one self-contained page, inline CSS and SVG, no script, nothing fetched.

#include "gradcheck/report/run_report.hpp"
#include "gradcheck/report/parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradcheck {
namespace {

std::string html(std::string_view text) { return escape_markup(text); }

/// A cell's colour: below the tolerance from pale to deep blue-green as the error grows toward
/// it (log scale, 1e-16 … tolerance), above it from orange to deep red (tolerance … 1).
std::string colour(double error, double tolerance) {
  if (std::isnan(error)) return "#000000";
  const double v = std::log10(std::max(error, 1e-16)), t = std::log10(tolerance);
  if (error <= tolerance) {
    const double f = std::clamp((v + 16) / (t + 16), 0.0, 1.0);
    return fmt::format("hsl(170, 55%, {:.0f}%)", 92 - 47 * f);
  }
  const double f = std::clamp((v - t) / (0 - t), 0.0, 1.0);
  return fmt::format("hsl({:.0f}, 85%, {:.0f}%)", 35 - 35 * f, 58 - 20 * f);
}

/// The heatmap of one layer: rows i = 1 … s_(l+1), columns j = 0 … s_l, column 0 (bias) marked.
/// Large layers are shown in blocks holding their largest error, so the worst stays visible.
std::string heatmap(const CheckResult& r, const LayerReport& layer, Index offset, const Names& names) {
  constexpr Index max_cells = 12000;
  const Index rows = layer.rows, cols = layer.cols;
  const Index block = std::max<Index>(1, static_cast<Index>(std::ceil(std::sqrt(static_cast<double>(rows * cols) / max_cells))));
  const Index R = (rows + block - 1) / block, C = (cols + block - 1) / block;
  const double cell = std::clamp(640.0 / static_cast<double>(std::max(C, R)), 4.0, 36.0);
  const double left = 48, top = 28, width = left + cell * static_cast<double>(C) + 8, height = top + cell * static_cast<double>(R) + 8;
  std::string svg = fmt::format(R"~(<svg xmlns="http://www.w3.org/2000/svg" width="{:.0f}" height="{:.0f}" role="img" aria-label="relative error over {}">)~",
                                width, height, html(names.layer(layer.l)));
  svg += R"~(<defs><pattern id="skip" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#eee"/><path d="M0,6 L6,0" stroke="#999"/></pattern></defs>)~";
  svg += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="axis">j →{}</text>)~", left + cell + 6, top - 6,
                     block > 1 ? fmt::format(" (blocks of {} × {}, each showing its largest error)", block, block) : "");
  svg += fmt::format(R"~(<text x="4" y="{:.1f}" class="axis">i ↓</text>)~", top + 12);
  for (Index bi = 0; bi < R; ++bi)
    for (Index bj = 0; bj < C; ++bj) {
      double worst = -1;  // -1: every entry of the block skipped
      bool nan = false;
      Index worst_i = 0, worst_j = 0;
      for (Index i = bi * block; i < std::min(rows, (bi + 1) * block); ++i)
        for (Index j = bj * block; j < std::min(cols, (bj + 1) * block); ++j) {
          const Index k = offset + j * rows + i;  // column-major, as unrolled
          if (r.skipped[static_cast<std::size_t>(k)]) continue;
          const double e = r.entry_errors(k);
          if (std::isnan(e)) nan = true;
          if (std::isnan(e) || e > worst) {
            worst = std::isnan(e) ? worst : e;
            worst_i = i;
            worst_j = j;
          }
        }
      const std::string fill = nan ? "#000000" : worst < 0 ? "url(#skip)" : colour(worst, r.tolerances.entry);
      const std::string label = nan ? "NaN" : worst < 0 ? "skipped (ReLU kink or not sampled)" : fmt::format("relative error {:.2e}", worst);
      svg += fmt::format(R"~(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {}</title></rect>)~",
                         left + cell * static_cast<double>(bj), top + cell * static_cast<double>(bi), cell, cell, fill,
                         html(names.entry(ParamIndex{layer.l, worst_i + 1, worst_j})), label);
    }
  if (names.style() == Names::Style::tensors) return svg + "</svg>";  // a model's tensor has no bias column
  // The bias column: outlined and labelled.
  svg += fmt::format(R"~(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="bias"/>)~", left, top, cell,
                     cell * static_cast<double>(R));
  svg += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="axis">bias</text>)~", left, top - 6);
  return svg + "</svg>";
}

std::string legend(double tolerance) {
  std::string svg = R"~(<svg xmlns="http://www.w3.org/2000/svg" width="560" height="46" role="img" aria-label="colour scale">)~";
  const double steps[] = {1e-16, 1e-12, 1e-8, tolerance, 1e-2, 1};
  for (int k = 0; k < 6; ++k) {
    svg += fmt::format(R"~(<rect x="{}" y="4" width="86" height="18" fill="{}"/><text x="{}" y="38" class="axis">{:.0e}</text>)~",
                       8 + 90 * k, colour(steps[k] * (k == 3 ? 0.999 : 1), tolerance), 8 + 90 * k, steps[k]);
  }
  return svg + "</svg>";
}

}  // namespace

std::string report_detail::html_head(const std::string& title) {
  // The policy comes first, so it governs the page: nothing loaded, no script at all (the page
  // has none; a student's text that slipped through escaping could not run either).
  return R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; base-uri 'none'; form-action 'none'">
<title>gradcheck: )" + html(title) + R"(</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .3rem} h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
.verdict{font-size:1.1rem;font-weight:600;padding:.5rem .8rem;border-radius:6px;display:inline-block}
.pass{background:#e3f6ec;color:#0b6b3a}.fail{background:#fde8e4;color:#a3220f}.other{background:#fff4d6;color:#7a5200}
section.part{border-top:2px solid #e3e6ee;margin-top:1.5rem}
table{border-collapse:collapse;margin:.4rem 0}td,th{padding:.25rem .7rem;border-bottom:1px solid #e3e6ee;text-align:left;vertical-align:top}
th{font-weight:600;color:#4a5368} td.num{font-variant-numeric:tabular-nums;text-align:right}
.diagnosis{border-left:4px solid #e2562e;background:#fff6f3;padding:.6rem 1rem;margin:1rem 0}
.axis{font:11px system-ui,sans-serif;fill:#4a5368}.bias{fill:none;stroke:#1d2330;stroke-width:2}
pre{background:#f4f5f8;padding:.7rem 1rem;overflow-x:auto;border-radius:6px}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace}
</style></head><body>
)";
}

std::string report_detail::banner_class(Outcome outcome) {
  return outcome == Outcome::pass ? "pass" : outcome == Outcome::fail || outcome == Outcome::error ? "fail" : "other";
}

std::string report_detail::html_body(const CheckResult& r, const Subject& s) {
  const Names& names = s.names;
  std::string page = "<table>\n";
  const std::pair<const char*, std::string> rows[] = {
      {"checked", s.title},
      {"network", s.network},
      {"problem", problem_line(s)},
      {"method", fmt::format("{}, {} evaluations of J", r.method, r.evaluations)},
      {"tolerance", fmt::format("relative error ≤ {:g} per entry (floor {:g}), ‖n − a‖/‖n + a‖ ≤ {:g}", r.tolerances.entry,
                                r.tolerances.floor, r.tolerances.norm)},
      {"the course's figure", fmt::format("‖n − a‖/‖n + a‖ = {:.3e}", r.norm_figure)},
  };
  for (const auto& [key, value] : rows) page += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", key, html(value));
  for (const auto& note : s.notes) page += fmt::format("<tr><th>note</th><td>{}</td></tr>\n", html(note));
  if (!s.run.empty()) page += fmt::format("<tr><th>run</th><td>{}</td></tr>\n", html(s.run));
  for (const auto& hint : s.hints) page += fmt::format("<tr><th>hint</th><td>{}</td></tr>\n", html(hint));
  if (r.cost)
    page += fmt::format("<tr><th>J</th><td>{:.12g} (implementation), {:.12g} (reference): relative error {:.2e}, {}</td></tr>\n",
                        r.cost->implementation, r.cost->reference, r.cost->relative_error, cost_verdict(*r.cost, r.tolerances.cost));
  page += "</table>\n";
  if (r.diagnosis && r.diagnosis->kind != Diagnosis::Kind::right)
    page += fmt::format("<div class=\"diagnosis\"><h2>Diagnosis: {}</h2><p><b>Where:</b> {}</p><p><b>Evidence:</b> {}</p></div>\n",
                        html(r.diagnosis->summary), html(r.diagnosis->where), html(r.diagnosis->evidence));

  if (report_detail::verdict_only(r)) return page;
  if (r.entry_errors.size() == 0) {  // the fast mode measures directions, not entries: a table, no heatmaps
    page += "<h2>Per layer, along random directions</h2>\n<table><tr><th>layer</th><th>shape</th><th>worst relative error of vᵀD</th><th>verdict</th></tr>\n";
    for (const LayerReport& layer : r.layers)
      page += fmt::format("<tr><td>{}</td><td>{} × {}</td><td class=num>{:.2e}</td><td>{}</td></tr>\n", html(names.layer(layer.l)),
                          layer.rows, layer.cols, layer.max_relative_error, html(report_detail::layer_verdict(layer)));
    return page + "</table>\n";
  }
  page += names.style() == Names::Style::tensors
              ? "<h2>Relative error over each tensor</h2>\n<p>Each tensor is shown as a matrix: rows are its first index, "
                "columns the rest, in row-major order. Hover a cell for its entry and value.</p>\n"
              : "<h2>Relative error over each layer</h2>\n<p>Rows are the units the weights feed, columns the units they "
                "read (the outlined column is the bias). Hover a cell for its entry and value.</p>\n";
  page += legend(r.tolerances.entry) + "\n";
  Index offset = 0;
  for (const LayerReport& layer : r.layers) {
    page += fmt::format("<h3>{} ({} × {}): {}</h3>\n", html(names.layer(layer.l)), layer.rows, layer.cols,
                        layer.pass && layer.unresolved ? fmt::format("not judged (below J's resolution {:.2g})", layer.resolution)
                        : layer.pass && layer.in_noise ? fmt::format("not judged (within J's noise ±{:.2g})", layer.resolution)
                        : layer.pass                   ? "ok"
                                                       : fmt::format("MISMATCH in {} entries", layer.mismatches));
    page += fmt::format("<p>max relative error {:.2e}, mean {:.2e}, ‖n − a‖/‖n + a‖ {:.2e}</p>\n", layer.max_relative_error,
                        layer.mean_relative_error, layer.norm_figure);
    page += heatmap(r, layer, offset, names) + "\n";
    offset += layer.rows * layer.cols;
  }
  page += fmt::format("<h3>Worst entries</h3>\n<table><tr><th>entry</th>{}<th>analytic a</th><th>numerical n</th>"
                      "<th>relative error</th></tr>\n", names.course() ? "<th>Octave</th>" : "");
  for (const EntryReport& e : r.worst)
    page += fmt::format("<tr><td><code>{}</code></td>{}<td class=num>{:.12e}</td><td class=num>{:.12e}</td><td class=num>{:.2e}</td></tr>\n",
                        html(names.entry(e.where)), names.course() ? "<td><code>" + html(format_octave(e.where)) + "</code></td>" : "",
                        e.analytic, e.numerical, e.relative_error);
  page += "</table>\n";
  if (!s.smallest.empty())
    page += fmt::format("<h2>The smallest failing network</h2>\n<pre><code>{}</code></pre>\n", html(s.smallest));
  return page;
}

std::string format_html(const std::vector<ReportPart>& parts) {
  using namespace report_detail;
  const ReportPart& first = parts.front();
  const std::string verdict = run_verdict(parts);
  std::string page = html_head(first.subject.title);
  page += fmt::format("<h1>gradcheck</h1>\n<p class=\"verdict {}\">{}</p>\n", banner_class(outcome_of(parts)), html(verdict));
  for (const ReportPart* part : report_order(parts)) {
    if (parts.size() > 1)
      page += fmt::format("<section class=\"part\">\n<h2>{}</h2>\n<p class=\"verdict {}\">{}</p>\n",
                          html(part_label(*part, first)), banner_class(outcome_of(part->result)), html(part_verdict(*part, first)));
    page += html_body(part->result, part->subject);
    if (parts.size() > 1) page += "</section>\n";
  }
  if (!first.subject.command.empty())
    page += fmt::format("<h2>Reproduce this run</h2>\n<pre><code>{}</code></pre>\n", html(first.subject.command));
  return page + "</body></html>\n";
}

std::string format_html(const CheckResult& result, const Subject& subject) {
  return format_html(std::vector<ReportPart>{{result, subject}});
}

}  // namespace gradcheck
