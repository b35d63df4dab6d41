// Who is calling, and may they. The caller presents a bearer token (a JWT,
// see jwt.h) in the `authorization` metadata; its subject is the actor every
// event records, its roles decide what it may call. This is the single
// place that turns a call into an actor: the policy table maps every RPC to
// the roles allowed, each workflow's declared steps (workflows/step_table.h)
// map its commands, and anything in neither is denied. Each refusal is logged (subject, RPC, reason; never the
// token) and counted.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_IDENTITY_H_
#define TRIPDESK_SERVICES_IDENTITY_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/jwt.h"
#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/cases.pb.h"
#include "workflows/workflow.h"

namespace tripdesk::services {

inline constexpr char kAuthorizationHeader[] = "authorization";
// The metadata an in-process call from the HTTP listener carries its
// client's address in; read from in-process calls only (see CallerAddress).
inline constexpr char kHttpPeerHeader[] = "x-tripdesk-http-peer";

// The roles, most privileged last.
const std::vector<std::string>& KnownRoles();

// The roles the policy table lets call `rpc` ("tripdesk.v1.CaseService/
// SubmitCommand"); empty when `rpc` is not in the table. "*" stands for
// anyone, even unauthenticated (health, reflection).
std::vector<std::string> RolesFor(absl::string_view rpc);
// The roles that may issue a workflow command, by "<workflow>.<command>"
// ("car_booking.decide_tech_spoc_approval"), as the workflow's step declares
// them (workflows/step_table.h); empty when no step declares it.
const std::vector<std::string>& RolesForCommand(absl::string_view command);
// "<workflow>.<command>" of a command; empty when none is set.
std::string CommandKey(const v1::CaseCommand& command);

// The caller's network address without its port ("127.0.0.1", "::1"), or
// gRPC's peer string when it is not an IP address.
std::string PeerAddress(absl::string_view peer);
// The address a call's per-address limits count against: its peer's, or,
// for a call the HTTP listener makes in-process for a client, that
// client's ("http 127.0.0.1"). A network peer cannot claim another address.
std::string CallerAddress(const grpc::ServerContextBase& context);

class Authenticator {
 public:
  struct Options {
    std::unique_ptr<JwtVerifier> verifier;
    // Calls per second per subject, with bursts up to `burst`; 0: no limit.
    double calls_per_second = 0;
    double burst = 0;
    // Calls without a valid token, per peer address, with bursts up to
    // `unauthenticated_burst`; past them the address is refused
    // RESOURCE_EXHAUSTED before its tokens are even read. 0: no limit.
    double unauthenticated_per_second = 0;
    double unauthenticated_burst = 0;
    // Denials written to the log per second (bursts of twice that); the
    // rest are counted, not logged, so a flood cannot fill the disk.
    double denial_log_lines_per_second = 10;
  };
  explicit Authenticator(Options options) : options_(std::move(options)) {}

  // The caller as an actor whose role is one of its token's roles allowed to
  // call `rpc`; UNAUTHENTICATED (no or bad token), PERMISSION_DENIED (no
  // role may) or RESOURCE_EXHAUSTED (over a rate limit). `expires`, when
  // given, receives the last instant the token is accepted, for streams
  // that outlive it (InfiniteFuture for an RPC open to anyone).
  absl::StatusOr<workflows::Actor> Admit(const grpc::ServerContextBase& context,
                                         absl::string_view rpc, absl::Time* expires = nullptr);
  // Whether the actor's roles may issue `command` (after Admit of the RPC);
  // the actor's role becomes the one that may.
  absl::Status AdmitCommand(const grpc::ServerContextBase& context, workflows::Actor& actor,
                            const v1::CaseCommand& command);

  v1::SecurityCounters Counters() const;
  // The claims of a token the verifier accepts now: who signed in to the
  // dashboard, as which roles, until when. Admit the call first: this
  // neither rate-limits nor logs.
  absl::StatusOr<JwtClaims> Claims(absl::string_view token);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };
  using Buckets = absl::flat_hash_map<std::string, Bucket>;

  absl::Status Deny(const grpc::ServerContextBase& context, absl::string_view subject,
                    absl::string_view rpc, absl::Status status);
  // Takes `cost` (0 or 1) from the bucket, refilled at `rate` up to `burst`
  // (a new one starts full); false when less than one is left. Under mu_.
  static bool Take(Bucket& bucket, double rate, double burst, double cost);
  // Take from `key`'s bucket.
  bool TakeFrom(Buckets& buckets, const std::string& key, double rate, double burst, double cost);
  bool TakeToken(const std::string& subject);
  // A token verified before and still accepted, if any.
  std::optional<JwtClaims> Remembered(absl::string_view token, absl::Time now);
  // Verifies and remembers.
  absl::StatusOr<JwtClaims> Verify(absl::string_view token, absl::Time now);

  Options options_;
  std::atomic<uint64_t> unauthenticated_{0};
  std::atomic<uint64_t> permission_denied_{0};
  std::atomic<uint64_t> rate_limited_{0};
  std::atomic<uint64_t> denials_not_logged_{0};
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> denied_by_rpc_;  // guarded by mu_
  Buckets buckets_;          // by subject; guarded by mu_
  Buckets peer_buckets_;     // failed authentications by address; guarded by mu_
  Bucket log_lines_;         // guarded by mu_
  uint64_t not_logged_since_line_ = 0;  // guarded by mu_
  // Clients send the same token on every call: its signature and JSON are
  // checked once, its expiry on every call.
  mutable std::mutex verified_mu_;
  absl::flat_hash_map<std::string, JwtClaims> verified_;  // guarded by verified_mu_
};

// Masks the personal data a dashboard may not see (email, phone) in place.
void MaskPersonalData(v1::CaseView& view);

// The reference data `actor` may read: user access entries (limits and
// locations) are a supervisor's, an auditor's or an admin's; anyone else
// sees only their own.
v1::ReferenceData ReferenceDataFor(const v1::ReferenceData& all, const workflows::Actor& actor);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_IDENTITY_H_
