// Checks an append before it is queued: stream names, sizes and ids, so a
// malformed request is refused before it costs the writer anything. Internal.
#ifndef TRIPDESK_EVENTSTORE_APPEND_CHECKS_H_
#define TRIPDESK_EVENTSTORE_APPEND_CHECKS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "eventstore/event_store.h"

namespace tripdesk::eventstore {

absl::Status ValidateRequest(const AppendRequest& request, const Options& options);

size_t EventCount(const AppendRequest& request);

}  // namespace tripdesk::eventstore

#endif  // TRIPDESK_EVENTSTORE_APPEND_CHECKS_H_
