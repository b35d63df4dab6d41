#include "services/identity.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "workflows/registry.h"

namespace tripdesk::services {

namespace {

// Who may call what: every RPC of every service, by full method name.
// Auditors and dashboards only read; audit calls are for auditors and
// supervisors; the log itself is read by auditors, supervisors and admins;
// rebuilding views is an admin's.
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
        {"tripdesk.v1.CaseService/PreviewCommand", writers},
        {"tripdesk.v1.CaseService/GetCase", readers},
        {"tripdesk.v1.CaseService/ListCases", readers},
        {"tripdesk.v1.CaseService/ListNotes", readers},
        {"tripdesk.v1.CaseService/ListCustomerTimeline", readers},
        {"tripdesk.v1.CaseService/FindCaseByReference", readers},
        {"tripdesk.v1.CaseService/GetReservation", readers},
        {"tripdesk.v1.CaseService/ListTrackerRows", readers},
        {"tripdesk.v1.CaseService/ListDeadlines", readers},
        {"tripdesk.v1.CaseService/ListAvailableUnits", readers},
        {"tripdesk.v1.CaseService/ListFleetBookings", readers},
        {"tripdesk.v1.CaseService/GetFleetAvailability", readers},
        {"tripdesk.v1.CaseService/ListFleetAccounts", readers},
        {"tripdesk.v1.CaseService/GetReferenceData", readers},
        {"tripdesk.v1.CaseService/DescribeWorkflows", readers},
        {"tripdesk.v1.CaseService/WatchCases", readers},
        {"tripdesk.v1.AuditService/GetCaseHistory", auditors},
        {"tripdesk.v1.AuditService/ReplayCase", auditors},
        {"tripdesk.v1.AuditService/VerifyLog", auditors},
        {"tripdesk.v1.AuditService/ExportCaseHistory", auditors},
        {"tripdesk.v1.AuditService/ExportTracker", auditors},
        {"tripdesk.v1.AuditService/RebuildViews", {"admin"}},
        {"tripdesk.v1.AuditService/GetSecurityCounters", {"auditor", "admin"}},
        // Names positions and fields, never the numbers.
        {"tripdesk.v1.AuditService/ScanForCardNumbers", {"auditor", "admin"}},
        // Tamper evidence: public facts about the log, for anyone who audits it.
        {"tripdesk.v1.AuditService/GetSignedTreeHead", auditors},
        {"tripdesk.v1.AuditService/GetLogPublicKey", auditors},
        {"tripdesk.v1.AuditService/GetInclusionProof", auditors},
        {"tripdesk.v1.AuditService/GetConsistencyProof", auditors},
        {"tripdesk.v1.AuditService/GetTreeChunkRoots", auditors},
        {"tripdesk.v1.ClockService/GetTime", readers},
        {"tripdesk.v1.ClockService/SetTestClock", {"admin"}},
        {"tripdesk.v1.ClockService/AdvanceTestClock", {"admin"}},
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

std::string Header(const grpc::ServerContextBase& context, absl::string_view name) {
  auto range = context.client_metadata().equal_range(std::string(name));
  if (range.first == range.second) return "";
  return std::string(range.first->second.data(), range.first->second.size());
}

bool Contains(const std::vector<std::string>& v, absl::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string MaskEmail(const std::string& email) {
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0) return email.empty() ? "" : "***";
  return absl::StrCat(email.substr(0, 1), "***", email.substr(at));
}

std::string MaskPhone(const std::string& phone) {
  if (phone.size() <= 2) return phone.empty() ? "" : "***";
  return absl::StrCat("***", phone.substr(phone.size() - 2));
}

}  // namespace


const std::vector<std::string>& KnownRoles() {
  static const auto* const kRoles = new std::vector<std::string>{
      "dashboard", "auditor", "agent", "tech_spoc", "supervisor", "admin"};
  return *kRoles;
}

std::vector<std::string> RolesFor(absl::string_view rpc) {
  auto it = Policy().find(rpc);
  return it == Policy().end() ? std::vector<std::string>() : it->second;
}

const std::vector<std::string>& RolesForCommand(absl::string_view command) {
  return workflows::WorkflowRegistry::Default().RolesForCommand(command);
}

std::string CommandKey(const v1::CaseCommand& command) {
  return workflows::WorkflowRegistry::CommandKey(command);
}

std::string PeerAddress(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    const size_t colon = peer.rfind(':');
    return std::string(colon == absl::string_view::npos ? peer : peer.substr(0, colon));
  }
  if (absl::ConsumePrefix(&peer, "ipv6:")) {
    const size_t close = peer.find(']');
    if (absl::StartsWith(peer, "[") && close != absl::string_view::npos) {
      return std::string(peer.substr(1, close - 1));
    }
  }
  return std::string(peer);
}

std::string CallerAddress(const grpc::ServerContextBase& context) {
  const std::string peer = context.peer();
  if (absl::StartsWith(peer, "ipv4:") || absl::StartsWith(peer, "ipv6:") ||
      absl::StartsWith(peer, "unix:")) {
    return PeerAddress(peer);
  }
  const std::string http_client = Header(context, kHttpPeerHeader);
  return http_client.empty() ? PeerAddress(peer) : absl::StrCat("http ", http_client);
}

bool Authenticator::Take(Bucket& b, double rate, double burst, double cost) {
  const absl::Time now = absl::Now();
  // A new bucket (never refilled) starts full.
  b.tokens = b.refilled == absl::Time()
                 ? burst
                 : std::min(burst, b.tokens + absl::ToDoubleSeconds(now - b.refilled) * rate);
  b.refilled = now;
  if (b.tokens < 1) return false;
  b.tokens -= cost;
  return true;
}

bool Authenticator::TakeFrom(Buckets& buckets, const std::string& key, double rate, double burst,
                             double cost) {
  // A bucket untouched for long is full again: forget idle keys.
  if (buckets.size() > 100000) buckets.clear();
  return Take(buckets[key], rate, burst, cost);
}

absl::Status Authenticator::Deny(const grpc::ServerContextBase& context, absl::string_view subject,
                                 absl::string_view rpc, absl::Status status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      ++unauthenticated_;
      break;
    case absl::StatusCode::kResourceExhausted:
      ++rate_limited_;
      break;
    default:
      ++permission_denied_;
      break;
  }
  uint64_t not_logged = 0;
  bool log = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // RPC names come from the server's own method table, so this stays small.
    ++denied_by_rpc_[rpc];
    const double rate = options_.denial_log_lines_per_second;
    log = rate <= 0 || Take(log_lines_, rate, 2 * rate, 1);
    if (log) {
      not_logged = not_logged_since_line_;
      not_logged_since_line_ = 0;
    } else {
      ++not_logged_since_line_;
    }
  }
  if (!log) {
    ++denials_not_logged_;
    return status;
  }
  spdlog::warn("denied {} to {} from {}: {}{}", std::string(rpc),
               subject.empty() ? std::string("(unauthenticated)") : std::string(subject),
               CallerAddress(context), std::string(status.message()),
               not_logged > 0 ? absl::StrCat(" (", not_logged, " denials since the last line were "
                                             "counted, not logged)")
                              : "");
  return status;
}

std::optional<JwtClaims> Authenticator::Remembered(absl::string_view token, absl::Time now) {
  std::lock_guard<std::mutex> lock(verified_mu_);
  auto it = verified_.find(token);
  // The expiry is the one check that changes with time; an expired entry
  // falls through to the verifier, which says so.
  if (it != verified_.end() && now <= it->second.expires) return it->second;
  return std::nullopt;
}

absl::StatusOr<JwtClaims> Authenticator::Verify(absl::string_view token, absl::Time now) {
  absl::StatusOr<JwtClaims> claims = options_.verifier->Verify(token, now);
  if (claims.ok()) {
    std::lock_guard<std::mutex> lock(verified_mu_);
    if (verified_.size() >= 10000) verified_.clear();  // bounded; refills as clients call
    verified_.emplace(std::string(token), *claims);
  }
  return claims;
}

absl::StatusOr<JwtClaims> Authenticator::Claims(absl::string_view token) {
  const absl::Time now = absl::Now();
  if (std::optional<JwtClaims> known = Remembered(token, now)) return *std::move(known);
  return Verify(token, now);
}

bool Authenticator::TakeToken(const std::string& subject) {
  if (options_.calls_per_second <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return TakeFrom(buckets_, subject, options_.calls_per_second,
                  std::max(options_.burst, options_.calls_per_second), 1);
}

absl::StatusOr<workflows::Actor> Authenticator::Admit(const grpc::ServerContextBase& context,
                                                      absl::string_view rpc, absl::Time* expires) {
  if (expires != nullptr) *expires = absl::InfiniteFuture();
  const std::vector<std::string> allowed = RolesFor(rpc);
  if (Contains(allowed, "*")) return workflows::Actor{"", ""};
  const std::string header = Header(context, kAuthorizationHeader);
  const absl::Time now = absl::Now();
  const bool bearer = absl::StartsWithIgnoreCase(header, "bearer ");
  const absl::string_view token = bearer ? absl::string_view(header).substr(7) : "";
  std::optional<JwtClaims> known = bearer ? Remembered(token, now) : std::nullopt;
  // An address that keeps failing to authenticate is refused before its
  // tokens are read; a caller with a token already verified never is.
  const bool limit_peer = options_.unauthenticated_per_second > 0 && !known.has_value();
  const std::string peer = limit_peer ? CallerAddress(context) : std::string();
  absl::Status refusal;
  // Takes `cost` from the address's allowance of failed authentications.
  auto peer_allowance = [&](double cost) {
    std::lock_guard<std::mutex> lock(mu_);
    return TakeFrom(peer_buckets_, peer, options_.unauthenticated_per_second,
                    std::max(options_.unauthenticated_burst, options_.unauthenticated_per_second),
                    cost);
  };
  if (limit_peer) {
    if (!peer_allowance(0)) {
      return Deny(context, "", rpc,
                  absl::ResourceExhaustedError(absl::StrFormat(
                      "too many calls without a valid token from %s; wait and send a valid "
                      "bearer token",
                      peer)));
    }
  }
  if (header.empty()) {
    refusal = absl::UnauthenticatedError(
        "no credentials: send 'authorization: Bearer <token>' (the CLI takes --token or "
        "TRIPDESK_TOKEN)");
  } else if (!bearer) {
    refusal = absl::UnauthenticatedError("the authorization metadata must be 'Bearer <token>'");
  } else if (!known.has_value()) {
    absl::StatusOr<JwtClaims> verified = Verify(token, now);
    if (verified.ok()) {
      known = *std::move(verified);
    } else {
      refusal = verified.status();
    }
  }
  if (!refusal.ok()) {
    if (limit_peer) peer_allowance(1);
    return Deny(context, "", rpc, refusal);
  }
  const JwtClaims& claims = *known;
  if (allowed.empty()) {
    return Deny(context, claims.subject, rpc,
                absl::PermissionDeniedError(absl::StrCat(rpc, ": not in the access policy")));
  }
  // The most privileged of the token's roles that may call the RPC.
  std::string role;
  for (const std::string& candidate : KnownRoles()) {
    if (Contains(claims.roles, candidate) && Contains(allowed, candidate)) role = candidate;
  }
  if (role.empty()) {
    const bool read_only = std::all_of(claims.roles.begin(), claims.roles.end(),
                                       [](const std::string& r) {
                                         return r == "auditor" || r == "dashboard";
                                       });
    const bool writes = absl::EndsWith(rpc, "/OpenCase") || absl::EndsWith(rpc, "/SubmitCommand") ||
                        absl::EndsWith(rpc, "/PreviewCommand");
    return Deny(context, claims.subject, rpc,
                absl::PermissionDeniedError(absl::StrCat(
                    rpc, ": ", claims.subject, " (", absl::StrJoin(claims.roles, ", "), ") ",
                    read_only && writes ? "only reads" : "may not call this", "; it is for ",
                    absl::StrJoin(allowed, ", "))));
  }
  if (!TakeToken(claims.subject)) {
    return Deny(context, claims.subject, rpc,
                absl::ResourceExhaustedError(absl::StrFormat(
                    "rate limit: %s may make %.0f calls a second; slow down and retry",
                    claims.subject, options_.calls_per_second)));
  }
  if (expires != nullptr) *expires = claims.expires;
  workflows::Actor actor{claims.subject, role};
  actor.roles = claims.roles;
  actor.location = claims.location;
  return actor;
}

absl::Status Authenticator::AdmitCommand(const grpc::ServerContextBase& context,
                                         workflows::Actor& actor, const v1::CaseCommand& command) {
  const std::string key = CommandKey(command);
  if (key.empty()) return absl::InvalidArgumentError("command: no workflow command is set");
  const std::vector<std::string>& allowed = RolesForCommand(key);
  std::string role;
  for (const std::string& candidate : KnownRoles()) {
    if (Contains(actor.roles, candidate) && Contains(allowed, candidate)) role = candidate;
  }
  if (role.empty()) {
    return Deny(context, actor.id, key,
                absl::PermissionDeniedError(absl::StrCat(
                    key, " needs the ", absl::StrJoin(allowed, " or "), " role; ", actor.id,
                    " has ", absl::StrJoin(actor.roles, ", "))));
  }
  actor.role = role;
  return absl::OkStatus();
}

v1::SecurityCounters Authenticator::Counters() const {
  v1::SecurityCounters out;
  out.set_unauthenticated(unauthenticated_.load());
  out.set_permission_denied(permission_denied_.load());
  out.set_rate_limited(rate_limited_.load());
  out.set_denials_not_logged(denials_not_logged_.load());
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [rpc, n] : denied_by_rpc_) (*out.mutable_denied_by_rpc())[rpc] = n;
  return out;
}

v1::ReferenceData ReferenceDataFor(const v1::ReferenceData& all, const workflows::Actor& actor) {
  v1::ReferenceData out = all;
  if (actor.role == "supervisor" || actor.role == "auditor" || actor.role == "admin") return out;
  auto* users = out.mutable_rv()->mutable_user_limits();
  users->erase(std::remove_if(users->begin(), users->end(),
                              [&](const v1::RvUserLimit& u) { return u.user() != actor.id; }),
               users->end());
  return out;
}

void MaskPersonalData(v1::CaseView& view) {
  v1::Person& p = *view.mutable_customer();
  p.set_email(MaskEmail(p.email()));
  p.set_phone(MaskPhone(p.phone()));
}

}  // namespace tripdesk::services
