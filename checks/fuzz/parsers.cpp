// libFuzzer target for everything gradcheck parses from outside: protocol requests, replies and
// problem files. The first byte picks the parser, the rest is its input. Every input must end
// in a result that satisfies the parser's promises or in its one documented exception; anything
// else (a crash, another exception, a sanitizer report, a hang) is a bug.
//
// Built by checks/fuzz/CMakeLists.txt with clang; run by ./setup.sh fuzz over fixtures/fuzz/.

#include "gradcheck/io/problem_file.hpp"
#include "gradcheck/io/process.hpp"
#include "gradcheck/io/protocol.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

using namespace gradcheck;

namespace {

void require(bool promise) {
  if (!promise) std::abort();
}

/// A parsed problem keeps the promises of validate(): shapes chain, values are finite.
void check_problem(const Problem& p, const Weights<double>* theta) {
  validate(p);  // throws on a broken promise, which the caller does not catch
  if (theta) validate(p.architecture, *theta);
  require(p.examples() >= 1 && p.architecture.layers() >= 2);
}

void fuzz_request(const std::string& text) {
  Request request;
  try {
    request = parse_request(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  check_problem(request.problem, &request.theta);
  // What make_request writes, parse_request reads back the same.
  const Request again = parse_request(make_request(request.id, request.problem, request.theta, request.want));
  require(again.id == request.id && again.want == request.want);
  require(again.problem.X == request.problem.X && again.problem.Y == request.problem.Y);
  require(again.problem.lambda == request.problem.lambda);
  require(again.problem.conventions.layout == request.problem.conventions.layout);
  for (std::size_t l = 0; l < request.theta.size(); ++l) require(again.theta[l] == request.theta[l]);
}

void fuzz_reply(const std::string& text) {
  const Architecture arch = make_architecture("2-3-2", Activation::sigmoid, Output::sigmoid_logistic);
  for (const Want want : {Want::cost, Want::gradient, Want::both})
    for (const auto layout : {WeightLayout::theta, WeightLayout::w_out_in, WeightLayout::w_in_out}) {
      try {
        const Reply reply = parse_reply(text, 1, arch, want, layout);
        require(want == Want::cost ? reply.gradient.empty() : reply.gradient.size() == 2);
        if (!reply.gradient.empty()) validate(arch, reply.gradient);
      } catch (const ImplementationError&) {
      }
    }
}

void fuzz_problem(const std::string& text) {
  try {
    const ProblemFile file = parse_problem(text, "fuzz.json");
    check_problem(file.problem, file.theta ? &*file.theta : nullptr);
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'q': fuzz_request(text); break;
    case 'r': fuzz_reply(text); break;
    default: fuzz_problem(text); break;
  }
  return 0;
}
