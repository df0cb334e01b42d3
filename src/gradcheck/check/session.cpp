#include "gradcheck/check/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace gradcheck {

void require_finite_J(double J, const std::string& command) {
  if (std::isfinite(J)) return;
  throw ImplementationError(fmt::format(
      "{}: J = {}{} in reply to request 1", command, J,
      std::isnan(J) ? " (often log(0): an output h of exactly 0 or 1 inside log(h) or log(1 - h), or 0·log(0))" : ""));
}
namespace {

std::string describe(Want want) {
  switch (want) {
    case Want::cost: return "J";
    case Want::gradient: return "the gradient";
    case Want::both: return "J and the gradient";
  }
  return "?";
}

}  // namespace

void PrintedOutput::add(const std::string& piece, std::size_t piece_bytes) {
  if (text.size() < kept) text += piece.substr(0, kept - text.size());
  bytes += std::max(piece_bytes, piece.size());
}

Session::Session(Channel& child, const Problem& problem, PrintedOutput* printed, int max_version)
    : child_(child), problem_(&problem), layout_(problem.architecture), printed_(printed), max_version_(max_version) {}

std::string Session::described(const std::exception& e, const std::string& what, bool with_stderr) const {
  std::string tail = with_stderr ? child_.stderr_tail() : "";
  for (char& ch : tail)
    if (ch == '\n') ch = ' ';
  return child_.command() + ": " + e.what() + " in reply to " + what + (tail.empty() ? "" : "; its stderr ends: " + tail);
}

Session::Session(Channel& child, PrintedOutput* printed, int max_version)
    : child_(child), problem_(nullptr), layout_(Layout::of_matrices({})), printed_(printed), max_version_(max_version) {}

void Session::note(const std::vector<Changed>& changed) {
  for (const Changed& c : changed)
    if (std::none_of(changed_.begin(), changed_.end(), [&](const Changed& seen) { return seen.input == c.input; }))
      changed_.push_back(c);
}

std::vector<std::string> Session::side_effects() const {
  std::vector<std::string> out;
  for (const Changed& c : changed_) out.push_back(c.says);
  return out;
}

void Session::start(Layout layout, Eigen::VectorXd theta, int version, bool base64) {
  layout_ = std::move(layout);
  theta_ = std::move(theta);
  version_ = std::min(version, max_version_);
  encoding_ = version_ >= 2 && base64 ? Encoding::base64 : Encoding::json;
}

Reply Session::ask(const Weights<double>& theta, Want want) {
  if (!problem_) throw std::logic_error("Session::ask without a problem");
  const std::size_t id = child_.requests + 1;
  const bool first = id_ == 0;  // of this session: the whole problem goes with it
  ++evaluations_;
  const std::string what = fmt::format("request {} ({})", id, describe(want));
  // A child known from an earlier session to read base64 gets its first request in it too.
  if (first)
    encoding_ = max_version_ >= 2 && child_.peer.version >= 2 && child_.peer.base64 ? Encoding::base64 : Encoding::json;
  const std::string request = first || version_ < 2 ? make_request(id, *problem_, theta, want, encoding_)
                                                      : make_theta_request(id, theta, want, problem_->conventions.layout, encoding_);
  Reply reply = exchange(request, what, [&](const std::string& text) { return parse_reply(text, id, problem_->architecture, want, problem_->conventions.layout); });
  if (first) {
    version_ = std::min(reply.protocol, max_version_);
    child_.peer = {reply.protocol, reply.base64};
    encoding_ = version_ >= 2 && reply.base64 ? Encoding::base64 : Encoding::json;
  }
  theta_ = unroll(theta);
  return reply;
}

std::vector<double> Session::costs(const std::vector<Point>& at) { return costs(at, {}); }

std::vector<double> Session::costs(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
  if (theta_.size() == 0) throw std::logic_error("Session::costs before ask()");
  if (version_ >= 2) return batched(at, directions);
  std::vector<double> J;  // version 1: one whole request per point
  for (const Point& p : at) {
    Eigen::VectorXd point = theta_;
    if (directions.empty())
      point(p.index) += p.step;
    else
      point += p.step * directions[static_cast<std::size_t>(p.index)];
    if (!problem_) throw std::logic_error("Session::costs in version 1 without a problem");
    const std::size_t id = child_.requests + 1;
    ++evaluations_;
    const std::string what = fmt::format("request {} (J)", id);
    J.push_back(exchange(make_request(id, *problem_, reroll(layout_, point), Want::cost), what, [&](const std::string& text) {
                  return parse_reply(text, id, problem_->architecture, Want::cost);
                }).J);
  }
  return J;
}

std::vector<double> Session::batched(const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
  // Each batch is sized to take about a second at the speed measured so far (and a tenth of the
  // timeout at most), starting small: a slow implementation never gets a request it cannot answer
  // in time, a fast one gets thousands of points per request.
  using Clock = std::chrono::steady_clock;
  const double target = std::min(1.0, std::chrono::duration<double>(child_.timeout()).count() / 10);
  std::vector<Eigen::VectorXd> in_order;  // the directions in the protocol's order
  const WeightLayout weights = problem_ ? problem_->conventions.layout : WeightLayout::theta;
  for (const auto& v : directions) in_order.push_back(in_protocol_order(layout_, v, weights));
  std::vector<double> J;
  J.reserve(at.size());
  for (std::size_t first = 0; first < at.size();) {
    std::size_t count = 8;
    if (seconds_per_point_ > 0) count = static_cast<std::size_t>(std::clamp(target / seconds_per_point_, 1.0, 4096.0));
    count = std::min(count, at.size() - first);
    std::vector<Point> batch(at.begin() + static_cast<std::ptrdiff_t>(first), at.begin() + static_cast<std::ptrdiff_t>(first + count));
    // A request stands on its own: it carries the directions its points use, numbered afresh.
    std::vector<Eigen::VectorXd> sent;
    std::vector<Index> number(in_order.size(), -1);
    for (Point& p : batch) {
      if (directions.empty()) {
        p.index = protocol_index(layout_, p.index, weights);
        continue;
      }
      auto& n = number[static_cast<std::size_t>(p.index)];
      if (n < 0) {
        n = static_cast<Index>(sent.size());
        sent.push_back(in_order[static_cast<std::size_t>(p.index)]);
      }
      p.index = n;
    }
    const std::size_t id = child_.requests + 1;
    evaluations_ += count;
    const std::string what = fmt::format("request {} (J at {} point{})", id, count, count == 1 ? "" : "s");
    const auto start = Clock::now();
    const Costs reply = exchange(make_points_request(id, batch, sent, encoding_), what,
                                 [&](const std::string& text) { return parse_costs(text, id, count); });
    seconds_per_point_ = std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(count);
    J.insert(J.end(), reply.J.begin(), reply.J.end());
    first += count;
  }
  return J;
}

}  // namespace gradcheck
