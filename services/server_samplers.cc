#include "services/server_samplers.h"

#include <sys/statvfs.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "workflows/validation.h"

namespace tripdesk::services {
namespace {

// Timers are counted from the view at each scrape, up to this many: past
// it the gauge says "at least".
constexpr size_t kMostTimersCounted = 5000;

double AsDouble(uint64_t v) { return static_cast<double>(v); }

SampledMetric Gauge(std::string name, std::string help, double value) {
  return {std::move(name), std::move(help), false, {{{}, value}}};
}
SampledMetric Counter(std::string name, std::string help, double value) {
  return {std::move(name), std::move(help), true, {{{}, value}}};
}

}  // namespace

ViewLag ViewLagOf(eventstore::EventStore& store, const projections::ProjectionRunner& views,
                 absl::Time now) {
  ViewLag lag;
  const uint64_t last = store.LastPosition();
  const uint64_t applied = std::min(views.Checkpoint(), last);
  lag.positions = last - applied;
  if (lag.positions > 0) {
    absl::StatusOr<std::vector<eventstore::Record>> oldest = store.ReadAll(applied + 1, 1);
    if (oldest.ok() && !oldest->empty()) {
      lag.age = std::max(absl::ZeroDuration(),
                         now - workflows::FromProto(oldest->front().recorded_at()));
    }
  }
  return lag;
}

absl::Status Readiness(eventstore::EventStore& store, const projections::ProjectionRunner& views,
                       absl::Duration max_lag, absl::Time now) {
  if (absl::Status writable = store.WriteHealth(); !writable.ok()) {
    return absl::UnavailableError(absl::StrCat("the log cannot be written: ", writable.message()));
  }
  const ViewLag lag = ViewLagOf(store, views, now);
  if (lag.age > max_lag) {
    return absl::UnavailableError(absl::StrFormat(
        "the views are %d records (%s) behind the log, more than %s", lag.positions,
        absl::FormatDuration(lag.age), absl::FormatDuration(max_lag)));
  }
  return absl::OkStatus();
}

void AddServerSamplers(ServerMetrics& metrics, SampledParts parts) {
  metrics.AddSampler([parts](std::vector<SampledMetric>& out) {
    out.push_back(Gauge("tripdesk_log_last_position", "The last committed position of the log",
                        AsDouble(parts.store->LastPosition())));
    SampledMetric checkpoints{"tripdesk_view_checkpoint_position",
                              "The last log position each view has applied", false, {}};
    for (const auto& [view, checkpoint] : parts.views->Checkpoints()) {
      checkpoints.samples.push_back({{{"view", view}}, AsDouble(checkpoint)});
    }
    out.push_back(std::move(checkpoints));
    const ViewLag lag = ViewLagOf(*parts.store, *parts.views, parts.clock->Now());
    out.push_back(Gauge("tripdesk_view_lag_positions",
                        "Records of the log the slowest view has not applied yet",
                        AsDouble(lag.positions)));
    out.push_back(Gauge("tripdesk_view_lag_seconds",
                        "How long the oldest record the views have not applied has waited",
                        absl::ToDoubleSeconds(lag.age)));
  });
  metrics.AddSampler([parts](std::vector<SampledMetric>& out) {
    const eventstore::StorageStats s = parts.store->Storage();
    out.push_back(Gauge("tripdesk_rocksdb_pending_compaction_bytes",
                        "Bytes RocksDB estimates compaction must rewrite",
                        AsDouble(s.pending_compaction_bytes)));
    out.push_back(Counter("tripdesk_rocksdb_write_stalls_total",
                          "Times RocksDB slowed or stopped writes for compaction",
                          AsDouble(s.write_stalls)));
    out.push_back(Gauge("tripdesk_rocksdb_writes_stopped", "1 while RocksDB stops writes",
                        s.writes_stopped ? 1 : 0));
    out.push_back(Gauge("tripdesk_rocksdb_live_sst_bytes", "Bytes of the log's live SST files",
                        AsDouble(s.live_sst_bytes)));
    out.push_back(Gauge("tripdesk_log_writable", "1 while appends can be written, 0 otherwise",
                        parts.store->WriteHealth().ok() ? 1 : 0));
    struct statvfs disk;
    if (statvfs(parts.data_dir.c_str(), &disk) == 0) {
      out.push_back(Gauge("tripdesk_data_disk_free_bytes",
                          "Bytes free to tripdeskd on the data directory's file system",
                          AsDouble(disk.f_bavail) * AsDouble(disk.f_frsize)));
      out.push_back(Gauge("tripdesk_data_disk_size_bytes",
                          "Size of the data directory's file system",
                          AsDouble(disk.f_blocks) * AsDouble(disk.f_frsize)));
    }
  });
  metrics.AddSampler([parts](std::vector<SampledMetric>& out) {
    const v1::SecurityCounters c = parts.auth->Counters();
    out.push_back({"tripdesk_auth_refusals_total",
                   "Calls refused by the token check or the access policy, by reason",
                   true,
                   {{{{"reason", "unauthenticated"}}, AsDouble(c.unauthenticated())},
                    {{{"reason", "permission_denied"}}, AsDouble(c.permission_denied())}}});
    out.push_back(Counter("tripdesk_rate_limited_total",
                          "Calls refused by a rate limit (per subject or per address)",
                          AsDouble(c.rate_limited())));
    SampledMetric by_rpc{"tripdesk_denied_calls_total", "Refused calls by RPC", true, {}};
    for (const auto& [rpc, n] : c.denied_by_rpc()) by_rpc.samples.push_back({{{"rpc", rpc}}, AsDouble(n)});
    out.push_back(std::move(by_rpc));
  });
  metrics.AddSampler([parts](std::vector<SampledMetric>& out) {
    const absl::Time now = parts.clock->Now();
    if (auto pending = parts.timers->Due(now + absl::Hours(24 * 365 * 100), kMostTimersCounted); pending.ok()) {
      out.push_back(Gauge("tripdesk_deadlines_pending",
                          "Deadlines scheduled and not reached or cancelled (counted up to 5000)",
                          AsDouble(pending->size())));
    }
    if (auto overdue = parts.timers->Due(now, kMostTimersCounted); overdue.ok()) {
      out.push_back(Gauge("tripdesk_deadlines_overdue",
                          "Deadlines past due and not yet fired (counted up to 5000)",
                          AsDouble(overdue->size())));
    }
    if (auto breached = parts.timers->Breached(kMostTimersCounted); breached.ok()) {
      out.push_back(Gauge("tripdesk_sla_breached_open",
                          "SLAs breached on cases not yet fulfilled or ended (counted up to 5000)",
                          AsDouble(breached->size())));
    }
    out.push_back(Counter("tripdesk_deadlines_fired_total", "Deadlines this process fired",
                          AsDouble(parts.scheduler->fired())));
    out.push_back(Counter("tripdesk_sla_breaches_total", "SLA breaches this process fired",
                          AsDouble(parts.scheduler->breaches_fired())));
  });
  metrics.AddSampler([parts](std::vector<SampledMetric>& out) {
    out.push_back(Gauge("tripdesk_live_watchers",
                        "Open live streams (dashboard pages, WatchCases calls)",
                        AsDouble(parts.feed->watchers())));
    SampleProcess(out);
  });
}

}  // namespace tripdesk::services
