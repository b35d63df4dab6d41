#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/event_store.h"

namespace tripdesk::eventstore {
namespace {

constexpr char kDamageType[] = "type.tripdesk.dev/eventstore.DamagedRecord";

}  // namespace

absl::Status DataLossAt(const DamagedRecord& where, absl::string_view message) {
  absl::Status status = absl::DataLossError(message);
  // "position\nstream\nrevision": streams never hold a line break.
  status.SetPayload(kDamageType,
                    absl::Cord(absl::StrCat(where.position, "\n", where.stream, "\n",
                                            where.revision.has_value()
                                                ? absl::StrCat(*where.revision)
                                                : std::string())));
  return status;
}

std::optional<DamagedRecord> DamageOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kDamageType);  // absl::optional in this abseil
  if (!payload.has_value()) return std::nullopt;
  const std::vector<std::string> parts = absl::StrSplit(std::string(*payload), '\n');
  DamagedRecord where;
  uint64_t revision = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &where.position)) return std::nullopt;
  where.stream = parts[1];
  if (absl::SimpleAtoi(parts[2], &revision)) where.revision = revision;
  return where;
}

}  // namespace tripdesk::eventstore
