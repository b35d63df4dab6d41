// Opening the store: the data directory, RocksDB's options and the four
// column families, then the group-commit store on top.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "eventstore/rocksdb_event_store.h"
#include "eventstore/rocksdb_logger.h"
#include "eventstore/rocksdb_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

namespace tripdesk::eventstore {

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
      {keys::kTreeFamily, cf_options},
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
  return StartRocksDbEventStore(options, std::unique_ptr<rocksdb::DB>(raw), std::move(handles));
}

}  // namespace tripdesk::eventstore
