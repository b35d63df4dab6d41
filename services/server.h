// TripdeskServer: the server's wiring. Opens the event store, registers the
// gRPC services with health checking and reflection, listens, and on
// Shutdown drains in-flight calls before closing the store.
//
// Start/Shutdown/Wait may be called from different threads; Shutdown is
// idempotent.
#ifndef TRIPDESK_SERVICES_SERVER_H_
#define TRIPDESK_SERVICES_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "projections/projection_runner.h"
#include "projections/queries.h"
#include "services/audit_service.h"
#include "services/case_service.h"
#include "services/clock.h"
#include "services/clock_service.h"
#include "services/timer_scheduler.h"
#include "services/command_runner.h"
#include "services/event_log_service.h"
#include "services/http_server.h"
#include "services/json_gateway.h"
#include "services/live_feed.h"
#include "services/metrics.h"
#include "services/identity.h"
#include "services/security.h"
#include "services/tree_heads.h"
#include "workflows/reference_data.h"

namespace grpc {
class Server;
}

namespace tripdesk::services {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  // The log lives in <data_dir>/log, the views in <data_dir>/views.
  std::string data_dir = "./data";
  eventstore::Options store;  // path is set from data_dir
  std::shared_ptr<const workflows::ReferenceData> reference;
  EventLogServiceOptions event_log;
  // How long the views wait to gather more of the log before applying it
  // when no reader is waiting (see ProjectionRunner).
  absl::Duration views_linger = absl::Milliseconds(10);
  // How long Shutdown waits for in-flight calls before cancelling them.
  absl::Duration drain_timeout = absl::Seconds(10);
  SecurityOptions security;
  // The log's Ed25519 signing key (PEM), outside the data directory. Empty:
  // on loopback, a development key made beside the data directory (see
  // DevelopmentSigningKeyPath); elsewhere the server refuses to start.
  std::string log_signing_key_file;
  // The latest signed tree head, checked at start-up; empty: beside the key.
  std::string tree_head_file;
  absl::Duration tree_head_interval = absl::Minutes(1);
  // Tests and demos only, loopback only: a business clock an admin sets and
  // advances (ClockService), starting at test_clock_start when given.
  bool enable_test_clock = false;
  std::optional<absl::Time> test_clock_start;
  TimerScheduler::Options timers;
  // The HTTP listener (dashboard, JSON API, /metrics); listen empty: none.
  HttpOptions http;
  LiveFeed::Options live;
  // /readyz fails while the views are further behind the log than this.
  absl::Duration ready_max_view_lag = absl::Seconds(5);
};

class TripdeskServer {
 public:
  static absl::StatusOr<std::unique_ptr<TripdeskServer>> Start(ServerOptions options);
  ~TripdeskServer();

  // The bound port (useful with a :0 listen address).
  int port() const { return port_; }
  // The bound HTTP port; 0 without an HTTP listener.
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  // Stops accepting calls, drains in-flight ones, closes the store.
  void Shutdown();

 private:
  TripdeskServer() = default;
  // The log's signer and its kept head, checked against the log.
  absl::Status StartTreeHeads(const ServerOptions& options);
  // /metrics' samplers, the JSON gateway and the HTTP listener.
  absl::Status StartHttp(const ServerOptions& options);

  // Built first, destroyed last: the store and the runner report into it.
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<Clock> clock_;
  TestClock* test_clock_ = nullptr;  // clock_, when it is one
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<TreeHeads> tree_heads_;
  std::shared_ptr<const workflows::ReferenceData> reference_;
  std::unique_ptr<projections::ViewStore> views_;
  std::unique_ptr<projections::ProjectionRunner> projections_;
  std::unique_ptr<projections::CaseQueries> queries_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<CommandRunner> commands_;
  std::unique_ptr<CaseService> cases_;
  std::unique_ptr<AuditService> audit_;
  std::unique_ptr<EventLogService> event_log_;
  std::unique_ptr<ClockService> clock_service_;
  std::unique_ptr<projections::TimerQueries> timers_;
  std::unique_ptr<projections::FleetQueries> fleet_;
  std::unique_ptr<TimerScheduler> scheduler_;
  std::unique_ptr<LiveFeed> live_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<JsonGateway> gateway_;
  std::unique_ptr<HttpServer> http_;
  absl::Duration drain_timeout_;
  int port_ = 0;
  // Reports whether writes are possible as the health of CaseService.
  std::thread health_watch_;
  std::mutex health_mu_;
  std::condition_variable health_cv_;
  bool stopping_ = false;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_SERVER_H_
