// Verifier: proves the log was not altered. It recomputes every stream's
// hash chain and checks that positions are gapless, that each stream's
// revisions run 0, 1, 2... and that each stream's index ends where its
// records do. It reports the first record that does not match.
//
// Thread-safe (reads only); long runs report progress through a callback.
#ifndef TRIPDESK_EVENTSTORE_VERIFIER_H_
#define TRIPDESK_EVENTSTORE_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"

namespace tripdesk::eventstore {

struct VerifyProblem {
  uint64_t position = 0;
  std::string stream;
  uint64_t revision = 0;
  std::string problem;
};

struct VerifyReport {
  uint64_t records_checked = 0;
  // Log position (whole log) or revision (one stream) reached.
  uint64_t reached = 0;
  uint64_t total = 0;
  std::optional<VerifyProblem> problem;
};

// Called every `every` records with the report so far; return false to stop.
using VerifyProgress = std::function<bool(const VerifyReport&)>;

// The whole log, from position 1 to the last committed one.
absl::StatusOr<VerifyReport> VerifyLog(EventStore& store, const VerifyProgress& progress,
                                       uint64_t every = 10000);
// One stream, through its index. NOT_FOUND if it has no events.
absl::StatusOr<VerifyReport> VerifyStream(EventStore& store, absl::string_view stream);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_VERIFIER_H_
