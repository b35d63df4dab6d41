#include "services/identity.h"

#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
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

namespace {

// Who may call what: every RPC of every service, by full method name.
// Auditors and dashboards only read; audit calls are for auditors and
// supervisors; the log itself is read by auditors, supervisors and admins.
const absl::flat_hash_map<std::string, std::vector<std::string>>& Policy() {
  static const auto* const kPolicy = [] {
    const std::vector<std::string> writers = {"agent", "tech_spoc", "supervisor"};
    const std::vector<std::string> readers = {"agent",   "tech_spoc", "supervisor",
                                              "auditor", "dashboard", "admin"};
    const std::vector<std::string> auditors = {"auditor", "supervisor"};
    const std::vector<std::string> log_readers = {"auditor", "supervisor", "admin"};
    const std::vector<std::string> anyone = {"*"};
    return new absl::flat_hash_map<std::string, std::vector<std::string>>{
        {"tripdesk.v1.CaseService/OpenCase", writers},
        {"tripdesk.v1.CaseService/SubmitCommand", writers},
        {"tripdesk.v1.CaseService/GetCase", readers},
        {"tripdesk.v1.CaseService/ListCases", readers},
        {"tripdesk.v1.CaseService/GetReservation", readers},
        {"tripdesk.v1.CaseService/ListTrackerRows", readers},
        {"tripdesk.v1.CaseService/ListAvailableUnits", readers},
        {"tripdesk.v1.AuditService/GetCaseHistory", auditors},
        {"tripdesk.v1.AuditService/ReplayCase", auditors},
        {"tripdesk.v1.AuditService/VerifyLog", auditors},
        {"tripdesk.v1.AuditService/ExportCaseHistory", auditors},
        {"tripdesk.v1.AuditService/ExportTracker", auditors},
        {"tripdesk.v1.AuditService/RebuildViews", auditors},
        {"tripdesk.v1.EventLog/ReadStream", log_readers},
        {"tripdesk.v1.EventLog/GetStreamHead", log_readers},
        {"tripdesk.v1.EventLog/ReadAll", log_readers},
        {"tripdesk.v1.EventLog/Subscribe", log_readers},
        // Test-only, and also refused unless tripdeskd runs with
        // --enable_raw_append.
        {"tripdesk.v1.EventLog/Append", {"admin"}},
        {"grpc.health.v1.Health/Check", anyone},
        {"grpc.health.v1.Health/Watch", anyone},
        {"grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", anyone},
    };
  }();
  return *kPolicy;
}

}  // namespace

std::vector<std::string> RolesFor(absl::string_view rpc) {
  auto it = Policy().find(rpc);
  return it == Policy().end() ? std::vector<std::string>() : it->second;
}

absl::Status Authorize(const workflows::Actor& actor, absl::string_view rpc) {
  const std::vector<std::string> roles = RolesFor(rpc);
  if (roles.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(rpc, ": not in the access policy"));
  }
  if (std::find(roles.begin(), roles.end(), "*") != roles.end() ||
      std::find(roles.begin(), roles.end(), actor.role) != roles.end()) {
    return absl::OkStatus();
  }
  const bool read_only = actor.role == "auditor" || actor.role == "dashboard";
  const bool writes = absl::EndsWith(rpc, "/OpenCase") || absl::EndsWith(rpc, "/SubmitCommand");
  return absl::PermissionDeniedError(absl::StrCat(
      rpc, ": the ", actor.role, " role ",
      read_only && writes ? "only reads" : "may not call this",
      "; it is for ", absl::StrJoin(roles, ", ")));
}

}  // namespace tripdesk::services
