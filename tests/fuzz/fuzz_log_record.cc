// Arbitrary bytes as a stored log record: decoding the envelope, hashing
// it, folding it into a case or a shared stream as a replay would, and
// decoding position keys. A corrupt record must be refused, never crash.
#include <cstddef>
#include <cstdint>

#include "eventstore/keys.h"
#include "eventstore/record_hash.h"
#include "workflows/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tripdesk;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)eventstore::keys::DecodeU64(bytes);
  v1::RecordEnvelope record;
  if (!record.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)eventstore::ComputeRecordHash(eventstore::GenesisHash(), record);
  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  v1::CaseState state;
  if (registry.Apply(state, record).ok()) {
    (void)registry.Apply(state, record);  // a second record on top of the first
    (void)registry.View(state);
  }
  v1::SharedState shared;
  (void)registry.ApplyShared(shared, record);
  return 0;
}
