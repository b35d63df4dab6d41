// The commit watch: the last durable position, the callers waiting for a
// position, and the commit watchers, run on their own notifier thread so
// foreign code never runs on the writer. Internal.
#ifndef TRIPDESK_EVENTSTORE_COMMIT_WATCH_H_
#define TRIPDESK_EVENTSTORE_COMMIT_WATCH_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "eventstore/event_store.h"

namespace tripdesk::eventstore {

class CommitWatch {
 public:
  using WatchId = EventStore::WatchId;

  // Starts the notifier thread; `last` is the position already durable.
  explicit CommitWatch(uint64_t last);
  ~CommitWatch() { Close(); }

  uint64_t LastPosition() const { return last_committed_.load(std::memory_order_acquire); }

  // Makes positions up to `target` visible to readers, once durable.
  void Publish(uint64_t target);

  bool WaitForPosition(uint64_t position, absl::Time deadline);
  WatchId WatchCommitted(uint64_t after_position, std::function<void()> fn);
  bool CancelWatch(WatchId id);

  // Wakes every waiter, drops the watchers and stops the notifier.
  void Close();

 private:
  struct Watch {
    uint64_t after;
    std::function<void()> fn;
  };

  void NotifierLoop();

  std::atomic<uint64_t> last_committed_;
  std::mutex mu_;
  std::condition_variable commit_cv_;    // WaitForPosition callers
  std::condition_variable notifier_cv_;  // the notifier thread
  int position_waiters_ = 0;
  std::map<WatchId, Watch> watches_;
  WatchId last_watch_id_ = 0;
  bool closed_ = false;
  std::thread notifier_;
};

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_COMMIT_WATCH_H_
