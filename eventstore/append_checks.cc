#include "eventstore/append_checks.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tripdesk::eventstore {
namespace {

constexpr char kNameChars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/-";

absl::Status ValidateName(absl::string_view value, size_t max_bytes,
                          absl::string_view field) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  }
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: is %d bytes long, at most %d allowed", field,
                        value.size(), max_bytes));
  }
  const size_t bad = value.find_first_not_of(kNameChars);
  if (bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: character at offset %d is not allowed; use letters, digits and "
        "._:@/-",
        field, bad));
  }
  return absl::OkStatus();
}

// Ids and actor names: optional, printable ASCII without spaces.
absl::Status ValidateId(absl::string_view value, size_t max_bytes,
                        absl::string_view field) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: is %d bytes long, at most %d allowed", field,
                        value.size(), max_bytes));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: byte at offset %d is not printable ASCII", field, i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRequest(const AppendRequest& request,
                             const Options& options) {
  if (request.streams.empty()) {
    return absl::InvalidArgumentError("streams: at least one stream is required");
  }
  size_t total_events = 0;
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < request.streams.size(); ++i) {
    const StreamAppend& sa = request.streams[i];
    const std::string field = absl::StrCat("streams[", i, "]");
    if (absl::Status s =
            ValidateStreamName(sa.stream, options, absl::StrCat(field, ".stream"));
        !s.ok()) {
      return s;
    }
    if (!seen.insert(sa.stream).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".stream: '", sa.stream, "' appears twice in one append"));
    }
    if (sa.events.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".events: at least one event is required"));
    }
    for (size_t j = 0; j < sa.events.size(); ++j) {
      const EventData& e = sa.events[j];
      const std::string efield = absl::StrCat(field, ".events[", j, "]");
      if (absl::Status s = ValidateName(e.event_type, options.max_event_type_bytes,
                                        absl::StrCat(efield, ".event_type"));
          !s.ok()) {
        return s;
      }
      if (e.payload.size() > options.max_payload_bytes) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s.payload: is %d bytes, at most %d allowed", efield,
            e.payload.size(), options.max_payload_bytes));
      }
    }
    total_events += sa.events.size();
  }
  if (total_events > options.max_events_per_append) {
    return absl::InvalidArgumentError(
        absl::StrFormat("streams: %d events in one append, at most %d allowed",
                        total_events, options.max_events_per_append));
  }
  if (absl::Status s = ValidateId(request.command_id, options.max_id_bytes,
                                  "command_id");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateId(request.correlation_id, options.max_id_bytes,
                                  "correlation_id");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidateId(request.actor.id, options.max_id_bytes, "actor.id");
      !s.ok()) {
    return s;
  }
  if (request.command_fingerprint.size() > 64) {
    return absl::InvalidArgumentError("command_fingerprint: at most 64 bytes");
  }
  return ValidateId(request.actor.role, options.max_id_bytes, "actor.role");
}

size_t EventCount(const AppendRequest& request) {
  size_t n = 0;
  for (const StreamAppend& sa : request.streams) n += sa.events.size();
  return n;
}


std::string ExpectedRevision::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any revision";
    case Kind::kNoStream:
      return "no stream";
    case Kind::kStreamExists:
      return "an existing stream";
    case Kind::kExact:
      return absl::StrCat("revision ", revision_);
  }
  return "?";
}

absl::Status ValidateStreamName(absl::string_view stream, const Options& options,
                                absl::string_view field) {
  return ValidateName(stream, options.max_stream_name_bytes, field);
}

}  // namespace tripdesk::eventstore
