// The RocksDB EventStore's group commit, started on an opened database.
// Internal: callers use EventStore::Open.
#ifndef TRIPDESK_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
#define TRIPDESK_EVENTSTORE_ROCKSDB_EVENT_STORE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "rocksdb/db.h"

namespace tripdesk::eventstore {

// `handles` are the default, log, streams, commands and tree families, in
// order.
// Recovers the last position and starts the writer, syncer, completer and
// notifier threads.
absl::StatusOr<std::unique_ptr<EventStore>> StartRocksDbEventStore(
    const Options& options, std::unique_ptr<rocksdb::DB> db,
    std::vector<rocksdb::ColumnFamilyHandle*> handles);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
