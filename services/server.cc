#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "projections/case_projection.h"
#include "projections/fleet_projection.h"
#include "projections/timer_projection.h"
#include "projections/tracker_projection.h"
#include "projections/unit_rental_projection.h"
#include "services/server_samplers.h"

namespace tripdesk::services {
namespace {

constexpr int kMaxMetadataBytes = 64 << 10;

}  // namespace

absl::StatusOr<std::unique_ptr<TripdeskServer>> TripdeskServer::Start(
    ServerOptions options) {
  if (options.reference == nullptr) {
    return absl::InvalidArgumentError("no reference data given to the server");
  }
  // Credentials first: a misconfigured server should fail before it
  // touches the data directory.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(options.security, options.listen);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<TripdeskServer> server(new TripdeskServer());
  server->metrics_ = std::make_unique<ServerMetrics>();
  server->drain_timeout_ = options.drain_timeout;
  server->reference_ = options.reference;
  if (options.enable_test_clock || options.test_clock_start.has_value()) {
    if (!IsLoopback(options.listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--enable_test_clock fakes the time decisions are made at: loopback only, not ",
          options.listen));
    }
    auto test_clock = std::make_unique<TestClock>(options.test_clock_start.value_or(absl::Now()));
    server->test_clock_ = test_clock.get();
    server->clock_ = std::move(test_clock);
  } else {
    server->clock_ = std::make_unique<SystemClock>();
  }
  const Clock* clock = server->clock_.get();
  options.store.clock = [clock] { return clock->Now(); };
  options.store.path = options.data_dir + "/log";
  options.store.observer = server->metrics_.get();
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::EventStore::Open(options.store);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);

  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  std::vector<std::unique_ptr<projections::Projection>> views;
  views.push_back(std::make_unique<projections::CaseProjection>(registry));
  views.push_back(std::make_unique<projections::TrackerProjection>());
  views.push_back(std::make_unique<projections::UnitRentalProjection>());
  views.push_back(std::make_unique<projections::TimerProjection>());
  views.push_back(std::make_unique<projections::FleetProjection>());
  absl::StatusOr<std::unique_ptr<projections::ViewStore>> view_store =
      projections::ViewStore::Open(options.data_dir + "/views",
                                   projections::ProjectionRunner::Families(views));
  if (!view_store.ok()) return view_store.status();
  server->views_ = *std::move(view_store);
  server->live_ = std::make_unique<LiveFeed>(options.live);
  server->projections_ = std::make_unique<projections::ProjectionRunner>(
      server->store_.get(), server->views_.get(), std::move(views), options.views_linger);
  server->projections_->ObservePages(
      [live = server->live_.get()](const std::vector<eventstore::Record>& page) { live->Offer(page); });
  if (absl::Status s = server->projections_->Start(); !s.ok()) return s;
  projections::ProjectionRunner* runner = server->projections_.get();
  server->queries_ = std::make_unique<projections::CaseQueries>(
      server->views_.get(), registry,
      [runner](absl::string_view base) { return runner->ServingFamily(base); });
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      VerifierFor(options.security, options.listen, options.data_dir);
  if (!verifier.ok()) return verifier.status();
  if (absl::Status s = server->StartTreeHeads(options); !s.ok()) return s;
  Authenticator::Options auth;
  auth.verifier = *std::move(verifier);
  auth.calls_per_second = options.security.calls_per_second;
  auth.burst = options.security.burst;
  auth.unauthenticated_per_second = options.security.unauthenticated_per_second;
  auth.unauthenticated_burst = 2 * options.security.unauthenticated_per_second;
  auth.denial_log_lines_per_second = options.security.denial_log_lines_per_second;
  server->auth_ = std::make_unique<Authenticator>(std::move(auth));
  server->commands_ = std::make_unique<CommandRunner>(server->store_.get(), registry,
                                                      server->reference_, 10000, clock);
  server->commands_->ObserveDecisions(server->metrics_.get());
  server->timers_ = std::make_unique<projections::TimerQueries>(
      server->views_.get(), [runner](absl::string_view base) { return runner->ServingFamily(base); });
  server->fleet_ = std::make_unique<projections::FleetQueries>(
      server->views_.get(), [runner](absl::string_view base) { return runner->ServingFamily(base); });
  server->cases_ = std::make_unique<CaseService>(server->commands_.get(), server->queries_.get(),
                                                 server->timers_.get(), server->fleet_.get(),
                                                 server->projections_.get(), registry,
                                                 server->reference_, server->auth_.get(),
                                                 server->live_.get(), server->metrics_.get());
  server->audit_ = std::make_unique<AuditService>(server->store_.get(), registry,
                                                  server->queries_.get(), server->projections_.get(),
                                                  server->auth_.get(), server->tree_heads_.get());
  server->event_log_ =
      std::make_unique<EventLogService>(server->store_.get(), options.event_log,
                                        server->auth_.get());
  server->clock_service_ = std::make_unique<ClockService>(server->clock_.get(), server->test_clock_,
                                                          server->auth_.get());
  server->scheduler_ = std::make_unique<TimerScheduler>(
      server->commands_.get(), server->clock_.get(), server->timers_.get(), options.timers);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this a second server on the same port would silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.security.max_message_bytes);
  // gRPC's own limit on request metadata is 8 KiB: a bearer token just over
  // it would be refused by the transport, unlogged and uncounted, instead of
  // by the token check (UNAUTHENTICATED, "longer than 8 KiB").
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, kMaxMetadataBytes);
  builder.SetMaxSendMessageSize(options.security.max_message_bytes);
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.RegisterService(server->event_log_.get());
  builder.RegisterService(server->cases_.get());
  builder.RegisterService(server->audit_.get());
  builder.RegisterService(server->clock_service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrFormat(
        "cannot listen on '%s': the address is malformed or in use",
        options.listen));
  }
  server->scheduler_->Start();
  if (absl::Status s = server->StartHttp(options); !s.ok()) return s;
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  server->server_->GetHealthCheckService()->SetServingStatus("tripdesk.v1.CaseService", true);
  // The server as a whole serves while reads work; CaseService (commands)
  // reports NOT_SERVING while the log cannot be written, e.g. a full disk.
  TripdeskServer* raw = server.get();
  server->health_watch_ = std::thread([raw] {
    bool writable = true;
    std::unique_lock<std::mutex> lock(raw->health_mu_);
    while (!raw->stopping_) {
      const bool now_writable = raw->store_->WriteHealth().ok();
      if (now_writable != writable) {
        raw->server_->GetHealthCheckService()->SetServingStatus("tripdesk.v1.CaseService",
                                                                now_writable);
        writable = now_writable;
      }
      raw->health_cv_.wait_for(lock, std::chrono::milliseconds(250));
    }
  });
  return server;
}

TripdeskServer::~TripdeskServer() { Shutdown(); }

void TripdeskServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    stopping_ = true;
  }
  health_cv_.notify_all();
  if (health_watch_.joinable()) health_watch_.join();
  // Live pages end first: their streams run through the gRPC server.
  if (live_ != nullptr) live_->Stop();
  if (http_ != nullptr) http_->Stop();
  http_.reset();
  gateway_.reset();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    event_log_->StopSubscriptions();
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(drain_timeout_));
    server_->Wait();
    server_.reset();
  }
  scheduler_.reset();  // waits for its firings in flight
  if (audit_ != nullptr) audit_->Stop();  // producers read the store: stop them first
  audit_.reset();
  cases_.reset();
  event_log_.reset();
  clock_service_.reset();
  timers_.reset();
  if (projections_ != nullptr) projections_->Stop();
  commands_.reset();
  queries_.reset();
  projections_.reset();
  live_.reset();  // the runner offered it pages until it stopped
  views_.reset();
  tree_heads_.reset();
  store_.reset();  // drains the append queue, flushes, closes RocksDB
}

absl::Status TripdeskServer::StartHttp(const ServerOptions& options) {
  AddServerSamplers(*metrics_, {store_.get(), projections_.get(), auth_.get(), timers_.get(),
                                scheduler_.get(), live_.get(), clock_.get(), options.data_dir});
  if (options.http.listen.empty()) return absl::OkStatus();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.security.max_message_bytes);
  args.SetMaxSendMessageSize(options.security.max_message_bytes);
  gateway_ = std::make_unique<JsonGateway>(server_->InProcessChannel(args));
  HttpServer::Backends backends;
  backends.metrics = metrics_.get();
  backends.gateway = gateway_.get();
  backends.auth = auth_.get();
  backends.ready = [this, max_lag = options.ready_max_view_lag] {
    return Readiness(*store_, *projections_, max_lag, clock_->Now());
  };
  absl::StatusOr<std::unique_ptr<HttpServer>> http =
      HttpServer::Start(options.http, options.security, std::move(backends));
  if (!http.ok()) return http.status();
  http_ = *std::move(http);
  return absl::OkStatus();
}

absl::Status TripdeskServer::StartTreeHeads(const ServerOptions& options) {
  std::string key_path = options.log_signing_key_file;
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer;
  if (key_path.empty()) {
    if (!IsLoopback(options.listen)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "serving on ", options.listen,
          " needs the log's signing key outside the data directory: make one with openssl "
          "genpkey -algorithm ed25519 -out /etc/tripdesk/log-signing.pem and pass "
          "--log_signing_key_file=/etc/tripdesk/log-signing.pem"));
    }
    key_path = DevelopmentSigningKeyPath(options.data_dir);
    signer = TreeHeadSigner::LoadOrCreate(key_path);
  } else {
    signer = TreeHeadSigner::Load(key_path);
  }
  if (!signer.ok()) return signer.status();
  const std::string head_file =
      options.tree_head_file.empty() ? key_path + ".head" : options.tree_head_file;
  tree_heads_ = std::make_unique<TreeHeads>(store_.get(), *std::move(signer), head_file);
  if (absl::Status s = tree_heads_->CheckAtStartUp(); !s.ok()) return s;
  tree_heads_->Start(options.tree_head_interval);
  return absl::OkStatus();
}

}  // namespace tripdesk::services
