// ServerMetrics: what an operator's Prometheus scrapes from /metrics. The
// command path and the store's writer update counters and histograms as
// they work (a few atomic adds each); everything that already has a source
// of truth (the views' checkpoints, RocksDB's properties, the security
// counters, the process) is read when scraped, by the samplers the server
// adds, so nothing is counted twice.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_METRICS_H_
#define TRIPDESK_SERVICES_METRICS_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"

namespace prometheus {
class Registry;
class Histogram;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace tripdesk::services {

// One sample a sampler reports at scrape time.
struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;
};
// A metric a sampler reports at scrape time: a gauge, or a counter whose
// running total lives elsewhere (the security counters).
struct SampledMetric {
  std::string name;
  std::string help;
  bool counter = false;
  std::vector<Sample> samples;
};
using Sampler = std::function<void(std::vector<SampledMetric>&)>;

class ServerMetrics final : public eventstore::WriteObserver {
 public:
  ServerMetrics();
  ~ServerMetrics() override;

  // A command call answered: "<workflow>.<command>" (empty when the request
  // named none), its gRPC code's name ("OK", "FAILED_PRECONDITION"), and
  // how long the call took from admission to the reply.
  void CommandAnswered(absl::string_view command_key, absl::string_view code,
                       absl::Duration elapsed);
  // One workflow decision (fold done, events decided).
  void Decided(absl::Duration elapsed);
  // An HTTP request served, by route ("/metrics", "/api", ...) and status.
  void HttpServed(absl::string_view route, int status);

  // eventstore::WriteObserver
  void BatchWritten(size_t appends, size_t events, absl::Duration write) override;
  void AppendQueued(absl::Duration waited) override;
  void WalSynced(absl::Duration fsync) override;

  // Adds metrics read at every scrape. Samplers run on the scraping thread.
  void AddSampler(Sampler sampler);
  // The exposition text (Prometheus text format 0.0.4).
  std::string Scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* commands_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Histogram* command_seconds_;
  prometheus::Histogram* decide_seconds_;
  prometheus::Histogram* queue_seconds_;
  prometheus::Histogram* wal_write_seconds_;
  prometheus::Histogram* fsync_seconds_;
  prometheus::Histogram* batch_appends_;
  prometheus::Histogram* batch_events_;
  mutable std::mutex samplers_mu_;
  std::vector<Sampler> samplers_;  // guarded by samplers_mu_
};

// The process' resident memory and open file descriptors (from /proc).
void SampleProcess(std::vector<SampledMetric>& out);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_METRICS_H_
