#include "eventstore/commit_watch.h"

#include <pthread.h>

#include <utility>
#include <vector>

namespace tripdesk::eventstore {

CommitWatch::CommitWatch(uint64_t last) : last_committed_(last) {
  notifier_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "log-notifier");
    NotifierLoop();
  });
}

void CommitWatch::Publish(uint64_t target) {
  if (target <= LastPosition()) return;
  std::lock_guard<std::mutex> lock(mu_);
  last_committed_.store(target, std::memory_order_release);
  // Wake only who waits: a context switch per commit adds up.
  if (position_waiters_ > 0) commit_cv_.notify_all();
  if (!watches_.empty()) notifier_cv_.notify_one();
}

bool CommitWatch::WaitForPosition(uint64_t position, absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto until = absl::ToChronoTime(deadline);
  ++position_waiters_;
  const bool reached = commit_cv_.wait_until(lock, until, [&] {
    return LastPosition() >= position || closed_;
  }) && LastPosition() >= position;
  --position_waiters_;
  return reached;
}

CommitWatch::WatchId CommitWatch::WatchCommitted(uint64_t after_position,
                                                 std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return 0;
  const WatchId id = ++last_watch_id_;
  watches_.emplace(id, Watch{after_position, std::move(fn)});
  notifier_cv_.notify_one();
  return id;
}

bool CommitWatch::CancelWatch(WatchId id) {
  std::lock_guard<std::mutex> lock(mu_);
  return watches_.erase(id) > 0;
}

void CommitWatch::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    watches_.clear();
  }
  commit_cv_.notify_all();
  notifier_cv_.notify_all();
  if (notifier_.joinable()) notifier_.join();
}

void CommitWatch::NotifierLoop() {
  std::vector<std::function<void()>> due;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    notifier_cv_.wait(lock, [&] {
      if (closed_) return true;
      const uint64_t last = LastPosition();
      for (const auto& [id, w] : watches_) {
        if (w.after < last) return true;
      }
      return false;
    });
    if (closed_) return;
    const uint64_t last = LastPosition();
    for (auto it = watches_.begin(); it != watches_.end();) {
      if (it->second.after < last) {
        due.push_back(std::move(it->second.fn));
        it = watches_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (auto& fn : due) fn();
    due.clear();
    lock.lock();
  }
}

}  // namespace tripdesk::eventstore
