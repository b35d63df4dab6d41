// EventStore: the durable, append-only event log of one partition.
//
// Events live in streams (one per case, one per shared thing such as an RV
// unit). An append writes events to one or more streams atomically, each
// stream guarded by an expected revision, and returns only once the events
// are fsync'd. Concurrent appends are group-committed by a single writer
// thread. Every record gets a gapless global position and a SHA-256 hash
// chained to the previous record of its stream.
//
// Thread-safety: every method may be called from any thread concurrently.
// Append callbacks and commit watchers run on the store's own threads and
// must not block.
#ifndef TRIPDESK_EVENTSTORE_EVENT_STORE_H_
#define TRIPDESK_EVENTSTORE_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tripdesk/v1/log.pb.h"

namespace tripdesk::eventstore {

using Record = ::tripdesk::v1::RecordEnvelope;
using AppendOutcome = ::tripdesk::v1::AppendOutcome;

// What the writer checks a stream's last revision against.
class ExpectedRevision {
 public:
  enum class Kind { kAny, kNoStream, kStreamExists, kExact };

  static ExpectedRevision Any() { return ExpectedRevision(Kind::kAny, 0); }
  static ExpectedRevision NoStream() {
    return ExpectedRevision(Kind::kNoStream, 0);
  }
  static ExpectedRevision StreamExists() {
    return ExpectedRevision(Kind::kStreamExists, 0);
  }
  static ExpectedRevision Exact(uint64_t revision) {
    return ExpectedRevision(Kind::kExact, revision);
  }

  Kind kind() const { return kind_; }
  uint64_t revision() const { return revision_; }
  std::string ToString() const;

 private:
  ExpectedRevision(Kind kind, uint64_t revision)
      : kind_(kind), revision_(revision) {}
  Kind kind_;
  uint64_t revision_;
};

struct EventData {
  std::string event_type;
  std::string payload;
};

struct StreamAppend {
  std::string stream;
  ExpectedRevision expected = ExpectedRevision::Any();
  std::vector<EventData> events;
};

// Who caused an append; copied onto every record it writes.
struct Actor {
  std::string id;
  std::string role;
};

struct AppendRequest {
  std::vector<StreamAppend> streams;
  // Client-chosen; a second append with a committed command id returns the
  // first outcome (duplicate = true) and writes nothing. May be empty.
  std::string command_id;
  // What the command id stands for (e.g. a hash of the command and its
  // caller), stored with it: an append reusing the id with another
  // fingerprint is refused with ALREADY_EXISTS and learns nothing of the
  // first. Empty: not checked (nor is it against an outcome stored without).
  std::string command_fingerprint;
  std::string correlation_id;
  Actor actor;
  // An append still queued at its deadline is not written
  // (DEADLINE_EXCEEDED): a caller that gave up never finds it committed.
  absl::Time deadline = absl::InfiniteFuture();
};

struct StreamHead {
  uint64_t revision = 0;
  uint64_t position = 0;
  std::string hash;  // 32 raw bytes
};

// What the writer reports about its work, for the server's metrics. Called
// on the store's threads, so it must be cheap and must not block.
class WriteObserver {
 public:
  virtual ~WriteObserver() = default;
  // One group commit written to RocksDB (before its fsync): its appends and
  // events, and how long the write took.
  virtual void BatchWritten(size_t appends, size_t events, absl::Duration write) = 0;
  // How long one append waited in the queue before the writer took it.
  virtual void AppendQueued(absl::Duration waited) = 0;
  // One fsync of the write-ahead log.
  virtual void WalSynced(absl::Duration fsync) = 0;
};

struct Options {
  std::string path;
  uint32_t partition = 0;
  // Most events one group commit writes in one WriteBatch.
  size_t max_batch_events = 1024;
  // Appends waiting for the writer; past it Append answers RESOURCE_EXHAUSTED.
  size_t max_queued_appends = 8192;
  // Stream heads kept in memory by the writer (LRU); misses read RocksDB.
  // Enough for the cases a desk works at once; each costs ~200 bytes.
  size_t head_cache_entries = 50000;
  size_t block_cache_bytes = 64 << 20;
  size_t write_buffer_bytes = 32 << 20;
  // Input limits.
  size_t max_stream_name_bytes = 200;
  size_t max_event_type_bytes = 200;
  size_t max_payload_bytes = 1 << 20;
  size_t max_events_per_append = 1000;
  size_t max_id_bytes = 128;
  // Tests only: skip fsync. Never set in the server.
  bool unsafe_no_sync = false;
  // The time stamped on records (recorded_at); empty: absl::Now. Deadlines
  // are always checked against absl::Now.
  std::function<absl::Time()> clock;
  // Told of each batch, queue wait and fsync; may be null. Must outlive the
  // store.
  WriteObserver* observer = nullptr;
};

// A record a read found damaged: missing where the stream index points, or
// not decoding. Carried as a payload on the read's DATA_LOSS status so a
// verifier can name the record exactly, not the page it was read with.
struct DamagedRecord {
  uint64_t position = 0;
  // Known when the stream index named the record (or a scan found it).
  std::string stream;
  std::optional<uint64_t> revision;
};
absl::Status DataLossAt(const DamagedRecord& where, absl::string_view message);
// The damaged record a DATA_LOSS status names, if it names one.
std::optional<DamagedRecord> DamageOf(const absl::Status& status);

// Forward iterator over the whole log that reads in pages; never holds more
// than one page in memory. A damaged record ends it with DATA_LOSS after
// every good record before it.
class LogIterator {
 public:
  virtual ~LogIterator() = default;
  // The next record, std::nullopt at the end of what is committed now.
  virtual absl::StatusOr<std::optional<Record>> Next() = 0;
};

// RocksDB's view of the log's storage, for the server's metrics.
struct StorageStats {
  uint64_t pending_compaction_bytes = 0;
  // Times RocksDB slowed or stopped writes to let compaction catch up, since
  // the store opened.
  uint64_t write_stalls = 0;
  bool writes_stopped = false;
  uint64_t live_sst_bytes = 0;
};

class EventStore {
 public:
  using AppendCallback = std::function<void(absl::StatusOr<AppendOutcome>)>;
  using WatchId = uint64_t;

  // Opens (creating if needed) the store at options.path and recovers the
  // next position from disk. Fails with FAILED_PRECONDITION when another
  // process holds the directory, UNAVAILABLE when it cannot be used.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(
      const Options& options);

  virtual ~EventStore() = default;

  // Appends atomically and durably. Errors: INVALID_ARGUMENT (malformed
  // request, nothing queued), ABORTED (an expected revision did not match;
  // nothing written to any stream), ALREADY_EXISTS (the command id was used
  // with another fingerprint), RESOURCE_EXHAUSTED (queue full),
  // UNAVAILABLE (closing, or I/O failure).
  virtual absl::StatusOr<AppendOutcome> Append(AppendRequest request) = 0;
  // As Append, completing `done` on the writer thread once durable.
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  // Records of `stream` from `from_revision`, at most `limit`. An unknown
  // stream gives an empty result.
  virtual absl::StatusOr<std::vector<Record>> ReadStream(
      absl::string_view stream, uint64_t from_revision, size_t limit) = 0;
  // NOT_FOUND when the stream has no events.
  virtual absl::StatusOr<StreamHead> GetStreamHead(absl::string_view stream) = 0;
  // The head as the stream index records it, even past the log's end (an
  // append being synced, or a log damaged behind the store's back); for
  // verification.
  virtual absl::StatusOr<StreamHead> GetIndexedStreamHead(absl::string_view stream) = 0;
  // Records from `from_position` (inclusive), at most `limit`.
  virtual absl::StatusOr<std::vector<Record>> ReadAll(uint64_t from_position,
                                                      size_t limit) = 0;
  virtual std::unique_ptr<LogIterator> ScanAll(uint64_t from_position) = 0;

  // The stream and revision whose index entry points at `position`, found
  // by scanning the whole index: for naming a record that is missing or does
  // not decode, after damage is found. std::nullopt when none does.
  virtual absl::StatusOr<std::optional<DamagedRecord>> FindIndexEntry(uint64_t position) = 0;

  // The stored outcome of a committed (synced) append with this command id,
  // std::nullopt when there is none.
  virtual absl::StatusOr<std::optional<AppendOutcome>> FindCommand(
      absl::string_view command_id) = 0;

  // The last committed position; 0 for an empty log.
  virtual uint64_t LastPosition() const = 0;

  // Blocks until the log has a position >= `position` committed or the
  // deadline passes; returns whether it has.
  virtual bool WaitForPosition(uint64_t position, absl::Time deadline) = 0;
  // Calls `fn` once, on the store's notifier thread, as soon as the last
  // committed position exceeds `after_position` (immediately if it already
  // does). Lets a subscriber wait without holding a thread.
  virtual WatchId WatchCommitted(uint64_t after_position,
                                 std::function<void()> fn) = 0;
  // Removes a watch that has not fired; returns false if it fired or is
  // firing. Never blocks on the watch's callback.
  virtual bool CancelWatch(WatchId id) = 0;

  // The log's Merkle tree (merkle_tree.h; RFC 9162), over committed records
  // only: its root at `size` records (0 < size <= LastPosition(), or the
  // empty root for 0), the leaf of the record at `position`, and the proofs
  // an auditor checks against a signed head. OUT_OF_RANGE past the log's
  // end; DATA_LOSS when a stored node is missing.
  virtual absl::StatusOr<std::string> TreeRoot(uint64_t size) = 0;
  virtual absl::StatusOr<std::string> TreeLeaf(uint64_t position) = 0;
  virtual absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t position,
                                                                  uint64_t size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t old_size,
                                                                    uint64_t new_size) = 0;
  // merkle::ChunkRoots of the tree at `size` records.
  virtual absl::StatusOr<std::vector<std::string>> TreeChunkRoots(uint64_t size,
                                                                  uint64_t chunk) = 0;

  // Flushes memtables and compacts every column family; for maintenance
  // windows and benchmarks that measure a settled store. Blocks.
  virtual absl::Status Compact() = 0;

  // OK while appends can be written; otherwise why not (a full disk is
  // RESOURCE_EXHAUSTED). Reads keep working either way.
  virtual absl::Status WriteHealth() const = 0;
  virtual StorageStats Storage() const = 0;

  virtual const Options& options() const = 0;
};

// Checks a stream name against the store's rules; INVALID_ARGUMENT names the
// field and the problem.
absl::Status ValidateStreamName(absl::string_view stream,
                                const Options& options,
                                absl::string_view field = "stream");

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_EVENT_STORE_H_
