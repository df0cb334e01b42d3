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

/// A listener that hears nothing.
class Silent : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override { shrinks += accepted ? 1 : 0; }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  int shrinks = 0;
};

}  // namespace

SearchOutcome shrink_search(const generate::SearchSpace& space, std::uint64_t seed, int cases,
                            const std::function<bool(const NetworkCase&)>& passes, rc::detail::TestListener* listener) {
  {
    // RapidCheck announces its configuration on stderr when it first loads it; we pass our own
    // parameters, so load it once with stderr muted.
    std::streambuf* saved = std::cerr.rdbuf(nullptr);
    rc::detail::configuration();
    std::cerr.rdbuf(saved);
  }
  std::optional<NetworkCase> last_failure;
  const auto property = [&] {
    const NetworkCase c = *generate::network_case(space);
    bool ok = false;
    try {
      ok = passes(c);
    } catch (...) {
      last_failure = c;
      throw;  // a failure too: shrink toward the smallest network that makes it fail
    }
    if (!ok) last_failure = c;
    RC_ASSERT(ok);
  };
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = cases;
  rc::detail::TestMetadata metadata;
  metadata.id = "gradcheck search";
  Silent silent;
  const rc::detail::TestResult result =
      rc::detail::checkTestable(property, metadata, params, listener ? *listener : silent);
  SearchOutcome outcome;
  outcome.shrinks = silent.shrinks;
  rc::detail::SuccessResult success;
  rc::detail::FailureResult failure;
  if (result.match(success)) {
    outcome.passed = success.numSuccess;
  } else if (result.match(failure)) {
    outcome.passed = failure.numSuccess;
    outcome.smallest = last_failure;  // the last case that failed is the last shrink accepted
  }
  return outcome;
}

FuzzOutcome fuzz(const FuzzOptions& options) {
  FuzzOutcome outcome;
  std::unique_ptr<Child> child;
  std::optional<ExternalResult> last_report;
  std::string last_message;
  const auto passes = [&](const NetworkCase& c) {
    // Once stopped, every case passes at once, so the search ends quickly; the caller reports the stop.
    if (stop_requested(options.limits.stop)) return true;
    Instance n = c.instance();
    if (options.class_labels) as_class_labels(n);
    n.problem.unrolling = options.unrolling;
    try {
      if (!child) child = std::make_unique<Child>(options.argv, options.limits);
      const ExternalResult result = check_external(*child, n.problem, n.theta, options.judge);
      if (!result.result.pass) {
        if (!outcome.first_diagnosis && result.result.diagnosis) outcome.first_diagnosis = result.result.diagnosis;
        last_report = result;
        last_message.clear();
      }
      return result.result.pass || !result.result.complete;
    } catch (const Interrupted&) {
      return true;
    } catch (const ImplementationError& e) {
      child.reset();  // dead or confused: the next case starts a new one
      last_report.reset();
      last_message = e.what();
      throw;
    }
  };
  int shrinks = 0;
  Progress progress(options.progress, options.cases, shrinks);
  const SearchOutcome found = shrink_search(options.space, options.seed, options.cases, passes, &progress);
  outcome.passed = found.passed;
  outcome.shrinks = shrinks;
  outcome.smallest = found.smallest;
  if (found.smallest) {
    outcome.report = last_report;
    outcome.implementation_failure = last_message;
  }
  return outcome;
}

}  // namespace gradcheck
