// HttpServer: tripdeskd's HTTP listener, for dashboards and operators.
//
//   GET  /healthz, /readyz        liveness; readiness (store open, views caught up)
//   GET  /metrics                 Prometheus' text exposition (ServerMetrics)
//   GET  /, /assets/...           the dashboard, compiled in (dashboard_assets.h)
//   POST /api/session             sign in: {"token": "<bearer token>"} -> cookie + CSRF token
//   GET  /api/session             who is signed in; DELETE signs out
//   POST /api/v1/<pkg.Service>/<Method>    any tripdesk.v1 RPC, protobuf JSON in and out
//                                 (server streams as newline-delimited JSON)
//   POST /api/download/<pkg.Service>/<Method>   an export's bytes as a file
//   GET  /api/live[?case_id=]     server-sent events from CaseService.WatchCases
//
// Every /api call is made as the caller: a bearer token in the Authorization
// header, or a dashboard session's cookie plus its CSRF token in the
// X-CSRF-Token header. It runs on cpp-httplib's own thread pool, so a slow
// browser holds an HTTP thread, never a gRPC or store one. Plaintext is
// refused off loopback, as for gRPC.
#ifndef TRIPDESK_SERVICES_HTTP_SERVER_H_
#define TRIPDESK_SERVICES_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/identity.h"
#include "services/json_gateway.h"
#include "services/metrics.h"
#include "services/security.h"
#include "services/web_sessions.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace tripdesk::services {

struct HttpOptions {
  // host:port (port 0: any free one); empty: no HTTP listener. tripdeskd's
  // --http_listen defaults to 127.0.0.1:8080.
  std::string listen;
  // Live pages (server-sent event streams) open at once; past it, 503. Each
  // has two threads (its stream, its keep-alive connection).
  size_t max_live_pages = 64;
  // Threads for everything else (API calls, pages, scrapes).
  size_t threads = 16;
  // How long a dashboard session lasts (never past its token's expiry).
  absl::Duration session_lifetime = absl::Hours(12);
};

class HttpServer {
 public:
  struct Backends {
    ServerMetrics* metrics = nullptr;
    const JsonGateway* gateway = nullptr;
    Authenticator* auth = nullptr;
    // OK when the server is ready for traffic; otherwise why not.
    std::function<absl::Status()> ready;
  };

  // INVALID_ARGUMENT for plaintext off loopback (unless allowed) or a TLS
  // file that cannot be read; UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpOptions& options,
                                                           const SecurityOptions& security,
                                                           Backends backends);
  ~HttpServer();  // Stop()

  int port() const { return port_; }
  // Stops listening and ends the live streams; waits for the threads.
  void Stop();

 private:
  HttpServer() = default;
  void Route();
  void RouteOperator();   // /healthz, /readyz, /metrics
  void RouteDashboard();  // the page and its assets
  void RouteSessions();   // sign in, who, sign out
  void RouteApi();        // /api/v1, /api/download
  void RouteLive();       // /api/live

  // Who makes an /api request: a bearer token, or a signed-in session whose
  // state-changing requests carry its CSRF token from the same site.
  struct Caller {
    std::string token;
    std::string session;
  };
  absl::StatusOr<Caller> CallerOf(const httplib::Request& req, bool changes_state);
  // The RPC an /api/v1 or /api/download request names, to call as its
  // caller; nullopt, with the response saying why, when it cannot be.
  struct NamedCall {
    JsonCall call;
    const google::protobuf::MethodDescriptor* method;
  };
  std::optional<NamedCall> NamedCallOf(const httplib::Request& req, httplib::Response& res);

  HttpOptions options_;
  Backends backends_;
  bool tls_ = false;
  std::unique_ptr<httplib::Server> http_;
  WebSessions sessions_;
  std::atomic<size_t> live_pages_{0};
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  std::thread listener_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_HTTP_SERVER_H_
