// ProjectionRunner: feeds the log, in order, to every projection on one
// thread, writing each batch's rows and the projections' checkpoints in one
// WriteBatch, so a crash never applies an event twice or skips one.
//
// Rows are stored per projection version (family "case_state@v2"). When the
// code's version of a view differs from the one stored, the new version is
// built beside the old one from the log while queries keep reading the old
// rows; once it has caught up with the log, queries switch to it and the old
// families are dropped.
//
// The views remember the last record they applied (position and hash); at
// start a log that ends before it or holds another record there (a restored
// older log, a truncated one) makes the runner rebuild every view from the
// log, rather than let new commands reuse positions the views have passed.
//
// Thread-safe.
#ifndef TRIPDESK_PROJECTIONS_PROJECTION_RUNNER_H_
#define TRIPDESK_PROJECTIONS_PROJECTION_RUNNER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "projections/projection.h"
#include "projections/view_store.h"

namespace tripdesk::projections {

inline constexpr char kCheckpointFamily[] = "checkpoints";

class ProjectionRunner {
 public:
  // After applying what the log held, the runner lingers up to `linger`
  // for more before the next page, unless a reader waits for a position:
  // a busy case's events then cost one row and index write per page, not
  // one per event.
  ProjectionRunner(eventstore::EventStore* store, ViewStore* views,
                   std::vector<std::unique_ptr<Projection>> projections,
                   absl::Duration linger = absl::Milliseconds(10));
  ~ProjectionRunner();

  // The column families the code's versions of these projections use.
  static std::vector<std::string> Families(const std::vector<std::unique_ptr<Projection>>& projections);
  // "case_state" of version 2 is stored as "case_state@v2".
  static std::string VersionedFamily(absl::string_view base, int version);

  // Called on the runner's thread with each page of the log once the views
  // have applied it and readers see it (pages shown live read it next); a
  // rebuild passes old pages again. Set before Start; must not block.
  using PageObserver = std::function<void(const std::vector<eventstore::Record>&)>;
  void ObservePages(PageObserver observer) { page_observer_ = std::move(observer); }

  // Loads checkpoints and versions and starts the thread.
  absl::Status Start();
  void Stop();

  // The family queries read for a projection's `base` family: the version
  // being served.
  std::string ServingFamily(absl::string_view base) const;

  // Blocks until every view includes `position` or the deadline passes.
  // DEADLINE_EXCEEDED, or the error that stopped the runner.
  absl::Status WaitFor(uint64_t position, absl::Time deadline);
  // Drops a view's rows (every view's when `name` is empty) and rebuilds it
  // from the log in the background. NOT_FOUND for an unknown view.
  absl::Status RequestRebuild(absl::string_view name);
  // RequestRebuild, then waits until the view has caught up with the log as
  // it was when called, or the deadline passes.
  absl::Status Rebuild(absl::string_view name, absl::Time deadline);
  // The lowest checkpoint of all views.
  uint64_t Checkpoint() const;
  // Each view's name and checkpoint (0 while a rebuild is pending).
  std::vector<std::pair<std::string, uint64_t>> Checkpoints() const;

 private:
  struct Slot {
    std::unique_ptr<Projection> projection;
    uint64_t checkpoint = 0;  // of the code's version
    bool reset_requested = false;
    int serving_version = 0;  // the version queries read; guarded by mu_
  };

  void Loop();
  // Waits up to linger_ for more of the log (see the constructor).
  void Linger();
  // Publishes the slots' checkpoints to readers; under mu_.
  void PublishLocked();
  absl::Status ResetSlot(Slot& slot);
  // At start: when the views have applied records the log does not hold (or
  // holds differently), says so and rebuilds every view from the log.
  absl::Status RebuildIfBesideAnotherLog();
  absl::Status ApplyPage(const std::vector<eventstore::Record>& records);
  // The code's version has caught up: serve it, drop the old rows.
  absl::Status Promote(Slot& slot);

  eventstore::EventStore* store_;
  ViewStore* views_;
  std::vector<Slot> slots_;
  std::vector<uint64_t> published_;  // slots' checkpoints as of the last batch; under mu_

  const absl::Duration linger_;
  PageObserver page_observer_;
  mutable std::mutex mu_;
  std::condition_variable progress_cv_;
  std::condition_variable linger_cv_;  // the runner, lingering
  int readers_waiting_ = 0;            // in WaitFor; under mu_
  absl::Status failed_;
  bool stopping_ = false;
  std::atomic<uint64_t> min_checkpoint_{0};
  std::thread thread_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_PROJECTION_RUNNER_H_
