// The RocksDB implementation of EventStore: one writer thread group-commits
// queued appends into one synced WriteBatch; a notifier thread runs commit
// watchers so foreign code never runs on the writer.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "eventstore/record_hash.h"
#include "eventstore/rocksdb_logger.h"
#include "eventstore/rocksdb_status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/table.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/write_batch.h"

namespace tripdesk::eventstore {
namespace {

constexpr char kNameChars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/-";

absl::Status ValidateName(absl::string_view value, size_t max_bytes,
                          absl::string_view field) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  }
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: is %d bytes long, at most %d allowed", field,
                        value.size(), max_bytes));
  }
  const size_t bad = value.find_first_not_of(kNameChars);
  if (bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: character at offset %d is not allowed; use letters, digits and "
        "._:@/-",
        field, bad));
  }
  return absl::OkStatus();
}

// Ids and actor names: optional, printable ASCII without spaces.
absl::Status ValidateId(absl::string_view value, size_t max_bytes,
                        absl::string_view field) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: is %d bytes long, at most %d allowed", field,
                        value.size(), max_bytes));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: byte at offset %d is not printable ASCII", field, i));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRequest(const AppendRequest& request,
                             const Options& options) {
  if (request.streams.empty()) {
    return absl::InvalidArgumentError("streams: at least one stream is required");
  }
  size_t total_events = 0;
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < request.streams.size(); ++i) {
    const StreamAppend& sa = request.streams[i];
    const std::string field = absl::StrCat("streams[", i, "]");
    if (absl::Status s =
            ValidateStreamName(sa.stream, options, absl::StrCat(field, ".stream"));
        !s.ok()) {
      return s;
    }
    if (!seen.insert(sa.stream).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".stream: '", sa.stream, "' appears twice in one append"));
    }
    if (sa.events.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".events: at least one event is required"));
    }
    for (size_t j = 0; j < sa.events.size(); ++j) {
      const EventData& e = sa.events[j];
      const std::string efield = absl::StrCat(field, ".events[", j, "]");
      if (absl::Status s = ValidateName(e.event_type, options.max_event_type_bytes,
                                        absl::StrCat(efield, ".event_type"));
          !s.ok()) {
        return s;
      }
      if (e.payload.size() > options.max_payload_bytes) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s.payload: is %d bytes, at most %d allowed", efield,
            e.payload.size(), options.max_payload_bytes));
      }
    }
    total_events += sa.events.size();
  }
  if (total_events > options.max_events_per_append) {
    return absl::InvalidArgumentError(
        absl::StrFormat("streams: %d events in one append, at most %d allowed",
                        total_events, options.max_events_per_append));
  }
  if (absl::Status s = ValidateId(request.command_id, options.max_id_bytes,
                                  "command_id");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateId(request.correlation_id, options.max_id_bytes,
                                  "correlation_id");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidateId(request.actor.id, options.max_id_bytes, "actor.id");
      !s.ok()) {
    return s;
  }
  if (request.command_fingerprint.size() > 64) {
    return absl::InvalidArgumentError("command_fingerprint: at most 64 bytes");
  }
  return ValidateId(request.actor.role, options.max_id_bytes, "actor.role");
}

size_t EventCount(const AppendRequest& request) {
  size_t n = 0;
  for (const StreamAppend& sa : request.streams) n += sa.events.size();
  return n;
}

// Stream heads the writer has seen, least recently used evicted first.
// Writer thread only.
class HeadCache {
 public:
  explicit HeadCache(size_t capacity) : capacity_(capacity) {}

  const StreamHead* Find(const std::string& stream) {
    auto it = index_.find(stream);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  void Put(const std::string& stream, StreamHead head) {
    if (capacity_ == 0) return;
    auto it = index_.find(stream);
    if (it != index_.end()) {
      it->second->second = std::move(head);
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    entries_.emplace_front(stream, std::move(head));
    index_.emplace(stream, entries_.begin());
    if (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

  void Clear() {
    index_.clear();
    entries_.clear();
  }

 private:
  using Entry = std::pair<std::string, StreamHead>;
  size_t capacity_;
  std::list<Entry> entries_;
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
};

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
  return ts;
}

class RocksDbEventStore;

class PagedLogIterator final : public LogIterator {
 public:
  PagedLogIterator(EventStore* store, uint64_t from) : store_(store), next_(from) {}

  absl::StatusOr<std::optional<Record>> Next() override {
    if (index_ == page_.size()) {
      if (!damage_.ok()) return damage_;
      absl::StatusOr<std::vector<Record>> page = store_->ReadAll(next_, kPage);
      if (!page.ok()) {
        // The records before a damaged one come first, then its error.
        const std::optional<DamagedRecord> damaged = DamageOf(page.status());
        if (!damaged.has_value() || damaged->position <= next_) return page.status();
        damage_ = page.status();
        page = store_->ReadAll(next_, damaged->position - next_);
        if (!page.ok()) return page.status();
      }
      page_ = *std::move(page);
      index_ = 0;
      if (page_.empty()) return std::nullopt;
      next_ = page_.back().position() + 1;
    }
    return std::move(page_[index_++]);
  }

 private:
  static constexpr size_t kPage = 512;
  EventStore* store_;
  uint64_t next_;
  std::vector<Record> page_;
  size_t index_ = 0;
  absl::Status damage_;  // returned once the records before it are
};

absl::Status Undecodable(absl::string_view stream, uint64_t position, uint64_t revision) {
  return DataLossAt({position, std::string(stream), revision},
                    absl::StrFormat("record at position %d (%s revision %d) does not decode",
                                    position, stream, revision));
}

absl::Status MissingFromLog(absl::string_view stream, uint64_t position, uint64_t revision) {
  return DataLossAt({position, std::string(stream), revision},
                    absl::StrFormat("stream '%s' indexes revision %d at position %d, which is "
                                    "missing from the log",
                                    stream, revision, position));
}

class RocksDbEventStore final : public EventStore {
 public:
  RocksDbEventStore(Options options, std::unique_ptr<rocksdb::DB> db,
                    std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : options_(std::move(options)),
        db_(std::move(db)),
        handles_(std::move(handles)),
        log_cf_(handles_[1]),
        streams_cf_(handles_[2]),
        commands_cf_(handles_[3]),
        heads_(options_.head_cache_entries) {}

  ~RocksDbEventStore() override { Close(); }

  // A thread running `loop`, named so top -H and perf tell the stages apart.
  std::thread Named(const char* name, void (RocksDbEventStore::*loop)()) {
    return std::thread([this, name, loop] {
      pthread_setname_np(pthread_self(), name);
      (this->*loop)();
    });
  }

  absl::Status Recover() {
    absl::StatusOr<uint64_t> last = ReadLastPosition();
    if (!last.ok()) return last.status();
    next_position_ = *last + 1;
    last_committed_.store(*last, std::memory_order_release);
    writer_ = Named("log-writer", &RocksDbEventStore::WriterLoop);
    syncer_ = Named("log-syncer", &RocksDbEventStore::SyncerLoop);
    completer_ = Named("log-completer", &RocksDbEventStore::CompleterLoop);
    notifier_ = Named("log-notifier", &RocksDbEventStore::NotifierLoop);
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
        queue_.push_back(Pending{std::move(request), std::move(done), events});
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
    if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
    std::vector<Record> out;
    if (limit == 0) return out;
    std::vector<std::string> log_keys;
    std::vector<uint64_t> revisions;
    const uint64_t durable = LastPosition();
    {
      const std::string prefix = keys::StreamPrefix(stream);
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
      for (it->Seek(keys::StreamKey(stream, from_revision));
           it->Valid() && it->key().starts_with(prefix) && log_keys.size() < limit;
           it->Next()) {
        // Records past the synced position are not yet acknowledged.
        if (*keys::DecodeU64(absl::string_view(it->value().data(), 8)) > durable) break;
        log_keys.emplace_back(it->value().data(), 8);
        revisions.push_back(
            keys::DecodeU64(absl::string_view(it->key().data() + it->key().size() - 8, 8))
                .value_or(0));
      }
      if (!it->status().ok()) return FromRocksDb(it->status(), "reading a stream");
    }
    if (log_keys.empty()) return out;
    out.reserve(log_keys.size());
    const uint64_t first = *keys::DecodeU64(log_keys.front());
    const uint64_t last = *keys::DecodeU64(log_keys.back());
    // A stream written in bursts has its records close together in the log:
    // one forward scan over the span beats a point lookup per record.
    if (last - first < 2 * log_keys.size() + 16) {
      rocksdb::ReadOptions read_options;
      const std::string upper = keys::LogKey(last + 1);
      rocksdb::Slice upper_bound(upper);
      read_options.iterate_upper_bound = &upper_bound;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, log_cf_));
      size_t want = 0;
      for (it->Seek(log_keys.front()); it->Valid() && want < log_keys.size(); it->Next()) {
        if (it->key() != rocksdb::Slice(log_keys[want])) continue;
        if (!out.emplace_back().ParseFromArray(it->value().data(),
                                                static_cast<int>(it->value().size()))) {
          return Undecodable(stream, *keys::DecodeU64(log_keys[want]), revisions[want]);
        }
        ++want;
      }
      if (!it->status().ok()) return FromRocksDb(it->status(), "reading a stream");
      if (want < log_keys.size()) {
        return MissingFromLog(stream, *keys::DecodeU64(log_keys[want]), revisions[want]);
      }
      return out;
    }
    std::vector<rocksdb::Slice> slices(log_keys.begin(), log_keys.end());
    std::vector<rocksdb::ColumnFamilyHandle*> families(slices.size(), log_cf_);
    std::vector<std::string> values;
    std::vector<rocksdb::Status> statuses =
        db_->MultiGet(rocksdb::ReadOptions(), families, slices, &values);
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (!statuses[i].ok()) {
        if (statuses[i].IsNotFound()) {
          return MissingFromLog(stream, *keys::DecodeU64(log_keys[i]), revisions[i]);
        }
        return FromRocksDb(statuses[i], "reading a stream");
      }
      Record& r = out.emplace_back();
      if (!r.ParseFromString(values[i])) {
        return Undecodable(stream, *keys::DecodeU64(log_keys[i]), revisions[i]);
      }
    }
    return out;
  }

  absl::StatusOr<StreamHead> GetStreamHead(absl::string_view stream) override {
    return HeadUpTo(stream, LastPosition());
  }

  absl::StatusOr<StreamHead> GetIndexedStreamHead(absl::string_view stream) override {
    return HeadUpTo(stream, UINT64_MAX);
  }

  absl::StatusOr<std::vector<Record>> ReadAll(uint64_t from_position,
                                              size_t limit) override {
    std::vector<Record> out;
    const uint64_t durable = LastPosition();
    if (limit == 0 || from_position > durable) return out;
    rocksdb::ReadOptions read_options;
    const std::string upper = keys::LogKey(durable + 1);
    rocksdb::Slice upper_bound(upper);
    read_options.iterate_upper_bound = &upper_bound;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, log_cf_));
    for (it->Seek(keys::LogKey(std::max<uint64_t>(from_position, 1)));
         it->Valid() && out.size() < limit; it->Next()) {
      Record& r = out.emplace_back();
      if (!r.ParseFromArray(it->value().data(),
                            static_cast<int>(it->value().size()))) {
        const uint64_t position = keys::DecodeU64(it->key().ToString()).value_or(0);
        return DataLossAt({position, "", std::nullopt},
                          absl::StrFormat("record at position %d does not decode", position));
      }
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "reading the log");
    return out;
  }

  absl::StatusOr<std::optional<DamagedRecord>> FindIndexEntry(uint64_t position) override {
    const std::string wanted = keys::EncodeU64(position);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->value().size() < 8 || absl::string_view(it->value().data(), 8) != wanted) continue;
      const rocksdb::Slice key = it->key();
      if (key.size() < 9) continue;
      DamagedRecord found;
      found.position = position;
      found.stream.assign(key.data(), key.size() - 9);  // stream, '\0', revision
      found.revision = keys::DecodeU64(absl::string_view(key.data() + key.size() - 8, 8));
      return std::optional<DamagedRecord>(std::move(found));
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "scanning the stream index");
    return std::optional<DamagedRecord>();
  }

  std::unique_ptr<LogIterator> ScanAll(uint64_t from_position) override {
    return std::make_unique<PagedLogIterator>(this, from_position);
  }

  absl::StatusOr<std::optional<AppendOutcome>> FindCommand(
      absl::string_view command_id) override {
    if (command_id.empty()) return std::optional<AppendOutcome>();
    std::string stored;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), commands_cf_,
                                 keys::CommandKey(command_id), &stored);
    if (s.IsNotFound()) return std::optional<AppendOutcome>();
    if (!s.ok()) return FromRocksDb(s, "reading a command id");
    AppendOutcome outcome;
    if (!outcome.ParseFromString(stored)) {
      return absl::DataLossError(absl::StrCat("stored outcome of command '",
                                              std::string(command_id), "' does not decode"));
    }
    // Not yet synced: not yet a result anyone may rely on.
    if (outcome.last_position() > LastPosition()) return std::optional<AppendOutcome>();
    outcome.set_duplicate(true);
    return std::optional<AppendOutcome>(std::move(outcome));
  }

  uint64_t LastPosition() const override {
    return last_committed_.load(std::memory_order_acquire);
  }

  bool WaitForPosition(uint64_t position, absl::Time deadline) override {
    std::unique_lock<std::mutex> lock(watch_mu_);
    const auto until = absl::ToChronoTime(deadline);
    ++position_waiters_;
    const bool reached = commit_cv_.wait_until(lock, until, [&] {
      return LastPosition() >= position || watch_closed_;
    }) && LastPosition() >= position;
    --position_waiters_;
    return reached;
  }

  WatchId WatchCommitted(uint64_t after_position,
                         std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(watch_mu_);
    if (watch_closed_) return 0;
    const WatchId id = ++last_watch_id_;
    watches_.emplace(id, Watch{after_position, std::move(fn)});
    notifier_cv_.notify_one();
    return id;
  }

  bool CancelWatch(WatchId id) override {
    std::lock_guard<std::mutex> lock(watch_mu_);
    return watches_.erase(id) > 0;
  }

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

  struct Watch {
    uint64_t after;
    std::function<void()> fn;
  };

  // A stream's head as seen while building one batch; nullopt: no stream.
  using Head = std::optional<StreamHead>;

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
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      watch_closed_ = true;
      watches_.clear();
    }
    commit_cv_.notify_all();
    notifier_cv_.notify_all();
    if (notifier_.joinable()) notifier_.join();
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

  absl::StatusOr<uint64_t> ReadLastPosition() {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
    it->SeekToLast();
    if (!it->status().ok()) return FromRocksDb(it->status(), "recovering the log");
    if (!it->Valid()) return 0;
    std::optional<uint64_t> pos = keys::DecodeU64(it->key().ToString());
    if (!pos.has_value()) {
      return absl::DataLossError("the last log key is not a position");
    }
    return *pos;
  }

  absl::StatusOr<StreamHead> HeadUpTo(absl::string_view stream, uint64_t max_position) {
    if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
    absl::StatusOr<std::optional<StreamHead>> head =
        ReadHead(std::string(stream), max_position);
    if (!head.ok()) return head.status();
    if (!head->has_value()) {
      return absl::NotFoundError(absl::StrFormat("stream '%s' has no events", stream));
    }
    return **head;
  }

  // The head of `stream` in RocksDB among records at or before
  // `max_position` (the writer passes UINT64_MAX: it also sees unsynced ones).
  absl::StatusOr<std::optional<StreamHead>> ReadHead(const std::string& stream,
                                                     uint64_t max_position) {
    const std::string prefix = keys::StreamPrefix(stream);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
    for (it->SeekForPrev(keys::StreamKey(stream, UINT64_MAX));
         it->Valid() && it->key().starts_with(prefix) && it->value().size() >= 8 &&
         *keys::DecodeU64(absl::string_view(it->value().data(), 8)) > max_position;
         it->Prev()) {
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "reading a stream head");
    if (!it->Valid() || !it->key().starts_with(prefix)) {
      return std::optional<StreamHead>();
    }
    const rocksdb::Slice value = it->value();
    if (value.size() != 8 + kHashBytes) {
      return absl::DataLossError(absl::StrFormat(
          "stream index entry of '%s' has %d bytes, expected %d", stream,
          value.size(), 8 + kHashBytes));
    }
    StreamHead head;
    head.revision = *keys::DecodeU64(
        absl::string_view(it->key().data() + prefix.size(), 8));
    head.position = *keys::DecodeU64(absl::string_view(value.data(), 8));
    head.hash.assign(value.data() + 8, kHashBytes);
    return std::optional<StreamHead>(std::move(head));
  }

  // Head of `stream` as the batch being built sees it.
  absl::StatusOr<Head> LookupHead(const std::string& stream) {
    if (auto it = staged_heads_.find(stream); it != staged_heads_.end()) {
      return Head(it->second);
    }
    if (const StreamHead* cached = heads_.Find(stream)) return Head(*cached);
    absl::StatusOr<std::optional<StreamHead>> stored = ReadHead(stream, UINT64_MAX);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) heads_.Put(stream, **stored);
    return *stored;
  }

  static absl::Status CheckExpected(const StreamAppend& sa, const Head& head) {
    const ExpectedRevision& want = sa.expected;
    const std::string actual =
        head.has_value() ? absl::StrCat("revision ", head->revision) : "no stream";
    bool ok = true;
    switch (want.kind()) {
      case ExpectedRevision::Kind::kAny:
        break;
      case ExpectedRevision::Kind::kNoStream:
        ok = !head.has_value();
        break;
      case ExpectedRevision::Kind::kStreamExists:
        ok = head.has_value();
        break;
      case ExpectedRevision::Kind::kExact:
        ok = head.has_value() && head->revision == want.revision();
        break;
    }
    if (ok) return absl::OkStatus();
    return absl::AbortedError(absl::StrFormat(
        "stream '%s': expected %s but it is at %s; re-read the stream and retry",
        sa.stream, want.ToString(), actual));
  }

  // Whether `req` may be answered with the outcome of the command first
  // stored under its id with `stored` as fingerprint.
  static bool SameCommand(const AppendRequest& req, const std::string& stored) {
    return req.command_fingerprint.empty() || stored.empty() ||
           req.command_fingerprint == stored;
  }

  static absl::Status ReusedCommandId(const std::string& command_id) {
    return absl::AlreadyExistsError(absl::StrCat(
        "command_id: '", command_id,
        "' was already used for another command; a retry repeats the same command as the same "
        "caller. Choose a new id for a new command"));
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
  // accepted ones in one synced WriteBatch, then completes every caller.
  void CommitBatch(std::vector<Pending>& batch) {
    staged_heads_.clear();
    staged_commands_.clear();
    write_batch_.Clear();
    results_.assign(batch.size(), absl::UnknownError("not decided"));
    duplicate_of_.assign(batch.size(), -1);
    written_.assign(batch.size(), false);

    uint64_t next = next_position_;
    const absl::Time wall = absl::Now();
    const google::protobuf::Timestamp now = ToTimestamp(options_.clock ? options_.clock() : wall);
    Record record;
    for (size_t i = 0; i < batch.size(); ++i) {
      const AppendRequest& req = batch[i].request;
      if (wall >= req.deadline) {
        results_[i] = absl::DeadlineExceededError(
            "the append's deadline passed while it waited to be written; nothing was written");
        continue;
      }
      if (!req.command_id.empty()) {
        if (auto it = staged_commands_.find(req.command_id);
            it != staged_commands_.end()) {
          if (!SameCommand(req, batch[it->second].request.command_fingerprint)) {
            results_[i] = ReusedCommandId(req.command_id);
          } else {
            duplicate_of_[i] = static_cast<int>(it->second);
          }
          continue;
        }
        std::string stored;
        rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), commands_cf_,
                                     keys::CommandKey(req.command_id), &stored);
        if (s.ok()) {
          AppendOutcome outcome;
          if (!outcome.ParseFromString(stored)) {
            results_[i] = absl::DataLossError(absl::StrCat(
                "stored outcome of command '", req.command_id, "' does not decode"));
          } else if (!SameCommand(req, outcome.command_fingerprint())) {
            results_[i] = ReusedCommandId(req.command_id);
          } else {
            outcome.set_duplicate(true);
            results_[i] = std::move(outcome);
          }
          continue;
        }
        if (!s.IsNotFound()) {
          results_[i] = FromRocksDb(s, "checking a command id");
          continue;
        }
      }

      // Check every stream before staging any, so a conflict writes nothing.
      std::vector<Head> heads;
      heads.reserve(req.streams.size());
      absl::Status check;
      for (const StreamAppend& sa : req.streams) {
        absl::StatusOr<Head> head = LookupHead(sa.stream);
        if (!head.ok()) {
          check = head.status();
          break;
        }
        check = CheckExpected(sa, *head);
        if (!check.ok()) break;
        heads.push_back(*std::move(head));
      }
      if (!check.ok()) {
        results_[i] = check;
        continue;
      }

      AppendOutcome outcome;
      outcome.set_first_position(next);
      *outcome.mutable_recorded_at() = now;
      for (size_t k = 0; k < req.streams.size(); ++k) {
        const StreamAppend& sa = req.streams[k];
        const Head& head = heads[k];
        uint64_t revision = head.has_value() ? head->revision + 1 : 0;
        std::string previous = head.has_value() ? head->hash : GenesisHash();
        v1::StreamAppendResult* sr = outcome.add_streams();
        sr->set_stream(sa.stream);
        sr->set_first_revision(revision);
        sr->set_first_position(next);
        for (const EventData& event : sa.events) {
          record.Clear();
          record.set_position(next);
          record.set_stream(sa.stream);
          record.set_revision(revision);
          record.set_event_type(event.event_type);
          record.set_payload(event.payload);
          *record.mutable_recorded_at() = now;
          record.set_actor_id(req.actor.id);
          record.set_actor_role(req.actor.role);
          record.set_command_id(req.command_id);
          record.set_correlation_id(req.correlation_id);
          record.set_partition(options_.partition);
          std::string hash = ComputeRecordHash(previous, record);
          record.set_hash(hash);
          record.SerializeToString(&value_buffer_);
          write_batch_.Put(log_cf_, keys::LogKey(next), value_buffer_);
          std::string index_value = keys::EncodeU64(next);
          index_value.append(hash);
          write_batch_.Put(streams_cf_, keys::StreamKey(sa.stream, revision),
                           index_value);
          previous = std::move(hash);
          ++revision;
          ++next;
        }
        sr->set_last_revision(revision - 1);
        sr->set_last_position(next - 1);
        staged_heads_[sa.stream] =
            StreamHead{revision - 1, next - 1, std::move(previous)};
      }
      outcome.set_last_position(next - 1);
      if (!req.command_fingerprint.empty()) {
        outcome.set_command_fingerprint(req.command_fingerprint);
      }
      if (!req.command_id.empty()) {
        write_batch_.Put(commands_cf_, keys::CommandKey(req.command_id),
                         outcome.SerializeAsString());
        staged_commands_.emplace(req.command_id, i);
      }
      results_[i] = std::move(outcome);
      written_[i] = true;
    }

    // Not synced here: the syncer thread fsyncs the WAL for this batch and
    // every other written meanwhile, then acknowledges them. Readers see
    // nothing past the synced position.
    if (next != next_position_) {
      rocksdb::Status s;
      {
        // Never beside an fsync of the WAL: see wal_mu_.
        std::lock_guard<std::mutex> wal_lock(wal_mu_);
        s = ResumeIfStopped();
        if (s.ok()) s = db_->Write(rocksdb::WriteOptions(), &write_batch_);
        if (!s.ok()) wal_write_failed_ = true;
      }
      if (s.ok()) {
        for (auto& [stream, head] : staged_heads_) heads_.Put(stream, head);
        next_position_ = next;
        SetWriteHealth(absl::OkStatus());
      } else {
        const absl::Status failed = FromRocksDb(s, "committing appends");
        // RocksDB stops taking writes after an I/O error such as a full
        // disk; the next batch asks it to resume, so writes come back once
        // space is freed.
        write_stopped_ = true;
        SetWriteHealth(failed);
        for (size_t i = 0; i < batch.size(); ++i) {
          if (written_[i]) results_[i] = failed;
        }
        // What RocksDB holds now is the truth; forget what we assumed.
        heads_.Clear();
        if (absl::StatusOr<uint64_t> last = ReadLastPosition(); last.ok()) {
          next_position_ = *last + 1;
        }
      }
    }

    // Every batch goes through the syncer, even one that wrote nothing: a
    // duplicate's original may still be waiting for its fsync.
    SyncBatch pending;
    pending.last_position = next_position_ - 1;
    pending.completions.resize(batch.size());
    // Duplicates copy their original's result before it is moved.
    for (size_t i = 0; i < batch.size(); ++i) {
      if (duplicate_of_[i] < 0) continue;
      absl::StatusOr<AppendOutcome> result = results_[duplicate_of_[i]];
      if (result.ok()) result->set_duplicate(true);
      pending.completions[i] = {std::move(batch[i].done), std::move(result)};
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (duplicate_of_[i] >= 0) continue;
      pending.completions[i] = {std::move(batch[i].done), std::move(results_[i])};
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

  // Makes positions up to `target` visible to readers, once durable.
  void Publish(uint64_t target) {
    if (target <= LastPosition()) return;
    std::lock_guard<std::mutex> lock(watch_mu_);
    last_committed_.store(target, std::memory_order_release);
    // Wake only who waits: a context switch per commit adds up.
    if (position_waiters_ > 0) commit_cv_.notify_all();
    if (!watches_.empty()) notifier_cv_.notify_one();
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
          synced = FromRocksDb(db_->SyncWAL(), "syncing the write-ahead log");
        }
      }
      if (synced.ok()) {
        Publish(target);
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

  void NotifierLoop() {
    std::vector<std::function<void()>> due;
    std::unique_lock<std::mutex> lock(watch_mu_);
    for (;;) {
      notifier_cv_.wait(lock, [&] {
        if (watch_closed_) return true;
        const uint64_t last = LastPosition();
        for (const auto& [id, w] : watches_) {
          if (w.after < last) return true;
        }
        return false;
      });
      if (watch_closed_) return;
      const uint64_t last = LastPosition();
      for (auto it = watches_.begin(); it != watches_.end();) {
        if (it->second.after < last) {
          due.push_back(std::move(it->second.fn));
          it = watches_.erase(it);
        } else {
          ++it;
        }
      }
      lock.unlock();
      for (auto& fn : due) fn();
      due.clear();
      lock.lock();
    }
  }

  const Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_cf_;
  rocksdb::ColumnFamilyHandle* streams_cf_;
  rocksdb::ColumnFamilyHandle* commands_cf_;

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
  HeadCache heads_;
  absl::flat_hash_map<std::string, StreamHead> staged_heads_;
  absl::flat_hash_map<std::string, size_t> staged_commands_;
  rocksdb::WriteBatch write_batch_;
  std::string value_buffer_;
  std::vector<absl::StatusOr<AppendOutcome>> results_;
  std::vector<int> duplicate_of_;
  std::vector<bool> written_;

  std::atomic<uint64_t> last_committed_{0};
  std::atomic<uint64_t> completion_epoch_{0};
  std::mutex watch_mu_;
  std::condition_variable commit_cv_;    // WaitForPosition callers
  std::condition_variable notifier_cv_;  // the notifier thread
  int position_waiters_ = 0;
  std::map<WatchId, Watch> watches_;
  WatchId last_watch_id_ = 0;
  bool watch_closed_ = false;

  std::thread writer_;
  std::thread syncer_;
  std::thread completer_;
  std::thread notifier_;
};

}  // namespace

std::string ExpectedRevision::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any revision";
    case Kind::kNoStream:
      return "no stream";
    case Kind::kStreamExists:
      return "an existing stream";
    case Kind::kExact:
      return absl::StrCat("revision ", revision_);
  }
  return "?";
}

absl::Status ValidateStreamName(absl::string_view stream, const Options& options,
                                absl::string_view field) {
  return ValidateName(stream, options.max_stream_name_bytes, field);
}

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(
    const Options& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("data directory: no path given");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrFormat(
        "data directory '%s' cannot be created: %s", options.path, ec.message()));
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.write_buffer_size = options.write_buffer_bytes;
  // No recycle_log_file_num: reused WAL files would spare fdatasync the
  // file-size update, but RocksDB 7.8 turns recycling off under its default
  // point-in-time recovery (the OPTIONS file says recycle_log_file_num=0).
  // Capping the WAL total makes the small families flush too, which bounds
  // replay time after a crash.
  db_options.max_total_wal_size = 4 * options.write_buffer_bytes;
  db_options.enable_pipelined_write = true;
  // Memtables of all four families together stay within this, whatever the
  // mix of appends: part of keeping RSS flat as the log grows.
  db_options.db_write_buffer_size = 4 * options.write_buffer_bytes;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.info_log = MakeRocksDbLogger("log");
  db_options.keep_log_file_num = 3;

  rocksdb::BlockBasedTableOptions table;
  // Index and filter blocks stay outside the block cache: charged to it,
  // a whole-file filter (~1 MB for a 64 MB table) was evicted and read back
  // for every point lookup, and throughput fell to a quarter at 1M events.
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Debian's RocksDB is built without SSE4.2, so CRC32c runs in software;
  // XXH3 checksums each block read much faster.
  table.checksum = rocksdb::kXXH3;
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // LZ4 decompresses faster than the default Snappy; reads pay for it.
  cf_options.compression = rocksdb::kLZ4Compression;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {keys::kLogFamily, cf_options},
      {keys::kStreamsFamily, cf_options},
      {keys::kCommandsFamily, cf_options},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(db_options),
                                        options.path, families, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "data directory '%s' is in use by another process (RocksDB LOCK is "
          "held); stop it or choose another --data_dir",
          options.path));
    }
    return FromRocksDb(s, absl::StrCat("opening data directory '", options.path, "'"));
  }
  auto store = std::make_unique<RocksDbEventStore>(
      options, std::unique_ptr<rocksdb::DB>(raw), std::move(handles));
  if (absl::Status r = store->Recover(); !r.ok()) return r;
  return store;
}

}  // namespace tripdesk::eventstore
