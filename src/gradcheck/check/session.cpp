#include "gradcheck/check/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace gradcheck {
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

Session::Session(Child& child, const Problem& problem, PrintedOutput* printed, int max_version)
    : child_(child), problem_(problem), layout_(problem.architecture), printed_(printed), max_version_(max_version) {}

template <class Parse>
auto Session::checked(const std::string& line, const std::string& what, Parse&& parse) {
  // An error reply says itself what failed; anything else is told with the end of its stderr.
  const auto context = [&](const std::exception& e, bool with_stderr = true) {
    std::string tail = with_stderr ? child_.stderr_tail() : "";
    for (char& ch : tail)
      if (ch == '\n') ch = ' ';
    return child_.command() + ": " + e.what() + " in reply to " + what + (tail.empty() ? "" : "; its stderr ends: " + tail);
  };
  try {
    auto reply = parse(line);
    if (printed_) printed_->add(reply.output, reply.output_bytes);
    return reply;
  } catch (const ErrorReply& e) {
    if (printed_) printed_->add(e.output, e.output.size());
    throw ErrorReply(e.message, e.output, context(e, false));
  } catch (const ImplementationError& e) {
    throw ImplementationError(context(e));
  }
}

Reply Session::ask(const Weights<double>& theta, Want want) {
  ++id_;
  ++evaluations_;
  const std::string what = fmt::format("request {} ({})", id_, describe(want));
  const bool whole = id_ == 1 || version_ < 2;
  const std::string line = child_.exchange(whole ? make_request(id_, problem_, theta, want) : make_theta_request(id_, theta, want), what);
  Reply reply = checked(line, what, [&](const std::string& text) { return parse_reply(text, id_, problem_.architecture, want); });
  if (id_ == 1) version_ = std::min(reply.protocol, max_version_);
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
    ++id_;
    ++evaluations_;
    const std::string what = fmt::format("request {} (J)", id_);
    const std::string line = child_.exchange(make_request(id_, problem_, reroll(layout_, point), Want::cost), what);
    J.push_back(checked(line, what, [&](const std::string& text) { return parse_reply(text, id_, problem_.architecture, Want::cost); }).J);
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
  for (const auto& v : directions) in_order.push_back(in_protocol_order(layout_, v));
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
        p.index = protocol_index(layout_, p.index);
        continue;
      }
      auto& n = number[static_cast<std::size_t>(p.index)];
      if (n < 0) {
        n = static_cast<Index>(sent.size());
        sent.push_back(in_order[static_cast<std::size_t>(p.index)]);
      }
      p.index = n;
    }
    ++id_;
    evaluations_ += count;
    const std::string what = fmt::format("request {} (J at {} point{})", id_, count, count == 1 ? "" : "s");
    const auto start = Clock::now();
    const std::string line = child_.exchange(make_points_request(id_, batch, sent), what);
    const Costs reply = checked(line, what, [&](const std::string& text) { return parse_costs(text, id_, count); });
    seconds_per_point_ = std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(count);
    J.insert(J.end(), reply.J.begin(), reply.J.end());
    first += count;
  }
  return J;
}

}  // namespace gradcheck
