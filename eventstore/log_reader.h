// Reads of the log, its stream index and its command ids, never past what
// is durable (except for the writer, which must see its own unsynced
// records when it stages the next batch). Internal.
#ifndef TRIPDESK_EVENTSTORE_LOG_READER_H_
#define TRIPDESK_EVENTSTORE_LOG_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/batch_staging.h"
#include "eventstore/commit_watch.h"
#include "eventstore/event_store.h"
#include "eventstore/merkle_tree.h"
#include "rocksdb/db.h"

namespace tripdesk::eventstore {

// The store's column families, in the order they are opened.
struct LogFamilies {
  rocksdb::ColumnFamilyHandle* log;
  rocksdb::ColumnFamilyHandle* streams;
  rocksdb::ColumnFamilyHandle* commands;
  rocksdb::ColumnFamilyHandle* tree;
};

class LogReader final : public StagingSource {
 public:
  LogReader(const Options& options, rocksdb::DB* db, LogFamilies families)
      : options_(options), db_(db), cf_(families) {}

  // Set once recovery has found the last position.
  void set_durable(const CommitWatch* durable) { durable_ = durable; }

  absl::StatusOr<std::vector<Record>> ReadStream(absl::string_view stream,
                                                 uint64_t from_revision, size_t limit);
  absl::StatusOr<std::vector<Record>> ReadAll(uint64_t from_position, size_t limit);
  absl::StatusOr<std::optional<DamagedRecord>> FindIndexEntry(uint64_t position);
  // Only outcomes already durable: not yet synced is not yet a result.
  absl::StatusOr<std::optional<AppendOutcome>> FindCommand(absl::string_view command_id);
  // The head among records at or before `max_position`; NOT_FOUND if none.
  absl::StatusOr<StreamHead> HeadUpTo(absl::string_view stream, uint64_t max_position);
  absl::StatusOr<uint64_t> ReadLastPosition();

  // A stored node of the Merkle tree; DATA_LOSS naming it when missing.
  absl::StatusOr<std::string> TreeNode(int level, uint64_t index);
  merkle::NodeReader TreeNodes() {
    return [this](int level, uint64_t index) { return TreeNode(level, index); };
  }

  // StagingSource: what the writer has written, synced or not.
  absl::StatusOr<std::optional<StreamHead>> StoredHead(const std::string& stream) override {
    return ReadHead(stream, UINT64_MAX);
  }
  absl::StatusOr<std::optional<std::string>> StoredCommand(
      const std::string& command_id) override;

 private:
  uint64_t Durable() const { return durable_ == nullptr ? 0 : durable_->LastPosition(); }
  absl::StatusOr<std::optional<StreamHead>> ReadHead(const std::string& stream,
                                                     uint64_t max_position);
  absl::StatusOr<std::vector<Record>> ReadLogKeys(absl::string_view stream,
                                                  const std::vector<std::string>& log_keys,
                                                  const std::vector<uint64_t>& revisions);

  const Options& options_;
  rocksdb::DB* db_;
  LogFamilies cf_;
  const CommitWatch* durable_ = nullptr;
};

// Pages through the whole log with ReadAll; the records before a damaged one
// come first, then its DATA_LOSS.
std::unique_ptr<LogIterator> PagedLogScan(EventStore* store, uint64_t from_position);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_LOG_READER_H_
