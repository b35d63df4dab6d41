#include "eventstore/record_hash.h"

#include <openssl/evp.h>

#include <cstdint>

namespace tripdesk::eventstore {
namespace {

void AppendU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void AppendField(std::string& out, absl::string_view field) {
  AppendU64(out, field.size());
  out.append(field.data(), field.size());
}

}  // namespace

const std::string& GenesisHash() {
  static const std::string* const kGenesis = new std::string(kHashBytes, '\0');
  return *kGenesis;
}

std::string ComputeRecordHash(absl::string_view previous_hash,
                              const ::tripdesk::v1::RecordEnvelope& record) {
  // Version tag first, so a future change of this encoding is detectable.
  std::string input = "tripdesk-record-v1";
  input.reserve(input.size() + 160 + record.payload().size() +
                record.stream().size());
  AppendField(input, previous_hash);
  AppendU64(input, record.partition());
  AppendU64(input, record.position());
  AppendField(input, record.stream());
  AppendU64(input, record.revision());
  AppendField(input, record.event_type());
  AppendField(input, record.payload());
  AppendU64(input, static_cast<uint64_t>(record.recorded_at().seconds()));
  AppendU64(input, static_cast<uint64_t>(record.recorded_at().nanos()));
  AppendField(input, record.actor_id());
  AppendField(input, record.actor_role());
  AppendField(input, record.command_id());
  AppendField(input, record.correlation_id());

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha256(),
             nullptr);
  return std::string(reinterpret_cast<const char*>(digest), digest_len);
}

}  // namespace tripdesk::eventstore
