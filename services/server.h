// TripdeskServer: the server's wiring. Opens the event store, registers the
// gRPC services with health checking and reflection, listens, and on
// Shutdown drains in-flight calls before closing the store.
//
// Start/Shutdown/Wait may be called from different threads; Shutdown is
// idempotent.
#ifndef TRIPDESK_SERVICES_SERVER_H_
#define TRIPDESK_SERVICES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "services/event_log_service.h"

namespace grpc {
class Server;
}

namespace tripdesk::services {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  eventstore::Options store;
  EventLogServiceOptions event_log;
  // How long Shutdown waits for in-flight calls before cancelling them.
  absl::Duration drain_timeout = absl::Seconds(10);
};

class TripdeskServer {
 public:
  static absl::StatusOr<std::unique_ptr<TripdeskServer>> Start(ServerOptions options);
  ~TripdeskServer();

  // The bound port (useful with a :0 listen address).
  int port() const { return port_; }
  // Stops accepting calls, drains in-flight ones, closes the store.
  void Shutdown();

 private:
  TripdeskServer() = default;

  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<EventLogService> event_log_;
  std::unique_ptr<grpc::Server> server_;
  absl::Duration drain_timeout_;
  int port_ = 0;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_SERVER_H_
