// The hash chain of a stream: each record's hash is SHA-256 over the previous
// record's hash and this record's fields, so altering, removing or reordering
// any stored record breaks every later hash in its stream.
//
// Thread-safe (pure functions).
#ifndef TRIPDESK_EVENTSTORE_RECORD_HASH_H_
#define TRIPDESK_EVENTSTORE_RECORD_HASH_H_

#include <string>
#include "absl/strings/string_view.h"

#include "tripdesk/v1/log.pb.h"

namespace tripdesk::eventstore {

inline constexpr size_t kHashBytes = 32;

// The previous hash of a stream's first record.
const std::string& GenesisHash();

// SHA-256 of `previous_hash` followed by the record's fields (all but
// `hash`) in a fixed, length-prefixed encoding independent of protobuf's
// serializer. Returns 32 raw bytes.
std::string ComputeRecordHash(absl::string_view previous_hash,
                              const ::tripdesk::v1::RecordEnvelope& record);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_RECORD_HASH_H_
