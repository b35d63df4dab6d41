// Batch staging: decides one group commit's appends in arrival order against
// the stream heads (expected revisions, command-id duplicates, deadlines) and
// turns the accepted ones into log records, stream-index entries and command
// outcomes. No threads and no RocksDB handles: the writer thread drives it,
// tests drive it on one thread with an in-memory source and sink. Internal.
#ifndef TRIPDESK_EVENTSTORE_BATCH_STAGING_H_
#define TRIPDESK_EVENTSTORE_BATCH_STAGING_H_

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "eventstore/event_store.h"
#include "eventstore/merkle_tree.h"

namespace tripdesk::eventstore {

// What is already committed, as the writer sees it (unsynced records too).
class StagingSource {
 public:
  virtual ~StagingSource() = default;
  virtual absl::StatusOr<std::optional<StreamHead>> StoredHead(const std::string& stream) = 0;
  // The serialized AppendOutcome stored under `command_id`, if any.
  virtual absl::StatusOr<std::optional<std::string>> StoredCommand(
      const std::string& command_id) = 0;
};

// Where staged writes go: one WriteBatch in the store.
class StagingSink {
 public:
  virtual ~StagingSink() = default;
  virtual void PutRecord(uint64_t position, const std::string& record) = 0;
  // `value` is the record's position then its hash.
  virtual void PutIndex(const std::string& stream, uint64_t revision,
                        const std::string& value) = 0;
  virtual void PutCommand(const std::string& command_id, const std::string& outcome) = 0;
  // A completed perfect subtree of the log's Merkle tree (merkle_tree.h).
  virtual void PutTreeNode(int level, uint64_t index, const std::string& hash) = 0;
};

// Stream heads the writer has seen, least recently used evicted first.
class HeadCache {
 public:
  explicit HeadCache(size_t capacity) : capacity_(capacity) {}

  const StreamHead* Find(const std::string& stream);
  void Put(const std::string& stream, StreamHead head);
  void Clear();

 private:
  using Entry = std::pair<std::string, StreamHead>;
  size_t capacity_;
  std::list<Entry> entries_;
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
};

class BatchStager {
 public:
  // `tree`: the Merkle tree's right edge over every committed record.
  BatchStager(const Options& options, merkle::Frontier tree)
      : options_(options), heads_(options.head_cache_entries), tree_(std::move(tree)) {}

  // Decides `requests` in order; accepted ones get positions from
  // `next_position` on and go to `sink`. Returns the next free position.
  uint64_t Stage(absl::Span<const AppendRequest* const> requests, uint64_t next_position,
                 absl::Time now, StagingSource& source, StagingSink& sink);

  // The staged writes are in RocksDB: their heads are the truth now.
  void Committed();
  // Writing them failed: every staged append fails with `failure`, and
  // cached heads are forgotten (what RocksDB holds is the truth).
  void WriteFailed(const absl::Status& failure);

  // One result per request of the last Stage, in order; a repeat of a
  // command id within the batch gets its original's result, as a duplicate.
  std::vector<absl::StatusOr<AppendOutcome>> TakeResults();

 private:
  using Head = std::optional<StreamHead>;

  absl::StatusOr<Head> LookupHead(const std::string& stream, StagingSource& source);
  // A stored or staged answer for a command id already seen, if any.
  std::optional<absl::StatusOr<AppendOutcome>> Repeated(
      absl::Span<const AppendRequest* const> requests, size_t i, StagingSource& source);
  AppendOutcome StageAccepted(const AppendRequest& req, const std::vector<Head>& heads,
                              uint64_t& next, const google::protobuf::Timestamp& now,
                              StagingSink& sink);

  const Options& options_;
  HeadCache heads_;
  merkle::Frontier tree_;         // committed records
  merkle::Frontier staged_tree_;  // and the batch being staged
  absl::flat_hash_map<std::string, StreamHead> staged_heads_;
  absl::flat_hash_map<std::string, size_t> staged_commands_;
  std::string value_buffer_;
  Record record_;
  std::vector<absl::StatusOr<AppendOutcome>> results_;
  std::vector<int> duplicate_of_;
  std::vector<bool> written_;
};

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_BATCH_STAGING_H_
