// LiveFeed: which cases the log changes, pushed to pages that show them
// live (CaseService.WatchCases, the dashboard's server-sent events). It is
// offered each page of the log as the views apply it (ProjectionRunner's
// page observer), so a page that reads again on a change finds it, and the
// log is read once for the views and every watcher. While anyone watches it
// gathers a batch for `coalesce` (the last change of each case) and hands
// the same batch to every watcher. A watcher that reads slowly gets its
// batches merged, and past `max_changes` only a count of what was dropped,
// so a stalled page costs bounded memory and never slows the log.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_LIVE_FEED_H_
#define TRIPDESK_SERVICES_LIVE_FEED_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::services {

class LiveFeed {
 public:
  struct Options {
    absl::Duration coalesce = absl::Milliseconds(250);
    // Most changes one batch (or one watcher's merged batches) carries: a
    // page shows a few dozen cases, and past this reads its list again.
    // Every watcher's batch is sent (and shown as JSON) apiece, so this
    // bounds what 50 live pages cost a busy server.
    size_t max_changes = 50;
  };
  explicit LiveFeed(Options options);
  LiveFeed() : LiveFeed(Options()) {}
  ~LiveFeed();  // Stop()

  struct Mailbox;
  class Watcher {
   public:
    ~Watcher();
    // The changes since the last call, waiting for some until `deadline`: an
    // empty batch (a heartbeat) when none came. UNAVAILABLE once the feed
    // stops.
    absl::StatusOr<v1::CaseChanges> Next(absl::Time deadline);

   private:
    friend class LiveFeed;
    // A watcher may outlive the feed (a stream ending after shutdown): it
    // shares only its mailbox, which the feed drops once abandoned.
    explicit Watcher(std::shared_ptr<Mailbox> mailbox) : mailbox_(std::move(mailbox)) {}
    std::shared_ptr<Mailbox> mailbox_;
  };

  // Changes applied from now on, of `case_id` only when not empty.
  std::unique_ptr<Watcher> Watch(std::string case_id);
  // A page of the log the views have applied, in order; pages at or before
  // one offered already (a rebuild's) are passed over. Cheap when nobody
  // watches.
  void Offer(const std::vector<eventstore::Record>& records);
  // Ends every watch (their Next answers UNAVAILABLE) and the follower.
  void Stop();
  size_t watchers() const;

 private:
  class ChangeSet;
  // The publisher: hands the gathered batch out once it is `coalesce` old.
  void Publish();
  void Hand(std::shared_ptr<const v1::CaseChanges> batch);
  // Drops the mailboxes of watchers gone; under mu_.
  void PruneLocked();

  const Options options_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Mailbox>> mailboxes_;  // guarded by mu_
  bool publishing_ = false;                          // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::atomic<size_t> watching_{0};                  // mailboxes_.size()
  std::thread publisher_;

  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::unique_ptr<ChangeSet> pending_;              // guarded by pending_mu_
  absl::Time gathering_since_;                      // guarded by pending_mu_
  uint64_t offered_ = 0;                            // guarded by pending_mu_
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_LIVE_FEED_H_
