#include "fuzz.hpp"

#include <fmt/format.h>
#include <rapidcheck.h>

#include <cstdio>
#include <iostream>
#include <memory>

namespace gradcheck {
namespace {

/// "case 37/100" and "shrinking: 4 smaller failing networks" on stderr.
class Progress : public rc::detail::TestListener {
 public:
  Progress(bool enabled, int cases, int& shrinks) : enabled_(enabled), cases_(cases), shrinks_(shrinks) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    ++done_;
    show(fmt::format("case {}/{}", done_, cases_));
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (accepted) ++shrinks_;
    show(fmt::format("a case failed; shrinking it: {} smaller failing network{} so far", shrinks_,
                     shrinks_ == 1 ? "" : "s"));
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {
    if (enabled_) std::fputs("\r\033[K", stderr);
  }

 private:
  void show(const std::string& text) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K  fuzz: %s", text.c_str());
    std::fflush(stderr);
  }
  bool enabled_;
  int cases_;
  int done_ = 0;
  int& shrinks_;
};

}  // namespace

FuzzOutcome fuzz(const FuzzOptions& options) {
  {
    // RapidCheck announces its configuration on stderr when it first loads it; we pass our own
    // parameters, so load it once with stderr muted.
    std::streambuf* saved = std::cerr.rdbuf(nullptr);
    rc::detail::configuration();
    std::cerr.rdbuf(saved);
  }
  FuzzOutcome outcome;
  std::unique_ptr<Child> child;
  std::optional<NetworkCase> last_failure;
  std::optional<ExternalResult> last_report;
  std::string last_message;

  const auto property = [&] {
    const NetworkCase c = *generate::network_case(options.space);
    const Instance n = c.instance();
    ExternalOptions judge = options.judge;
    judge.check.tolerances = options.judge.check.tolerances;
    try {
      if (!child) child = std::make_unique<Child>(options.argv, options.limits);
      const ExternalResult result = check_external(*child, n.problem, n.theta, judge);
      if (!result.result.pass) {
        last_failure = c;
        last_report = result;
        last_message.clear();
      }
      RC_ASSERT(result.result.pass);
    } catch (const ImplementationError& e) {
      child.reset();  // dead or confused: the next case starts a new one
      last_failure = c;
      last_report.reset();
      last_message = e.what();
      throw;  // a failure too: shrink toward the smallest network that makes it fail
    }
  };

  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.cases;
  rc::detail::TestMetadata metadata;
  metadata.id = "gradcheck fuzz";
  Progress progress(options.progress, options.cases, outcome.shrinks);
  const rc::detail::TestResult result = rc::detail::checkTestable(property, metadata, params, progress);

  rc::detail::SuccessResult success;
  rc::detail::FailureResult failure;
  if (result.match(success)) {
    outcome.passed = success.numSuccess;
  } else if (result.match(failure)) {
    outcome.passed = failure.numSuccess;
    outcome.smallest = last_failure;
    outcome.report = last_report;
    outcome.implementation_failure = last_message;
  }
  return outcome;
}

}  // namespace gradcheck
