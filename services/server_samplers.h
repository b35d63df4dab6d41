// What /metrics and /readyz read from the running server at scrape time:
// the views' lag behind the log, the log's storage, the security counters,
// the deadlines, the live pages, the process.
#ifndef TRIPDESK_SERVICES_SERVER_SAMPLERS_H_
#define TRIPDESK_SERVICES_SERVER_SAMPLERS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "projections/projection_runner.h"
#include "projections/timer_projection.h"
#include "services/identity.h"
#include "services/live_feed.h"
#include "services/metrics.h"
#include "services/timer_scheduler.h"

namespace tripdesk::services {

struct ViewLag {
  uint64_t positions = 0;  // records the slowest view has not applied
  // How long the oldest of them has waited by `now` (0 when none waits).
  absl::Duration age;
};
ViewLag ViewLagOf(eventstore::EventStore& store, const projections::ProjectionRunner& views,
                 absl::Time now);

// Ready: the log can be written and every view is within `max_lag` of it.
absl::Status Readiness(eventstore::EventStore& store, const projections::ProjectionRunner& views,
                       absl::Duration max_lag, absl::Time now);

struct SampledParts {
  eventstore::EventStore* store = nullptr;
  const projections::ProjectionRunner* views = nullptr;
  const Authenticator* auth = nullptr;
  const projections::TimerQueries* timers = nullptr;
  const TimerScheduler* scheduler = nullptr;
  const LiveFeed* feed = nullptr;
  const Clock* clock = nullptr;
  std::string data_dir;
};
// Adds the samplers of every part to `metrics`; the parts must outlive it.
void AddServerSamplers(ServerMetrics& metrics, SampledParts parts);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_SERVER_SAMPLERS_H_
