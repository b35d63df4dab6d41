#include "services/identity.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tripdesk::services {
namespace {

constexpr std::array<absl::string_view, 6> kRoles = {"agent",   "tech_spoc", "supervisor",
                                                     "auditor", "dashboard", "admin"};

std::string Header(const grpc::CallbackServerContext& context, absl::string_view name) {
  auto range = context.client_metadata().equal_range(std::string(name));
  if (range.first == range.second) return "";
  return std::string(range.first->second.data(), range.first->second.size());
}

}  // namespace

absl::StatusOr<workflows::Actor> ActorOf(const grpc::CallbackServerContext& context) {
  workflows::Actor actor{Header(context, kActorHeader), Header(context, kRoleHeader)};
  if (actor.id.empty() || actor.id.size() > 128) {
    return absl::UnauthenticatedError(absl::StrCat(
        "name yourself in the '", kActorHeader, "' metadata (1 to 128 characters)"));
  }
  for (char c : actor.id) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return absl::UnauthenticatedError(
          absl::StrCat("'", kActorHeader, "' must be printable ASCII without spaces"));
    }
  }
  if (std::find(kRoles.begin(), kRoles.end(), actor.role) == kRoles.end()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "'", kRoleHeader, "' must be one of agent, tech_spoc, supervisor, auditor, "
        "dashboard, admin; got '", actor.role, "'"));
  }
  return actor;
}

absl::Status Authorize(const workflows::Actor& actor, absl::string_view rpc) {
  if (absl::StartsWith(rpc, "tripdesk.v1.AuditService/") && actor.role != "auditor" &&
      actor.role != workflows::kRoleSupervisor) {
    return absl::PermissionDeniedError(
        absl::StrCat(rpc, ": audit calls are for the auditor and supervisor roles; you act as '",
                     actor.role, "'"));
  }
  const bool writes = absl::EndsWith(rpc, "/OpenCase") || absl::EndsWith(rpc, "/SubmitCommand");
  if (writes && actor.role != workflows::kRoleAgent && actor.role != workflows::kRoleTechSpoc &&
      actor.role != workflows::kRoleSupervisor) {
    return absl::PermissionDeniedError(absl::StrCat(
        rpc, ": the ", actor.role, " role only reads; commands need agent, tech_spoc or supervisor"));
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::services
