// Durable append throughput of the EventStore next to raw RocksDB synced
// WriteBatches of the same bytes, measured in the same run; and reads at 1M
// stored events. Run with tools/bench.sh (not part of ctest).
//
// Directory: $TRIPDESK_BENCH_DIR or /tmp/tripdesk-bench (removed first).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <semaphore>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace tripdesk::eventstore {
namespace {

constexpr size_t kPayloadBytes = 200;
constexpr uint64_t kReadEvents = 1000000;
constexpr uint64_t kEventsPerStream = 10;

std::string BenchDir() {
  const char* dir = std::getenv("TRIPDESK_BENCH_DIR");
  return dir != nullptr ? dir : "/tmp/tripdesk-bench";
}

std::unique_ptr<EventStore> OpenStore(const std::string& name) {
  Options options;
  options.path = BenchDir() + "/" + name;
  auto store = EventStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", options.path.c_str(),
                 store.status().ToString().c_str());
    std::abort();
  }
  return *std::move(store);
}

// The bytes one appended event costs in the store: the record under its
// position, and the stream index entry. The raw baseline writes the same.
struct EventBytes {
  size_t record_value;
  size_t index_key;
  size_t index_value;
};

EventBytes MeasureEventBytes() {
  Record r;
  r.set_position(123456);
  r.set_stream("case-12-34");
  r.set_revision(12);
  r.set_event_type("QuoteSent");
  r.set_payload(std::string(kPayloadBytes, 'p'));
  r.mutable_recorded_at()->set_seconds(1790000000);
  r.mutable_recorded_at()->set_nanos(123456000);
  r.set_actor_id("agent-7");
  r.set_actor_role("agent");
  r.set_hash(std::string(32, 'h'));
  return {r.ByteSizeLong(), r.stream().size() + 1 + 8, 8 + 32};
}

EventStore* AppendStore() {
  static EventStore* store = OpenStore("append").release();
  return store;
}

void BM_StoreDurableAppend(benchmark::State& state) {
  EventStore* store = AppendStore();
  const std::string payload(kPayloadBytes, 'p');
  uint64_t i = 0;
  for (auto _ : state) {
    AppendRequest request;
    request.streams.push_back(
        {absl::StrCat("case-", state.thread_index(), "-", i++ % 100),
         ExpectedRevision::Any(),
         {{"QuoteSent", payload}}});
    request.actor = {"agent-7", "agent"};
    auto outcome = store->Append(std::move(request));
    if (!outcome.ok()) state.SkipWithError(outcome.status().ToString().c_str());
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StoreDurableAppend)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

// The same appends as tripdeskd issues them: N in flight through the
// callback API from one thread, no thread parked per appender.
void BM_StoreDurableAppendInFlight(benchmark::State& state) {
  EventStore* store = AppendStore();
  const std::string payload(kPayloadBytes, 'p');
  const int in_flight = static_cast<int>(state.range(0));
  std::counting_semaphore<1024> slots(in_flight);
  std::atomic<int> errors{0};
  uint64_t i = 0;
  for (auto _ : state) {
    slots.acquire();
    AppendRequest request;
    request.streams.push_back({absl::StrCat("case-async-", i % 1000),
                               ExpectedRevision::Any(),
                               {{"QuoteSent", payload}}});
    request.actor = {"agent-7", "agent"};
    ++i;
    store->AppendAsync(std::move(request), [&](absl::StatusOr<AppendOutcome> r) {
      if (!r.ok()) ++errors;
      slots.release();
    });
  }
  for (int k = 0; k < in_flight; ++k) slots.acquire();
  if (errors > 0) state.SkipWithError("appends failed");
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StoreDurableAppendInFlight)->Arg(1)->Arg(8)->Arg(32)->Arg(128)->UseRealTime();

rocksdb::DB* RawDb() {
  static rocksdb::DB* db = [] {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.recycle_log_file_num = 4;
    options.enable_pipelined_write = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, BenchDir() + "/raw", &raw);
    if (!s.ok()) std::abort();
    return raw;
  }();
  return db;
}

// Each iteration writes `events` events' bytes in one synced WriteBatch.
void RawSyncedBatches(benchmark::State& state, int events) {
  static const EventBytes bytes = MeasureEventBytes();
  static std::atomic<uint64_t> next_key{1};
  rocksdb::DB* db = RawDb();
  const std::string value(bytes.record_value, 'v');
  const std::string index_value(bytes.index_value, 'i');
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::WriteBatch batch;
  for (auto _ : state) {
    batch.Clear();
    for (int e = 0; e < events; ++e) {
      const uint64_t key = next_key++;
      batch.Put(keys::LogKey(key), value);
      std::string index_key(bytes.index_key - 8, 's');
      index_key.append(keys::EncodeU64(key));
      batch.Put(index_key, index_value);
    }
    rocksdb::Status s = db->Write(sync, &batch);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * events,
                         benchmark::Counter::kIsRate);
}

void BM_RawRocksDbSyncedWrite(benchmark::State& state) { RawSyncedBatches(state, 1); }
BENCHMARK(BM_RawRocksDbSyncedWrite)->Threads(1)->Threads(32)->UseRealTime();

void BM_RawRocksDbSyncedBatchOf100(benchmark::State& state) {
  RawSyncedBatches(state, 100);
}
BENCHMARK(BM_RawRocksDbSyncedBatchOf100)->Threads(1)->UseRealTime();

// 1M events in streams of 10, written in appends of 1000 events.
EventStore* ReadStore() {
  static EventStore* store = [] {
    EventStore* s = OpenStore("read").release();
    const std::string payload(kPayloadBytes, 'p');
    for (uint64_t stream = 0; s->LastPosition() < kReadEvents;) {
      AppendRequest request;
      for (int k = 0; k < 100; ++k, ++stream) {
        StreamAppend& sa = request.streams.emplace_back();
        sa.stream = absl::StrCat("case-", stream);
        sa.events.assign(kEventsPerStream, {"Noted", payload});
      }
      if (!s->Append(std::move(request)).ok()) std::abort();
    }
    // Measure a settled store, not one busy compacting what was just loaded.
    if (!s->Compact().ok()) std::abort();
    return s;
  }();
  return store;
}

void BM_ScanAllAt1M(benchmark::State& state) {
  EventStore* store = ReadStore();
  for (auto _ : state) {
    std::unique_ptr<LogIterator> it = store->ScanAll(1);
    uint64_t n = 0;
    for (;;) {
      auto r = it->Next();
      if (!r.ok() || !r->has_value()) break;
      ++n;
    }
    if (n != kReadEvents) state.SkipWithError("scan did not see every event");
  }
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kReadEvents), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanAllAt1M)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ReadTenEventStreamAt1M(benchmark::State& state) {
  EventStore* store = ReadStore();
  const uint64_t streams = kReadEvents / kEventsPerStream;
  std::mt19937_64 random(42);
  std::vector<double> micros;
  micros.reserve(200000);
  for (auto _ : state) {
    const std::string stream = absl::StrCat("case-", random() % streams);
    const auto start = std::chrono::steady_clock::now();
    auto records = store->ReadStream(stream, 0, kEventsPerStream);
    const auto end = std::chrono::steady_clock::now();
    if (!records.ok() || records->size() != kEventsPerStream) {
      state.SkipWithError("short stream read");
    }
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
}
BENCHMARK(BM_ReadTenEventStreamAt1M)->Unit(benchmark::kMicrosecond)->MinTime(5);

}  // namespace
}  // namespace tripdesk::eventstore

int main(int argc, char** argv) {
  std::filesystem::remove_all(tripdesk::eventstore::BenchDir());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
