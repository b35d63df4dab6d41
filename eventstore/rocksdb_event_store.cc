// The RocksDB EventStore's group commit: one writer thread stages queued
// appends into one WriteBatch (batch_staging.h), a syncer thread fsyncs the
// WAL for every batch written meanwhile and publishes the durable position
// (commit_watch.h), and a completer thread wakes the callers.
#include "eventstore/rocksdb_event_store.h"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventstore/append_checks.h"
#include "eventstore/batch_staging.h"
#include "eventstore/commit_watch.h"
#include "eventstore/keys.h"
#include "eventstore/log_reader.h"
#include "eventstore/merkle_tree.h"
#include "eventstore/rocksdb_status.h"
#include "rocksdb/write_batch.h"

namespace tripdesk::eventstore {
namespace {

// Staged writes go into the store's one WriteBatch.
class WriteBatchSink final : public StagingSink {
 public:
  WriteBatchSink(rocksdb::WriteBatch& batch, LogFamilies cf) : batch_(batch), cf_(cf) {}

  void PutRecord(uint64_t position, const std::string& record) override {
    batch_.Put(cf_.log, keys::LogKey(position), record);
  }
  void PutIndex(const std::string& stream, uint64_t revision,
                const std::string& value) override {
    batch_.Put(cf_.streams, keys::StreamKey(stream, revision), value);
  }
  void PutCommand(const std::string& command_id, const std::string& outcome) override {
    batch_.Put(cf_.commands, keys::CommandKey(command_id), outcome);
  }
  void PutTreeNode(int level, uint64_t index, const std::string& hash) override {
    batch_.Put(cf_.tree, keys::TreeNodeKey(level, index), hash);
  }

 private:
  rocksdb::WriteBatch& batch_;
  LogFamilies cf_;
};

class RocksDbEventStore final : public EventStore {
 public:
  RocksDbEventStore(Options options, std::unique_ptr<rocksdb::DB> db,
                    std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : options_(std::move(options)),
        db_(std::move(db)),
        handles_(std::move(handles)),
        families_{handles_[1], handles_[2], handles_[3], handles_[4]},
        reader_(options_, db_.get(), families_),
        sink_(write_batch_, families_) {}

  ~RocksDbEventStore() override { Close(); }

  // A thread running `loop`, named so top -H and perf tell the stages apart.
  std::thread Named(const char* name, void (RocksDbEventStore::*loop)()) {
    return std::thread([this, name, loop] {
      pthread_setname_np(pthread_self(), name);
      (this->*loop)();
    });
  }

  absl::Status Recover() {
    absl::StatusOr<uint64_t> last = reader_.ReadLastPosition();
    if (!last.ok()) return last.status();
    next_position_ = *last + 1;
    watch_ = std::make_unique<CommitWatch>(*last);
    reader_.set_durable(watch_.get());
    absl::StatusOr<merkle::Frontier> tree = LoadTree(*last);
    if (!tree.ok()) return tree.status();
    stager_.emplace(options_, *std::move(tree));
    writer_ = Named("log-writer", &RocksDbEventStore::WriterLoop);
    syncer_ = Named("log-syncer", &RocksDbEventStore::SyncerLoop);
    completer_ = Named("log-completer", &RocksDbEventStore::CompleterLoop);
    return absl::OkStatus();
  }

  absl::StatusOr<AppendOutcome> Append(AppendRequest request) override {
    // Waiters sleep on one completion epoch that is bumped once per group of
    // completions: one futex wake for a whole fsync's callers instead of one
    // syscall each (a spurious wake costs a waiter a re-check).
    std::atomic<bool> ready{false};
    std::optional<absl::StatusOr<AppendOutcome>> result;
    AppendAsync(std::move(request), [&](absl::StatusOr<AppendOutcome> r) {
      result = std::move(r);
      ready.store(true, std::memory_order_release);
    });
    for (;;) {
      const uint64_t epoch = completion_epoch_.load(std::memory_order_acquire);
      if (ready.load(std::memory_order_acquire)) break;
      completion_epoch_.wait(epoch, std::memory_order_acquire);
    }
    return *std::move(result);
  }

  void AppendAsync(AppendRequest request, AppendCallback done) override {
    if (absl::Status s = ValidateRequest(request, options_); !s.ok()) {
      done(s);
      return;
    }
    const size_t events = EventCount(request);
    absl::Status refused;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (closing_) {
        refused = absl::UnavailableError("the event store is shutting down");
      } else if (!failed_.ok()) {
        refused = failed_;
      } else if (queue_.size() >= options_.max_queued_appends) {
        refused = absl::ResourceExhaustedError(absl::StrFormat(
            "the append queue is full (%d waiting); retry with backoff", queue_.size()));
      } else {
        queue_.push_back(Pending{std::move(request), std::move(done), events,
                                 options_.observer != nullptr ? absl::Now() : absl::Time()});
        // A busy writer takes this with its next batch; wake only an idle one.
        if (!writer_idle_) return;
      }
    }
    // Callbacks never run under the store's locks: they may append again.
    if (!refused.ok()) {
      done(refused);
      return;
    }
    queue_cv_.notify_one();
  }

  absl::StatusOr<std::vector<Record>> ReadStream(absl::string_view stream,
                                                 uint64_t from_revision,
                                                 size_t limit) override {
    return reader_.ReadStream(stream, from_revision, limit);
  }

  absl::StatusOr<StreamHead> GetStreamHead(absl::string_view stream) override {
    return reader_.HeadUpTo(stream, LastPosition());
  }

  absl::StatusOr<StreamHead> GetIndexedStreamHead(absl::string_view stream) override {
    return reader_.HeadUpTo(stream, UINT64_MAX);
  }

  absl::StatusOr<std::vector<Record>> ReadAll(uint64_t from_position,
                                              size_t limit) override {
    return reader_.ReadAll(from_position, limit);
  }

  absl::StatusOr<std::optional<DamagedRecord>> FindIndexEntry(uint64_t position) override {
    return reader_.FindIndexEntry(position);
  }

  absl::StatusOr<std::string> TreeRoot(uint64_t size) override {
    if (size > LastPosition()) return PastTheEnd("tree size", size);
    return merkle::SubtreeRoot(reader_.TreeNodes(), 0, size);
  }

  absl::StatusOr<std::string> TreeLeaf(uint64_t position) override {
    if (position == 0 || position > LastPosition()) return PastTheEnd("position", position);
    return reader_.TreeNode(0, position - 1);
  }

  absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t position,
                                                          uint64_t size) override {
    if (size > LastPosition()) return PastTheEnd("tree size", size);
    if (position == 0 || position > size) {
      return absl::OutOfRangeError(absl::StrFormat(
          "position: %d is not in the tree of %d records", position, size));
    }
    return merkle::InclusionProof(reader_.TreeNodes(), position - 1, size);
  }

  absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t old_size,
                                                            uint64_t new_size) override {
    if (new_size > LastPosition()) return PastTheEnd("new tree size", new_size);
    return merkle::ConsistencyProof(reader_.TreeNodes(), old_size, new_size);
  }

  absl::StatusOr<std::vector<std::string>> TreeChunkRoots(uint64_t size,
                                                          uint64_t chunk) override {
    if (size > LastPosition()) return PastTheEnd("tree size", size);
    return merkle::ChunkRoots(reader_.TreeNodes(), size, chunk);
  }

  std::unique_ptr<LogIterator> ScanAll(uint64_t from_position) override {
    return PagedLogScan(this, from_position);
  }

  absl::StatusOr<std::optional<AppendOutcome>> FindCommand(
      absl::string_view command_id) override {
    return reader_.FindCommand(command_id);
  }

  uint64_t LastPosition() const override { return watch_->LastPosition(); }

  bool WaitForPosition(uint64_t position, absl::Time deadline) override {
    return watch_->WaitForPosition(position, deadline);
  }

  WatchId WatchCommitted(uint64_t after_position, std::function<void()> fn) override {
    return watch_->WatchCommitted(after_position, std::move(fn));
  }

  bool CancelWatch(WatchId id) override { return watch_->CancelWatch(id); }

  absl::Status Compact() override {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      if (absl::Status s = FromRocksDb(db_->CompactRange(compact, h, nullptr, nullptr),
                                       "compacting");
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  StorageStats Storage() const override {
    StorageStats stats;
    uint64_t value = 0;
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                                      &value)) {
      stats.pending_compaction_bytes = value;
    }
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kLiveSstFilesSize, &value)) {
      stats.live_sst_bytes = value;
    }
    if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value)) {
      stats.writes_stopped = value != 0;
    }
    for (rocksdb::ColumnFamilyHandle* family : handles_) {
      std::map<std::string, std::string> cf;
      if (!db_->GetMapProperty(family, rocksdb::DB::Properties::kCFStats, &cf)) continue;
      for (const char* key : {"io_stalls.total_stop", "io_stalls.total_slowdown"}) {
        auto it = cf.find(key);
        if (it != cf.end()) stats.write_stalls += std::strtoull(it->second.c_str(), nullptr, 10);
      }
    }
    return stats;
  }

  absl::Status WriteHealth() const override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (!failed_.ok()) return failed_;
    }
    std::lock_guard<std::mutex> lock(health_mu_);
    return write_health_;
  }

  const Options& options() const override { return options_; }

 private:
  struct Pending {
    AppendRequest request;
    AppendCallback done;
    size_t events;
    absl::Time queued_at;
  };

  struct Completion {
    AppendCallback done;
    absl::StatusOr<AppendOutcome> result;
  };

  // Appends written to RocksDB (or refused) in one batch, waiting for the
  // fsync that makes them durable before their callers hear back.
  struct SyncBatch {
    uint64_t last_position = 0;
    std::vector<Completion> completions;
  };

  void Close() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (closing_) return;
      closing_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (syncer_.joinable()) syncer_.join();
    if (completer_.joinable()) completer_.join();
    if (watch_ != nullptr) watch_->Close();
    if (db_ != nullptr) {
      // Everything acknowledged is already synced; flushing the memtables
      // makes the next open skip WAL replay.
      rocksdb::FlushOptions flush;
      flush.wait = true;
      (void)db_->Flush(flush, handles_);
      for (rocksdb::ColumnFamilyHandle* h : handles_) {
        (void)db_->DestroyColumnFamilyHandle(h);
      }
      handles_.clear();
      (void)db_->Close();
      db_.reset();
    }
  }

  void WriterLoop() {
    std::vector<Pending> batch;
    std::deque<Pending> refused;
    absl::Status failure;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        writer_idle_ = true;
        queue_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
        writer_idle_ = false;
        if (queue_.empty()) {  // closing and drained
          lock.unlock();
          std::lock_guard<std::mutex> sync_lock(sync_mu_);
          writer_done_ = true;
          sync_cv_.notify_one();
          return;
        }
        if (!failed_.ok()) {
          refused.swap(queue_);
          failure = failed_;
        }
        size_t events = 0;
        while (!queue_.empty() &&
               (batch.empty() ||
                events + queue_.front().events <= options_.max_batch_events)) {
          events += queue_.front().events;
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (!refused.empty()) {
        for (Pending& p : refused) p.done(failure);
        refused.clear();
        WakeWaiters();
      }
      CommitBatch(batch);
      batch.clear();
    }
  }

  // Decides every queued append against the current heads, writes the
  // accepted ones in one WriteBatch, then hands them all to the syncer.
  void CommitBatch(std::vector<Pending>& batch) {
    write_batch_.Clear();
    batch_requests_.clear();
    const absl::Time taken = absl::Now();
    size_t events = 0;
    for (const Pending& p : batch) {
      batch_requests_.push_back(&p.request);
      events += p.events;
      if (options_.observer != nullptr) options_.observer->AppendQueued(taken - p.queued_at);
    }
    const uint64_t next =
        stager_->Stage(batch_requests_, next_position_, absl::Now(), reader_, sink_);
    // Not synced here: the syncer thread fsyncs the WAL for this batch and
    // every other written meanwhile, then acknowledges them. Readers see
    // nothing past the synced position.
    if (next != next_position_) {
      const absl::Time write_start = absl::Now();
      WriteStaged(next);
      if (options_.observer != nullptr) {
        options_.observer->BatchWritten(batch.size(), events, absl::Now() - write_start);
      }
    }

    // Every batch goes through the syncer, even one that wrote nothing: a
    // duplicate's original may still be waiting for its fsync.
    SyncBatch pending;
    pending.last_position = next_position_ - 1;
    std::vector<absl::StatusOr<AppendOutcome>> results = stager_->TakeResults();
    pending.completions.reserve(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      pending.completions.push_back({std::move(batch[i].done), std::move(results[i])});
    }
    std::unique_lock<std::mutex> lock(sync_mu_);
    // Bound the work written but not yet synced.
    sync_space_cv_.wait(lock, [&] {
      return unsynced_appends_ < options_.max_queued_appends || unsynced_.empty();
    });
    unsynced_appends_ += pending.completions.size();
    unsynced_.push_back(std::move(pending));
    if (syncer_idle_) sync_cv_.notify_one();
  }

  absl::Status PastTheEnd(absl::string_view what, uint64_t value) const {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: %d is past the log's end (%d records committed)", what, value, LastPosition()));
  }

  // The tree's right edge over `size` records. A log written before the
  // tree existed gets its tree built here, once, from its records.
  absl::StatusOr<merkle::Frontier> LoadTree(uint64_t size) {
    // Records and leaves are written in one batch: a leaf past the last
    // record means records were cut from the log's end behind its back.
    if (reader_.TreeNode(0, size).ok()) {
      return absl::DataLossError(absl::StrFormat(
          "the log ends at position %d but its Merkle tree holds a leaf for position %d: records "
          "were removed from the log's end; restore the data directory from a backup, then run "
          "tripdesk audit verify",
          size, size + 1));
    }
    if (size == 0) return merkle::Frontier();
    absl::StatusOr<std::string> last_leaf = reader_.TreeNode(0, size - 1);
    if (last_leaf.ok()) return merkle::Frontier::Load(size, reader_.TreeNodes());
    merkle::Frontier tree;
    rocksdb::WriteBatch nodes;
    std::unique_ptr<LogIterator> records = PagedLogScan(this, 1);
    for (;;) {
      absl::StatusOr<std::optional<Record>> r = records->Next();
      if (!r.ok()) return r.status();
      if (!r->has_value() || (*r)->position() > size) break;
      tree.Append(merkle::LeafHash((*r)->hash()),
                  [&](int level, uint64_t index, const std::string& hash) {
                    nodes.Put(families_.tree, keys::TreeNodeKey(level, index), hash);
                  });
      if (nodes.Count() >= 4096) {
        if (absl::Status s = FromRocksDb(db_->Write(rocksdb::WriteOptions(), &nodes),
                                         "building the Merkle tree");
            !s.ok()) {
          return s;
        }
        nodes.Clear();
      }
    }
    rocksdb::WriteOptions synced;
    synced.sync = true;
    if (absl::Status s = FromRocksDb(db_->Write(synced, &nodes), "building the Merkle tree");
        !s.ok()) {
      return s;
    }
    if (tree.size() != size) {
      return absl::DataLossError(absl::StrFormat(
          "the log has %d records but only %d could be read to build its Merkle tree", size,
          tree.size()));
    }
    return tree;
  }

  void WriteStaged(uint64_t next) {
    rocksdb::Status s;
    {
      // Never beside an fsync of the WAL: see wal_mu_.
      std::lock_guard<std::mutex> wal_lock(wal_mu_);
      s = ResumeIfStopped();
      if (s.ok()) s = db_->Write(rocksdb::WriteOptions(), &write_batch_);
      if (!s.ok()) wal_write_failed_ = true;
    }
    if (s.ok()) {
      stager_->Committed();
      next_position_ = next;
      SetWriteHealth(absl::OkStatus());
      return;
    }
    const absl::Status failed = FromRocksDb(s, "committing appends");
    // RocksDB stops taking writes after an I/O error such as a full disk;
    // the next batch asks it to resume, so writes come back once space is
    // freed.
    write_stopped_ = true;
    SetWriteHealth(failed);
    stager_->WriteFailed(failed);
    if (absl::StatusOr<uint64_t> last = reader_.ReadLastPosition(); last.ok()) {
      next_position_ = *last + 1;
    }
  }

  // After a failed write: ask RocksDB to resume (it succeeds once the cause,
  // e.g. a full disk, is gone). Writer thread only.
  rocksdb::Status ResumeIfStopped() {
    if (!write_stopped_) return rocksdb::Status::OK();
    rocksdb::Status s = db_->Resume();
    if (s.ok()) {
      // Resuming flushed the memtables (what the failed WAL held is in
      // tables now) and started a new WAL, which can be synced again.
      write_stopped_ = false;
      wal_write_failed_ = false;
    }
    return s;
  }

  void SetWriteHealth(absl::Status status) {
    std::lock_guard<std::mutex> lock(health_mu_);
    write_health_ = std::move(status);
  }

  void SyncerLoop() {
    std::deque<SyncBatch> batches;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(sync_mu_);
        syncer_idle_ = true;
        sync_cv_.wait(lock, [&] { return !unsynced_.empty() || writer_done_; });
        syncer_idle_ = false;
        if (unsynced_.empty()) {  // the writer has stopped and all is synced
          lock.unlock();
          std::lock_guard<std::mutex> complete_lock(complete_mu_);
          syncer_done_ = true;
          complete_cv_.notify_one();
          return;
        }
        batches.swap(unsynced_);
        unsynced_appends_ = 0;
      }
      sync_space_cv_.notify_all();

      uint64_t target = 0;
      for (const SyncBatch& b : batches) target = std::max(target, b.last_position);
      absl::Status synced;
      bool unwritable = false;
      if (target > LastPosition() && !options_.unsafe_no_sync) {
        std::lock_guard<std::mutex> wal_lock(wal_mu_);
        if (wal_write_failed_) {
          unwritable = true;
          synced = absl::UnavailableError(
              "the event log cannot be written (is the disk full?); the append is not durable: "
              "retry it with the same command id once the server is healthy");
        } else {
          const absl::Time sync_start = absl::Now();
          synced = FromRocksDb(db_->SyncWAL(), "syncing the write-ahead log");
          if (options_.observer != nullptr) options_.observer->WalSynced(absl::Now() - sync_start);
        }
      }
      if (synced.ok()) {
        watch_->Publish(target);
      } else if (unwritable) {
        // Not acknowledged, not poisoned: once space is freed, resuming
        // flushes these records to tables and a later sync publishes them.
      } else {
        // The WAL may hold records that are visible in memory but not on
        // disk: refuse every further append until a restart replays the WAL.
        std::lock_guard<std::mutex> lock(queue_mu_);
        failed_ = absl::UnavailableError(absl::StrCat(
            "the event log could not be synced to disk; restart tripdeskd: ",
            synced.message()));
        synced = absl::UnavailableError(absl::StrCat(
            "the event log could not be synced to disk, so this append is not durable (a restart "
            "may bring it back): retry it with the same command id once tripdeskd has "
            "restarted. ",
            synced.message()));
      }
      if (!synced.ok()) {
        for (SyncBatch& b : batches) {
          for (Completion& c : b.completions) {
            if (c.result.ok()) c.result = synced;
          }
        }
      }
      // Waking each caller costs a syscall; under load a completer thread
      // does that while this one starts the next fsync. One or two callers
      // are woken here: a hand-off would cost more than it saves.
      size_t callers = 0;
      for (const SyncBatch& b : batches) callers += b.completions.size();
      if (callers <= 2) {
        for (SyncBatch& b : batches) {
          for (Completion& c : b.completions) c.done(std::move(c.result));
        }
        batches.clear();
        WakeWaiters();
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(complete_mu_);
        for (SyncBatch& b : batches) completed_.push_back(std::move(b));
        if (completer_idle_) complete_cv_.notify_one();
      }
      batches.clear();
    }
  }

  void CompleterLoop() {
    std::deque<SyncBatch> batches;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(complete_mu_);
        completer_idle_ = true;
        complete_cv_.wait(lock, [&] { return !completed_.empty() || syncer_done_; });
        completer_idle_ = false;
        if (completed_.empty()) return;
        batches.swap(completed_);
      }
      for (SyncBatch& b : batches) {
        for (Completion& c : b.completions) c.done(std::move(c.result));
      }
      batches.clear();
      WakeWaiters();
    }
  }

  void WakeWaiters() {
    completion_epoch_.fetch_add(1, std::memory_order_release);
    completion_epoch_.notify_all();
  }

  const Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  LogFamilies families_;
  LogReader reader_;
  std::unique_ptr<CommitWatch> watch_;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool closing_ = false;
  bool writer_idle_ = false;
  absl::Status failed_;  // set once a WAL sync fails

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::condition_variable sync_space_cv_;
  std::deque<SyncBatch> unsynced_;
  size_t unsynced_appends_ = 0;
  bool writer_done_ = false;
  bool syncer_idle_ = false;

  std::mutex complete_mu_;
  std::condition_variable complete_cv_;
  std::deque<SyncBatch> completed_;
  bool completer_idle_ = false;
  bool syncer_done_ = false;

  mutable std::mutex health_mu_;
  absl::Status write_health_;  // the last write's outcome

  // Writer thread only.
  bool write_stopped_ = false;
  // Held around each WAL write and each WAL fsync. Syncing a WAL whose
  // writer has seen an error trips an assertion in Debian's RocksDB (the
  // process aborts), so after a failed write nothing syncs that WAL again;
  // a successful Resume() starts a new one.
  std::mutex wal_mu_;
  bool wal_write_failed_ = false;  // guarded by wal_mu_
  uint64_t next_position_ = 1;
  std::optional<BatchStager> stager_;  // once the tree is loaded
  rocksdb::WriteBatch write_batch_;
  WriteBatchSink sink_;
  std::vector<const AppendRequest*> batch_requests_;

  std::atomic<uint64_t> completion_epoch_{0};

  std::thread writer_;
  std::thread syncer_;
  std::thread completer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> StartRocksDbEventStore(
    const Options& options, std::unique_ptr<rocksdb::DB> db,
    std::vector<rocksdb::ColumnFamilyHandle*> handles) {
  auto store = std::make_unique<RocksDbEventStore>(options, std::move(db), std::move(handles));
  if (absl::Status r = store->Recover(); !r.ok()) return r;
  return store;
}

}  // namespace tripdesk::eventstore
