#include "services/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_split.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace tripdesk::services {
namespace {

// Seconds, from 50 µs (a decision) to 10 s (a stalled disk).
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,    5,    10};
}

prometheus::Histogram* LatencyHistogram(prometheus::Registry& registry, const std::string& name,
                                        const std::string& help) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add(
      {}, LatencyBuckets());
}

prometheus::Histogram* SizeHistogram(prometheus::Registry& registry, const std::string& name,
                                     const std::string& help) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add(
      {}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
}

prometheus::MetricFamily ToFamily(const SampledMetric& metric) {
  prometheus::MetricFamily family;
  family.name = metric.name;
  family.help = metric.help;
  family.type = metric.counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
  for (const Sample& s : metric.samples) {
    prometheus::ClientMetric m;
    for (const auto& [name, value] : s.labels) m.label.push_back({name, value});
    if (metric.counter) {
      m.counter.value = s.value;
    } else {
      m.gauge.value = s.value;
    }
    family.metric.push_back(std::move(m));
  }
  return family;
}

}  // namespace

ServerMetrics::ServerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  commands_ = &prometheus::BuildCounter()
                   .Name("tripdesk_commands_total")
                   .Help("Command calls answered, by workflow, command and gRPC code")
                   .Register(r);
  http_requests_ = &prometheus::BuildCounter()
                        .Name("tripdesk_http_requests_total")
                        .Help("HTTP requests served, by route and status")
                        .Register(r);
  command_seconds_ = LatencyHistogram(
      r, "tripdesk_command_seconds",
      "A command call end to end: admitted, decided, queued, written, synced, answered");
  decide_seconds_ = LatencyHistogram(r, "tripdesk_decide_seconds",
                                     "A workflow's decision on the case as folded (the fold not included)");
  queue_seconds_ = LatencyHistogram(r, "tripdesk_append_queue_seconds",
                                    "An append's wait in the queue before the writer takes it");
  wal_write_seconds_ = LatencyHistogram(r, "tripdesk_wal_write_seconds",
                                        "A group commit's write to RocksDB (WAL and memtable)");
  fsync_seconds_ = LatencyHistogram(r, "tripdesk_wal_fsync_seconds",
                                    "One fsync of the write-ahead log");
  batch_appends_ = SizeHistogram(r, "tripdesk_group_commit_appends",
                                 "Appends (commands) written by one group commit");
  batch_events_ = SizeHistogram(r, "tripdesk_group_commit_events",
                                "Events written by one group commit");
}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::CommandAnswered(absl::string_view command_key, absl::string_view code,
                                    absl::Duration elapsed) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(command_key, absl::MaxSplits('.', 1));
  if (parts.first.empty()) parts.first = "none";
  if (parts.second.empty()) parts.second = "none";
  commands_
      ->Add({{"workflow", std::move(parts.first)},
             {"command", std::move(parts.second)},
             {"code", std::string(code)}})
      .Increment();
  command_seconds_->Observe(absl::ToDoubleSeconds(elapsed));
}

void ServerMetrics::Decided(absl::Duration elapsed) {
  decide_seconds_->Observe(absl::ToDoubleSeconds(elapsed));
}

void ServerMetrics::HttpServed(absl::string_view route, int status) {
  http_requests_->Add({{"route", std::string(route)}, {"status", std::to_string(status)}})
      .Increment();
}

void ServerMetrics::BatchWritten(size_t appends, size_t events, absl::Duration write) {
  batch_appends_->Observe(static_cast<double>(appends));
  batch_events_->Observe(static_cast<double>(events));
  wal_write_seconds_->Observe(absl::ToDoubleSeconds(write));
}

void ServerMetrics::AppendQueued(absl::Duration waited) {
  queue_seconds_->Observe(absl::ToDoubleSeconds(waited));
}

void ServerMetrics::WalSynced(absl::Duration fsync) {
  fsync_seconds_->Observe(absl::ToDoubleSeconds(fsync));
}

void ServerMetrics::AddSampler(Sampler sampler) {
  std::lock_guard<std::mutex> lock(samplers_mu_);
  samplers_.push_back(std::move(sampler));
}

std::string ServerMetrics::Scrape() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<SampledMetric> sampled;
  {
    std::lock_guard<std::mutex> lock(samplers_mu_);
    for (const Sampler& sampler : samplers_) sampler(sampled);
  }
  for (const SampledMetric& m : sampled) families.push_back(ToFamily(m));
  return prometheus::TextSerializer().Serialize(families);
}

void SampleProcess(std::vector<SampledMetric>& out) {
  // statm: sizes in pages; the second field is the resident set.
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (statm >> size >> resident) {
    out.push_back({"process_resident_memory_bytes", "Resident memory size in bytes", false,
                   {{{}, static_cast<double>(resident * sysconf(_SC_PAGESIZE))}}});
  }
  if (DIR* fds = opendir("/proc/self/fd"); fds != nullptr) {
    double open = 0;
    while (const dirent* e = readdir(fds)) {
      if (e->d_name[0] != '.') ++open;
    }
    closedir(fds);
    out.push_back({"process_open_fds", "Open file descriptors", false, {{{}, open - 1}}});
  }
  out.push_back({"process_max_fds", "Most file descriptors the process may open", false,
                 {{{}, static_cast<double>(sysconf(_SC_OPEN_MAX))}}});
}

}  // namespace tripdesk::services
