// EventLogService: the tripdesk.v1.EventLog gRPC service, reads of the log
// for internal clients and auditors, plus a test-only raw append.
//
// Thread-safe; handlers adapt protos to the EventStore and back.
#ifndef TRIPDESK_SERVICES_EVENT_LOG_SERVICE_H_
#define TRIPDESK_SERVICES_EVENT_LOG_SERVICE_H_

#include <memory>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "services/identity.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk::services {

struct EventLogServiceOptions {
  // Tests only: accept EventLog.Append.
  bool enable_raw_append = false;
};

class SubscribeReactor;

class EventLogService final : public v1::EventLog::CallbackService {
 public:
  EventLogService(eventstore::EventStore* store, EventLogServiceOptions options,
                  Authenticator* auth);
  ~EventLogService() override;

  // Ends every live subscription with UNAVAILABLE and refuses new ones, so a
  // shutdown need not wait for streams that never end on their own.
  void StopSubscriptions();

  grpc::ServerUnaryReactor* ReadStream(grpc::CallbackServerContext* context,
                                       const v1::ReadStreamRequest* request,
                                       v1::ReadStreamResponse* response) override;
  grpc::ServerUnaryReactor* GetStreamHead(
      grpc::CallbackServerContext* context,
      const v1::GetStreamHeadRequest* request,
      v1::StreamHead* response) override;
  grpc::ServerUnaryReactor* ReadAll(grpc::CallbackServerContext* context,
                                    const v1::ReadAllRequest* request,
                                    v1::ReadAllResponse* response) override;
  grpc::ServerWriteReactor<v1::RecordEnvelope>* Subscribe(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const v1::AppendRequest* request,
                                   v1::AppendOutcome* response) override;

 private:
  eventstore::EventStore* store_;
  EventLogServiceOptions options_;
  Authenticator* auth_;
  // Ends subscriptions whose token has expired, even while no record comes.
  void ExpireLoop();

  std::mutex subscribers_mu_;
  std::condition_variable expire_cv_;
  std::vector<std::weak_ptr<SubscribeReactor>> subscribers_;
  bool stopping_ = false;
  std::thread expirer_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_EVENT_LOG_SERVICE_H_
