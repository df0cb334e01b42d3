#pragma once
/// @file
/// A parallel loop over parameters, shared by the numerical-gradient paths.

#include "gradcheck/util/stop.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gradcheck {

/// Runs work(c) for c = 0 … n − 1 on `threads` threads (the caller's included), which take
/// chunks of 16 in turn. Each c is computed the same way whoever takes it, so results do not
/// depend on the thread count. progress(done, n), when set, is called from one thread at a time
/// and once at the end with done = n. work must not throw.
///
/// When `stop` is set, no thread takes a new chunk; chunks taken are finished. Since chunks are
/// taken in order, the work done is c = 0 … completed − 1, and that count is returned (n when
/// nothing stopped it).
template <class Work>
Eigen::Index parallel_for(Eigen::Index n, unsigned threads, const std::function<void(Eigen::Index, Eigen::Index)>& progress,
                          const StopFlag* stop, Work&& work) {
  constexpr Eigen::Index chunk = 16;
  std::atomic<Eigen::Index> next{0}, done{0};
  std::mutex reporting;
  const auto worker = [&] {
    while (!stop_requested(stop)) {
      const Eigen::Index begin = next.fetch_add(chunk);
      if (begin >= n) break;
      const Eigen::Index end = std::min(n, begin + chunk);
      for (Eigen::Index c = begin; c < end; ++c) work(c);
      const Eigen::Index finished = done += end - begin;
      if (progress && finished < n) {
        std::unique_lock<std::mutex> lock(reporting, std::try_to_lock);
        if (lock) progress(finished, n);
      }
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) helpers.emplace_back(worker);
  worker();
  for (auto& helper : helpers) helper.join();
  const Eigen::Index completed = std::min(n, next.load());
  if (progress && completed == n) progress(n, n);
  return completed;
}

/// The given flat indices, each checked to lie in 0 … P − 1, or all of them when none are given.
inline std::vector<Eigen::Index> coordinates_or_all(const std::optional<std::vector<Eigen::Index>>& coordinates,
                                                    Eigen::Index P) {
  if (coordinates) {
    for (const Eigen::Index k : *coordinates)
      if (k < 0 || k >= P)
        throw std::invalid_argument("coordinate " + std::to_string(k) + " is outside 0 … P − 1 = " + std::to_string(P - 1));
    return *coordinates;
  }
  std::vector<Eigen::Index> all(static_cast<std::size_t>(P));
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = static_cast<Eigen::Index>(k);
  return all;
}

}  // namespace gradcheck
