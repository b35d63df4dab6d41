// The one gRPC client of the service tests: stubs for every service of a
// test server, a context per call as a given caller (a signed token of the
// server's development key, a deadline), and the case calls every test
// makes. Tests keep their own helpers only for what they assert.
#ifndef TRIPDESK_TESTS_TESTING_GRPC_CLIENT_H_
#define TRIPDESK_TESTS_TESTING_GRPC_CLIENT_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tripdesk/v1/audit.grpc.pb.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk::testing {

// Who makes a call: an actor id and role (no id: an anonymous call), and for
// an RV counter the location the token grants.
struct Caller {
  std::string id;
  std::string role;
  std::string location = "";
};

class TestClient {
 public:
  TestClient(ServerProcess& server, std::shared_ptr<grpc::Channel> channel,
             std::chrono::seconds deadline = std::chrono::seconds(20))
      : server_(&server),
        channel_(std::move(channel)),
        deadline_(deadline),
        cases_(v1::CaseService::NewStub(channel_)),
        log_(v1::EventLog::NewStub(channel_)),
        audit_(v1::AuditService::NewStub(channel_)) {}

  // Sets `context` up for a call as `who`.
  void Identify(grpc::ClientContext& context, const Caller& who) const {
    if (!who.id.empty()) server_->Authorize(context, who.id, who.role, who.location);
    context.set_deadline(std::chrono::system_clock::now() + deadline_);
  }

  // A unary call of any service as `who`, e.g.
  //   client.Call(who, &v1::CaseService::Stub::GetCase, client.cases(), request, &view).
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(const Caller& who,
                    grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                    Stub& stub, const Request& request, Response* response) const {
    grpc::ClientContext context;
    Identify(context, who);
    return (stub.*rpc)(&context, request, response);
  }

  grpc::Status Open(const Caller& who, const std::string& case_id, v1::CaseCommand command,
                    v1::CommandReply* reply, const std::string& command_id = "") const {
    v1::OpenCaseRequest request;
    request.set_case_id(case_id);
    request.set_command_id(command_id);
    *request.mutable_command() = std::move(command);
    return Call(who, &v1::CaseService::Stub::OpenCase, *cases_, request, reply);
  }

  grpc::Status Submit(const Caller& who, const std::string& case_id, v1::CaseCommand command,
                      v1::CommandReply* reply, const std::string& command_id = "",
                      std::optional<uint64_t> expected_revision = std::nullopt) const {
    v1::SubmitCommandRequest request;
    request.set_case_id(case_id);
    request.set_command_id(command_id);
    if (expected_revision.has_value()) request.set_expected_revision(*expected_revision);
    *request.mutable_command() = std::move(command);
    return Call(who, &v1::CaseService::Stub::SubmitCommand, *cases_, request, reply);
  }

  // The last durable position of the log (read as an auditor).
  uint64_t LastPosition() const { return server_->LastPosition(channel_); }

  // The event types of a stream's first 100 records, read as an auditor.
  std::vector<std::string> StreamTypes(const std::string& stream) const {
    v1::ReadStreamRequest request;
    request.set_stream(stream);
    request.set_limit(100);
    v1::ReadStreamResponse response;
    EXPECT_TRUE(Call({"ann", "auditor"}, &v1::EventLog::Stub::ReadStream, *log_, request, &response).ok());
    std::vector<std::string> types;
    for (const auto& record : response.records()) types.push_back(record.event_type());
    return types;
  }

  v1::CaseService::Stub& cases() const { return *cases_; }
  v1::EventLog::Stub& log() const { return *log_; }
  v1::AuditService::Stub& audit() const { return *audit_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  ServerProcess* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::chrono::seconds deadline_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::EventLog::Stub> log_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_GRPC_CLIENT_H_
