#include "projections/view_store.h"

#include <filesystem>
#include <mutex>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "eventstore/rocksdb_logger.h"
#include "eventstore/rocksdb_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace tripdesk::projections {
namespace {

// The log's conversion (eventstore/rocksdb_status.h), saying it was the views.
absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view doing) {
  return eventstore::FromRocksDb(s, absl::StrCat("views: ", doing));
}

class RocksDbViewStore final : public ViewStore {
 public:
  RocksDbViewStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) families_[h->GetName()] = h;
  }

  ~RocksDbViewStore() override {
    // Writes skip the WAL: flushing is what makes them last past a close.
    rocksdb::FlushOptions flush;
    (void)db_->Flush(flush, handles_);
    for (rocksdb::ColumnFamilyHandle* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
  }

  absl::Status Flush() override {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [name, handle] : families_) handles.push_back(handle);
    }
    return FromRocksDb(db_->Flush(rocksdb::FlushOptions(), handles), "flushing");
  }

  absl::Status Resume() override { return FromRocksDb(db_->Resume(), "resuming writes"); }

  absl::Status CreateFamily(absl::string_view family) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (families_.contains(family)) return absl::OkStatus();
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    rocksdb::Status s = db_->CreateColumnFamily(
        db_->GetOptions(db_->DefaultColumnFamily()), std::string(family), &handle);
    if (!s.ok()) return FromRocksDb(s, absl::StrCat("creating ", family));
    handles_.push_back(handle);
    families_[std::string(family)] = handle;
    return absl::OkStatus();
  }

  absl::Status DropFamily(absl::string_view family) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = families_.find(family);
    if (it == families_.end()) return absl::OkStatus();
    // The handle stays open, so a query still reading it finishes; the rows
    // go with the next compaction and the family is gone at the next open.
    rocksdb::Status s = db_->DropColumnFamily(it->second);
    if (!s.ok()) return FromRocksDb(s, absl::StrCat("dropping ", family));
    families_.erase(it);
    return absl::OkStatus();
  }

  bool HasFamily(absl::string_view family) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return families_.contains(family);
  }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view family,
                                                 absl::string_view key) const override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> cf = Family(family);
    if (!cf.ok()) return cf.status();
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), *cf, rocksdb::Slice(key.data(), key.size()),
                                 &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocksDb(s, "reading");
    return std::optional<std::string>(std::move(value));
  }

  absl::Status Scan(absl::string_view family, absl::string_view prefix, absl::string_view start,
                    const std::function<bool(absl::string_view, absl::string_view)>& visit)
      const override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> cf = Family(family);
    if (!cf.ok()) return cf.status();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), *cf));
    const rocksdb::Slice p(prefix.data(), prefix.size());
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid() && it->key().starts_with(p);
         it->Next()) {
      if (!visit(absl::string_view(it->key().data(), it->key().size()),
                 absl::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return FromRocksDb(it->status(), "scanning");
  }

  absl::Status Write(const std::vector<Change>& changes) override {
    rocksdb::WriteBatch batch;
    for (const Change& c : changes) {
      absl::StatusOr<rocksdb::ColumnFamilyHandle*> cf = Family(c.family);
      if (!cf.ok()) return cf.status();
      rocksdb::Status s = c.value.has_value() ? batch.Put(*cf, c.key, *c.value)
                                              : batch.Delete(*cf, c.key);
      if (!s.ok()) return FromRocksDb(s, "batching");
    }
    // No WAL: a crash loses the newest batches of rows and their checkpoints
    // together (atomic_flush keeps every family at the same batch), and the
    // runner re-applies them from the log.
    rocksdb::WriteOptions write_options;
    write_options.disableWAL = true;
    return FromRocksDb(db_->Write(write_options, &batch), "writing");
  }

  absl::Status Clear(absl::string_view family) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> cf = Family(family);
    if (!cf.ok()) return cf.status();
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), *cf));
    it->SeekToFirst();
    if (!it->Valid()) return FromRocksDb(it->status(), "clearing");
    const std::string first = it->key().ToString();
    it->SeekToLast();
    std::string last = it->key().ToString();
    last.push_back('\0');  // DeleteRange's end is exclusive
    rocksdb::WriteOptions write_options;
    write_options.disableWAL = true;  // like every view write; see Write
    return FromRocksDb(db_->DeleteRange(write_options, *cf, first, last), "clearing");
  }

 private:
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Family(absl::string_view name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = families_.find(name);
    if (it == families_.end()) {
      return absl::InternalError(absl::StrCat("views: no column family '", name, "'"));
    }
    return it->second;
  }

  std::unique_ptr<rocksdb::DB> db_;
  mutable std::mutex mu_;  // guards the two below: families come and go
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> families_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ViewStore>> ViewStore::Open(
    const std::string& path, const std::vector<std::string>& families) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("views directory '", path, "' cannot be created: ", ec.message()));
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.atomic_flush = true;
  // Memory for the views is bounded whatever the size of the log.
  options.db_write_buffer_size = 64 << 20;
  options.write_buffer_size = 16 << 20;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.info_log = eventstore::MakeRocksDbLogger("views");
  options.keep_log_file_num = 3;
  // Every family already in the database must be opened, including views of
  // other versions, plus the ones asked for.
  std::set<std::string> names(families.begin(), families.end());
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), path, &existing).ok()) {
    names.insert(existing.begin(), existing.end());
  }
  names.erase(rocksdb::kDefaultColumnFamilyName);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(32 << 20);
  // Most reads during a rebuild are of rows that do not exist yet.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.checksum = rocksdb::kXXH3;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, options}};
  for (const std::string& f : names) descriptors.push_back({f, options});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(options), path, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrCat(
          "views directory '", path, "' is in use by another process (RocksDB LOCK is held)"));
    }
    return FromRocksDb(s, absl::StrCat("opening '", path, "'"));
  }
  return std::unique_ptr<ViewStore>(
      new RocksDbViewStore(std::unique_ptr<rocksdb::DB>(raw), std::move(handles)));
}

absl::StatusOr<std::optional<std::string>> ViewTxn::Get(absl::string_view family,
                                                        absl::string_view key) {
  Key k(absl::StrCat(family, suffix_), std::string(key));
  auto it = changes_.find(k);
  if (it != changes_.end()) return it->second;
  return store_->Get(k.first, key);
}

void ViewTxn::Put(absl::string_view family, absl::string_view key, std::string value) {
  changes_[Key(absl::StrCat(family, suffix_), std::string(key))] = std::move(value);
}

void ViewTxn::Delete(absl::string_view family, absl::string_view key) {
  changes_[Key(absl::StrCat(family, suffix_), std::string(key))] = std::nullopt;
}

absl::Status ViewTxn::Commit() {
  std::vector<ViewStore::Change> changes;
  changes.reserve(changes_.size());
  for (auto& [key, value] : changes_) {
    changes.push_back({key.first, key.second, std::move(value)});
  }
  changes_.clear();
  if (changes.empty()) return absl::OkStatus();
  return store_->Write(changes);
}

}  // namespace tripdesk::projections
