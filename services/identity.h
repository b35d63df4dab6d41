// Who is calling. Until token authentication lands (issue 6), the caller
// names itself in gRPC metadata: x-tripdesk-actor and x-tripdesk-role.
// This is the single place that turns a call into an actor and decides
// whether the role may use an RPC.
#ifndef TRIPDESK_SERVICES_IDENTITY_H_
#define TRIPDESK_SERVICES_IDENTITY_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "workflows/workflow.h"

namespace tripdesk::services {

inline constexpr char kActorHeader[] = "x-tripdesk-actor";
inline constexpr char kRoleHeader[] = "x-tripdesk-role";

// UNAUTHENTICATED when the caller is not named or the role is unknown.
absl::StatusOr<workflows::Actor> ActorOf(const grpc::CallbackServerContext& context);

// PERMISSION_DENIED unless `actor`'s role may call `rpc`
// ("tripdesk.v1.CaseService/SubmitCommand"). An RPC missing from the policy
// table is denied to everyone.
absl::Status Authorize(const workflows::Actor& actor, absl::string_view rpc);

// The roles the policy table lets call `rpc`; empty when `rpc` is not in the
// table. "*" stands for anyone, even unauthenticated (health, reflection).
std::vector<std::string> RolesFor(absl::string_view rpc);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_IDENTITY_H_
