// gradcheck check --gradescope FILE: the checks of one submission as Gradescope's autograder
// results (results.json): four tests, the cost and the gradient at λ = 0 and at λ > 0.

#include "commands.hpp"

#include "gradcheck/report/json_report.hpp"
#include "gradcheck/report/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gradcheck::cli {

namespace {

using Json = nlohmann::ordered_json;

/// One of the four tests: its name, its points, and what it reads of a check.
struct Test {
  const char* name;
  bool regularized;  // read from the check at λ > 0
  bool gradient;     // the gradient's verdict, else J's
};

constexpr Test tests[] = {
    {"Cost J (λ = 0)", false, false},
    {"Regularized cost J (λ > 0)", true, false},
    {"Gradient (λ = 0)", false, true},
    {"Regularized gradient (λ > 0)", true, true},
};

/// The score of one test and the text the student sees beside it.
/// `label` says which check `part` is ("λ = 3", or "λ = 3 (4-5-3, m = 6)" for a homework's sizes apart).
Json test_result(const Test& test, double points, const ReportPart* part, const std::string& label, const std::string& failure) {
  Json t{{"name", test.name}, {"max_score", points}};
  std::string output;
  bool passed = false;
  if (!failure.empty()) {
    output = failure;
  } else if (!part) {
    output = test.regularized ? "not checked: the check ran at λ = 0 only" : "not checked: the check ran at λ > 0 only";
  } else {
    const CheckResult& r = part->result;
    if (r.failure) {
      output = *r.failure;
    } else if (r.cannot_judge) {
      output = "gradcheck could not judge at these settings: " + *r.cannot_judge;
    } else if (!r.complete) {
      output = "the check was stopped before a verdict";
    } else if (!test.gradient) {
      passed = r.cost && r.cost->pass;
      output = r.cost ? fmt::format("J = {:.10g} at {}; the reference J = {:.10g} (relative error {:.1e}): {}",
                                    r.cost->implementation, label, r.cost->reference, r.cost->relative_error,
                                    passed ? "right" : "wrong")
                      : "J was not compared";
      if (!passed && r.diagnosis && r.diagnosis->kind == Diagnosis::Kind::recognised && r.gradient_pass)
        output += "\nlikely mistake: " + r.diagnosis->summary;
    } else {
      passed = r.gradient_pass;
      output = format_text(r, part->subject);
    }
  }
  t["score"] = passed ? points : 0.0;
  t["status"] = passed ? "passed" : "failed";
  t["output"] = output;
  t["visibility"] = "visible";
  return t;
}

}  // namespace

std::vector<double> gradescope_points(const std::string& text) {
  std::vector<double> points;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    std::size_t used = 0;
    double value = -1;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
    }
    if (used != item.size() || !(value >= 0) || !std::isfinite(value) || value > 1e6)
      throw std::invalid_argument(fmt::format("--points '{}': expected four numbers from 0 to 1e6 separated by commas: the cost, the "
                                              "regularized cost, the gradient, the regularized gradient (e.g. 20,20,30,30)",
                                              text));
    points.push_back(value);
  }
  if (points.size() != 4)
    throw std::invalid_argument(fmt::format("--points '{}': expected four numbers (cost, regularized cost, gradient, "
                                            "regularized gradient), got {}", text, points.size()));
  if (points[0] + points[1] + points[2] + points[3] == 0)  // every score would be 0 of 0
    throw std::invalid_argument(fmt::format("--points '{}': they add up to 0; expected at least one above 0", text));
  return points;
}

std::string gradescope_results(const std::vector<ReportPart>& parts, const std::vector<double>& points,
                               const std::string& failure) {
  // A test reads every check at its λ (a homework's is also checked with its network's sizes
  // apart): it passes where they all pass, and shows the first that failed.
  const auto judged = [&](const Test& test, double worth) {
    Json first;
    for (const ReportPart& p : parts)
      if ((p.subject.lambda > 0) == test.regularized) {
        Json t = test_result(test, worth, &p, part_label(p, parts.front()), failure);
        if (t["status"] != "passed") return t;
        if (first.is_null()) first = std::move(t);
      }
    return first.is_null() ? test_result(test, worth, nullptr, "", failure) : first;
  };
  Json results{{"score", 0.0}, {"output", ""}, {"output_format", "text"}, {"visibility", "visible"},
               {"stdout_visibility", "hidden"}, {"tests", Json::array()}};
  double score = 0;
  for (std::size_t k = 0; k < std::size(tests); ++k) {
    Json t = judged(tests[k], points[k]);
    score += t["score"].get<double>();
    results["tests"].push_back(std::move(t));
  }
  results["score"] = score;
  // The first line Gradescope shows is the verdict, as in every report.
  results["output"] = !parts.empty()    ? run_verdict(parts)
                      : failure.empty()                     ? std::string("ERROR: gradcheck did not run")
                      : failure.rfind("INCOMPLETE: ", 0) == 0 ? failure  // a run not finished yet
                                                            : "ERROR: gradcheck could not check your nnCostFunction: " + failure;
  return results.dump(2) + "\n";
}

std::string gradescope_after(const std::string& results, const std::string& later, const std::string& stage,
                             const std::string& message) {
  Json now = Json::parse(results, nullptr, false);
  if (now.is_discarded() || !now.contains("tests") || !now["tests"].is_array()) return results;
  Json there = later.empty() ? Json() : Json::parse(later, nullptr, false);
  const bool per_test = there.is_object() && there.contains("tests") && there["tests"].is_array() &&
                        there["tests"].size() == now["tests"].size();
  const bool J_named = message.find(" J ") != std::string::npos || message.find("J =") != std::string::npos,
             gradient_named = message.find("gradient") != std::string::npos;
  double score = 0;
  for (std::size_t k = 0; k < now["tests"].size(); ++k) {
    Json& t = now["tests"][k];
    bool failed_there;
    std::string why = "passed on the course's small problem; " + message;
    if (per_test) {
      failed_there = there["tests"][k].value("status", "failed") != "passed";
      why = fmt::format("passed on the course's small problem, failed {}:\n{}", stage, there["tests"][k].value("output", message));
    } else {
      failed_there = (!J_named && !gradient_named) || (k < std::size(tests) && (tests[k].gradient ? gradient_named : J_named));
    }
    if (failed_there && t.value("status", "") == "passed") {
      t["score"] = 0.0;
      t["status"] = "failed";
      t["output"] = why;
    }
    score += t.value("score", 0.0);
  }
  now["score"] = score;
  now["output"] = message;
  return now.dump(2) + "\n";
}

}  // namespace gradcheck::cli
