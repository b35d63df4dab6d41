// Subscription: every record of the log from a position, in order, first the
// stored ones (catch-up) then new ones as they commit (live). It always reads
// from the log by position, so the switch from catch-up to live can neither
// skip nor repeat a record, and it holds one page at a time, so a slow
// subscriber never holds up appends nor grows in memory.
//
// Not thread-safe: one consumer thread per Subscription.
#ifndef TRIPDESK_EVENTSTORE_SUBSCRIPTION_H_
#define TRIPDESK_EVENTSTORE_SUBSCRIPTION_H_

#include <cstdint>
#include <deque>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"

namespace tripdesk::eventstore {

class Subscription {
 public:
  // `from_position` is inclusive; 0 and 1 both mean the start of the log.
  Subscription(EventStore* store, uint64_t from_position, size_t page_size = 256);

  // The next record, waiting for a commit until `deadline`; std::nullopt when
  // the deadline passes first.
  absl::StatusOr<std::optional<Record>> Next(absl::Time deadline);

  // Position of the next record this subscription will deliver.
  uint64_t next_position() const { return next_; }

 private:
  EventStore* store_;
  uint64_t next_;
  size_t page_size_;
  std::deque<Record> page_;
};

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_SUBSCRIPTION_H_
