#include "projections/view_store.h"

#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace tripdesk::projections {
namespace {

absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view doing) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat("views: ", doing, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (s.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

class RocksDbViewStore final : public ViewStore {
 public:
  RocksDbViewStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) families_[h->GetName()] = h;
  }

  ~RocksDbViewStore() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
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
    return FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch), "writing");
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
    return FromRocksDb(db_->DeleteRange(rocksdb::WriteOptions(), *cf, first, last), "clearing");
  }

 private:
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Family(absl::string_view name) const {
    auto it = families_.find(name);
    if (it == families_.end()) {
      return absl::InternalError(absl::StrCat("views: no column family '", name, "'"));
    }
    return it->second;
  }

  std::unique_ptr<rocksdb::DB> db_;
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
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 3;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, options}};
  for (const std::string& f : families) descriptors.push_back({f, options});
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
  auto it = changes_.find(Key(std::string(family), std::string(key)));
  if (it != changes_.end()) return it->second;
  return store_->Get(family, key);
}

void ViewTxn::Put(absl::string_view family, absl::string_view key, std::string value) {
  changes_[Key(std::string(family), std::string(key))] = std::move(value);
}

void ViewTxn::Delete(absl::string_view family, absl::string_view key) {
  changes_[Key(std::string(family), std::string(key))] = std::nullopt;
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
