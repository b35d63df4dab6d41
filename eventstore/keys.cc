#include "eventstore/keys.h"

namespace tripdesk::eventstore::keys {

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeU64(absl::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

std::string StreamPrefix(absl::string_view stream) {
  std::string key(stream.data(), stream.size());
  key.push_back('\0');
  return key;
}

std::string StreamKey(absl::string_view stream, uint64_t revision) {
  std::string key = StreamPrefix(stream);
  key.append(EncodeU64(revision));
  return key;
}

}  // namespace tripdesk::eventstore::keys
