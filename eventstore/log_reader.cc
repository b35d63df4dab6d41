#include "eventstore/log_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventstore/keys.h"
#include "eventstore/record_hash.h"
#include "eventstore/rocksdb_status.h"

namespace tripdesk::eventstore {
namespace {

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

}  // namespace

std::unique_ptr<LogIterator> PagedLogScan(EventStore* store, uint64_t from_position) {
  return std::make_unique<PagedLogIterator>(store, from_position);
}

absl::StatusOr<std::vector<Record>> LogReader::ReadStream(absl::string_view stream,
                                                          uint64_t from_revision,
                                                          size_t limit) {
  if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
  std::vector<Record> out;
  if (limit == 0) return out;
  std::vector<std::string> log_keys;
  std::vector<uint64_t> revisions;
  const uint64_t durable = Durable();
  {
    const std::string prefix = keys::StreamPrefix(stream);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf_.streams));
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
  return ReadLogKeys(stream, log_keys, revisions);
}

// The records behind a stream's index entries, in revision order.
absl::StatusOr<std::vector<Record>> LogReader::ReadLogKeys(
    absl::string_view stream, const std::vector<std::string>& log_keys,
    const std::vector<uint64_t>& revisions) {
  std::vector<Record> out;
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
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, cf_.log));
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
  std::vector<rocksdb::ColumnFamilyHandle*> families(slices.size(), cf_.log);
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

absl::StatusOr<std::vector<Record>> LogReader::ReadAll(uint64_t from_position, size_t limit) {
  std::vector<Record> out;
  const uint64_t durable = Durable();
  if (limit == 0 || from_position > durable) return out;
  rocksdb::ReadOptions read_options;
  const std::string upper = keys::LogKey(durable + 1);
  rocksdb::Slice upper_bound(upper);
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, cf_.log));
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

absl::StatusOr<std::optional<DamagedRecord>> LogReader::FindIndexEntry(uint64_t position) {
  const std::string wanted = keys::EncodeU64(position);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_.streams));
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

absl::StatusOr<std::optional<AppendOutcome>> LogReader::FindCommand(
    absl::string_view command_id) {
  if (command_id.empty()) return std::optional<AppendOutcome>();
  std::string stored;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_.commands,
                               keys::CommandKey(command_id), &stored);
  if (s.IsNotFound()) return std::optional<AppendOutcome>();
  if (!s.ok()) return FromRocksDb(s, "reading a command id");
  AppendOutcome outcome;
  if (!outcome.ParseFromString(stored)) {
    return absl::DataLossError(absl::StrCat("stored outcome of command '",
                                            std::string(command_id), "' does not decode"));
  }
  // Not yet synced: not yet a result anyone may rely on.
  if (outcome.last_position() > Durable()) return std::optional<AppendOutcome>();
  outcome.set_duplicate(true);
  return std::optional<AppendOutcome>(std::move(outcome));
}

absl::StatusOr<uint64_t> LogReader::ReadLastPosition() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf_.log));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocksDb(it->status(), "recovering the log");
  if (!it->Valid()) return 0;
  std::optional<uint64_t> pos = keys::DecodeU64(it->key().ToString());
  if (!pos.has_value()) {
    return absl::DataLossError("the last log key is not a position");
  }
  return *pos;
}

absl::StatusOr<StreamHead> LogReader::HeadUpTo(absl::string_view stream,
                                               uint64_t max_position) {
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
absl::StatusOr<std::optional<StreamHead>> LogReader::ReadHead(const std::string& stream,
                                                              uint64_t max_position) {
  const std::string prefix = keys::StreamPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf_.streams));
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

absl::StatusOr<std::string> LogReader::TreeNode(int level, uint64_t index) {
  std::string hash;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_.tree, keys::TreeNodeKey(level, index), &hash);
  if (s.IsNotFound() || (s.ok() && hash.size() != kHashBytes)) {
    return absl::DataLossError(absl::StrFormat(
        "the log's Merkle tree has no node at level %d, index %d (leaves %d to %d); "
        "the tree was damaged or removed",
        level, index, (index << level) + 1, ((index + 1) << level)));
  }
  if (!s.ok()) return FromRocksDb(s, "reading the Merkle tree");
  return hash;
}

absl::StatusOr<std::optional<std::string>> LogReader::StoredCommand(
    const std::string& command_id) {
  std::string stored;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_.commands, keys::CommandKey(command_id), &stored);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocksDb(s, "checking a command id");
  return std::optional<std::string>(std::move(stored));
}

}  // namespace tripdesk::eventstore
