// RocksDB's diagnostics go to tripdeskd's own log instead of a LOG file in
// the data directory: on a full disk that file's failed writes trip an
// assertion in Debian's RocksDB build and abort the server.
#ifndef TRIPDESK_EVENTSTORE_ROCKSDB_LOGGER_H_
#define TRIPDESK_EVENTSTORE_ROCKSDB_LOGGER_H_

#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace tripdesk::eventstore {

// `name` prefixes each line ("log", "views").
std::shared_ptr<rocksdb::Logger> MakeRocksDbLogger(std::string name);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_ROCKSDB_LOGGER_H_
