#pragma once
/// @file
/// Internal to report/: the pieces each format builds a check's section from. Not installed.

#include "gradcheck/report/report.hpp"

#include <string>

namespace gradcheck::report_detail {

/// A layer none of whose entries was measured (a check stopped before them): neither ok nor not.
bool unmeasured(const LayerReport& layer);

/// "ok", "MISMATCH (3 of 20 entries)", "not judged: …", "not measured …": a layer's verdict in a table.
std::string layer_verdict(const LayerReport& layer);

/// "Theta1(5,1): analytic …, numerical …, relative error …" in the subject's names.
std::string entry_line(const EntryReport& e, const Names& names);

/// "m = 5, λ = 0, P = 38 parameters; Θ and X from …", or for a model (m = 0) "P = 39 parameters; …".
std::string problem_line(const Subject& s);

/// An error, a check that cannot judge, or one stopped before anything was measured: no method or
/// tables to show, the header and the verdict say it all.
bool verdict_only(const CheckResult& r);

/// The text report of one check without its closing verdict line: header, tables, notes,
/// diagnosis, hints.
std::string text_body(const CheckResult& r, const Subject& s);

/// One check's Markdown below its verdict heading.
std::string markdown_body(const CheckResult& r, const Subject& s);

/// One check's HTML section (tables, diagnosis, heatmaps, worst entries) below its verdict.
std::string html_body(const CheckResult& r, const Subject& s);

/// The page's head and style, up to and including <body>.
std::string html_head(const std::string& title);

/// The CSS class of a verdict banner: "pass", "fail" (a mismatch, an error) or "other" (cannot
/// judge, incomplete).
std::string banner_class(Outcome outcome);

}  // namespace gradcheck::report_detail
