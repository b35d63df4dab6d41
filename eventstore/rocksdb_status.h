// The one place RocksDB statuses become absl statuses. Internal.
#ifndef TRIPDESK_EVENTSTORE_ROCKSDB_STATUS_H_
#define TRIPDESK_EVENTSTORE_ROCKSDB_STATUS_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace tripdesk::eventstore {

// Corruption -> DATA_LOSS, no space -> RESOURCE_EXHAUSTED, other I/O ->
// UNAVAILABLE, anything else -> INTERNAL; `doing` says what failed.
absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view doing);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_ROCKSDB_STATUS_H_
