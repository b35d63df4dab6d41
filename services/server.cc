#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_format.h"

namespace tripdesk::services {

absl::StatusOr<std::unique_ptr<TripdeskServer>> TripdeskServer::Start(
    ServerOptions options) {
  std::unique_ptr<TripdeskServer> server(new TripdeskServer());
  server->drain_timeout_ = options.drain_timeout;
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::EventStore::Open(options.store);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  server->event_log_ =
      std::make_unique<EventLogService>(server->store_.get(), options.event_log);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.RegisterService(server->event_log_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrFormat(
        "cannot listen on '%s': the address is malformed or in use",
        options.listen));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  return server;
}

TripdeskServer::~TripdeskServer() { Shutdown(); }

void TripdeskServer::Shutdown() {
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    event_log_->StopSubscriptions();
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(drain_timeout_));
    server_->Wait();
    server_.reset();
  }
  event_log_.reset();
  store_.reset();  // drains the append queue, flushes, closes RocksDB
}

}  // namespace tripdesk::services
