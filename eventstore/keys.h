// Key encodings of the store's column families (see eventstore/README.md).
// Integers are big-endian so RocksDB's bytewise order is numeric order.
// Internal to eventstore/ and its tests.
#ifndef TRIPDESK_EVENTSTORE_KEYS_H_
#define TRIPDESK_EVENTSTORE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

namespace tripdesk::eventstore::keys {

inline constexpr char kLogFamily[] = "log";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kCommandsFamily[] = "commands";
inline constexpr char kTreeFamily[] = "tree";

std::string EncodeU64(uint64_t v);
std::optional<uint64_t> DecodeU64(absl::string_view bytes);

// log: position -> RecordEnvelope.
inline std::string LogKey(uint64_t position) { return EncodeU64(position); }

// streams: stream '\0' revision -> position (8 bytes) + hash (32 bytes).
// '\0' cannot occur in a stream name, so one stream's keys are contiguous
// and ordered by revision.
std::string StreamKey(absl::string_view stream, uint64_t revision);
std::string StreamPrefix(absl::string_view stream);

// commands: command id -> AppendOutcome.
inline std::string CommandKey(absl::string_view command_id) {
  return std::string(command_id.data(), command_id.size());
}

// tree: level (1 byte) + index -> the 32-byte root of the perfect subtree
// over leaves [index·2^level, (index+1)·2^level); level 0 holds the leaves.
inline std::string TreeNodeKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  key.append(EncodeU64(index));
  return key;
}

}  // namespace tripdesk::eventstore::keys

#endif  // TRIPDESK_EVENTSTORE_KEYS_H_
