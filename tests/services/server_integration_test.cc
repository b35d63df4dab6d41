// Starts the real tripdeskd on a loopback port and talks to it as any gRPC
// client would.
#include <sys/wait.h>

#include <set>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk {
namespace {

// The log is read by auditors, supervisors and admins; raw appends by admins.
void AsAdmin(const testing::ServerProcess& server, grpc::ClientContext& context) {
  server.Authorize(context, "ops", "admin");
}

using ::testing::Contains;
using ::testing::HasSubstr;

class ServerIntegrationTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {"--enable_raw_append"}) {
    server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("data"), flags);
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr) << "tripdeskd did not start on " << server_->address();
    log_ = v1::EventLog::NewStub(channel_);
  }

  grpc::Status Append(const std::string& stream, int events,
                      const std::string& command_id, v1::AppendOutcome* out) {
    v1::AppendRequest request;
    request.set_command_id(command_id);
    v1::AppendStream* s = request.add_streams();
    s->set_stream(stream);
    s->mutable_expected_revision()->mutable_any();
    for (int i = 0; i < events; ++i) {
      v1::AppendEvent* e = s->add_events();
      e->set_event_type("Noted");
      e->set_payload(absl::StrCat("note ", i));
    }
    grpc::ClientContext context;
    AsAdmin(*server_, context);
    return log_->Append(&context, request, out);
  }

  uint64_t LastPosition() { return server_->LastPosition(channel_); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EventLog::Stub> log_;
};

TEST_F(ServerIntegrationTest, ServesHealthAndReflection) {
  Start();
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckResponse status;
  grpc::ClientContext health_context;
  ASSERT_TRUE(health->Check(&health_context, {}, &status).ok());
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext reflection_context;
  auto stream = reflection->ServerReflectionInfo(&reflection_context);
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  grpc::reflection::v1alpha::ServerReflectionResponse services;
  ASSERT_TRUE(stream->Read(&services));
  std::set<std::string> names;
  for (const auto& s : services.list_services_response().service()) names.insert(s.name());
  EXPECT_THAT(names, Contains("tripdesk.v1.EventLog"));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));

  grpc::reflection::v1alpha::ServerReflectionRequest file;
  file.set_file_containing_symbol("tripdesk.v1.EventLog");
  ASSERT_TRUE(stream->Write(file));
  grpc::reflection::v1alpha::ServerReflectionResponse descriptor;
  ASSERT_TRUE(stream->Read(&descriptor));
  EXPECT_GT(descriptor.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServerIntegrationTest, ReadsTheLogThroughTheReadApi) {
  Start();
  v1::AppendOutcome outcome;
  ASSERT_TRUE(Append("test-1", 3, "cmd-1", &outcome).ok());
  ASSERT_TRUE(Append("test-2", 2, "cmd-2", &outcome).ok());
  EXPECT_EQ(outcome.first_position(), 4u);

  v1::ReadStreamRequest read;
  read.set_stream("test-1");
  read.set_from_revision(1);
  v1::ReadStreamResponse page;
  grpc::ClientContext c1;
  AsAdmin(*server_, c1);
  ASSERT_TRUE(log_->ReadStream(&c1, read, &page).ok());
  ASSERT_EQ(page.records_size(), 2);
  EXPECT_EQ(page.records(0).revision(), 1u);
  EXPECT_EQ(page.records(0).payload(), "note 1");
  EXPECT_EQ(page.records(0).command_id(), "cmd-1");
  EXPECT_EQ(page.records(1).hash().size(), 32u);
  EXPECT_EQ(page.last_revision(), 2u);
  EXPECT_TRUE(page.end_of_stream());

  v1::GetStreamHeadRequest head_request;
  head_request.set_stream("test-2");
  v1::StreamHead head;
  grpc::ClientContext c2;
  AsAdmin(*server_, c2);
  ASSERT_TRUE(log_->GetStreamHead(&c2, head_request, &head).ok());
  EXPECT_EQ(head.revision(), 1u);
  EXPECT_EQ(head.position(), 5u);

  v1::ReadAllRequest all;
  all.set_from_position(2);
  all.set_limit(10);
  v1::ReadAllResponse log_page;
  grpc::ClientContext c3;
  AsAdmin(*server_, c3);
  ASSERT_TRUE(log_->ReadAll(&c3, all, &log_page).ok());
  ASSERT_EQ(log_page.records_size(), 4);
  EXPECT_EQ(log_page.records(0).position(), 2u);
  EXPECT_EQ(log_page.last_position(), 5u);

  // A retried command id returns the first outcome and writes nothing.
  v1::AppendOutcome retry;
  ASSERT_TRUE(Append("test-1", 3, "cmd-1", &retry).ok());
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.first_position(), 1u);
  EXPECT_EQ(LastPosition(), 5u);
}

TEST_F(ServerIntegrationTest, SubscribeDeliversStoredThenLiveRecordsInOrder) {
  Start();
  v1::AppendOutcome outcome;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Append(absl::StrCat("test-", i), 2, "", &outcome).ok());
  }
  grpc::ClientContext context;
  AsAdmin(*server_, context);
  v1::SubscribeRequest request;
  request.set_from_position(3);
  auto reader = log_->Subscribe(&context, request);
  std::thread writer([&] {
    v1::AppendOutcome live;
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(Append(absl::StrCat("test-live-", i % 3), 1, "", &live).ok());
    }
  });
  v1::RecordEnvelope record;
  for (uint64_t expected = 3; expected <= 30; ++expected) {
    ASSERT_TRUE(reader->Read(&record)) << "stream ended before position " << expected;
    ASSERT_EQ(record.position(), expected);
  }
  writer.join();
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ServerIntegrationTest, BadInputGetsAClearErrorAndWritesNothing) {
  Start();
  v1::AppendOutcome outcome;
  ASSERT_TRUE(Append("test-1", 1, "", &outcome).ok());

  v1::AppendOutcome ignored;
  grpc::Status empty = Append("", 1, "", &ignored);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("streams[0].stream"));
  EXPECT_EQ(Append(std::string(300, 'x'), 1, "", &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status case_stream = Append("case-C1", 1, "", &ignored);
  EXPECT_EQ(case_stream.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(case_stream.error_message(), HasSubstr("workflow commands only"));

  v1::AppendRequest no_form;
  v1::AppendStream* s = no_form.add_streams();
  s->set_stream("test-1");
  s->add_events()->set_event_type("Noted");
  grpc::ClientContext c1;
  AsAdmin(*server_, c1);
  grpc::Status unknown_form = log_->Append(&c1, no_form, &ignored);
  EXPECT_EQ(unknown_form.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown_form.error_message(), HasSubstr("expected_revision"));

  v1::ReadAllRequest past;
  past.set_from_position(1000);
  v1::ReadAllResponse none;
  grpc::ClientContext c2;
  AsAdmin(*server_, c2);
  ASSERT_TRUE(log_->ReadAll(&c2, past, &none).ok());
  EXPECT_EQ(none.records_size(), 0);
  EXPECT_EQ(none.last_position(), 1u);

  v1::ReadAllRequest huge;
  huge.set_limit(100000);
  grpc::ClientContext c3;
  AsAdmin(*server_, c3);
  EXPECT_EQ(log_->ReadAll(&c3, huge, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::ReadStreamRequest unknown;
  unknown.set_stream("test-nope");
  v1::ReadStreamResponse nothing;
  grpc::ClientContext c4;
  AsAdmin(*server_, c4);
  EXPECT_EQ(log_->ReadStream(&c4, unknown, &nothing).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::SubscribeRequest future;
  future.set_from_position(50);
  grpc::ClientContext c5;
  AsAdmin(*server_, c5);
  auto reader = log_->Subscribe(&c5, future);
  v1::RecordEnvelope record;
  EXPECT_FALSE(reader->Read(&record));
  grpc::Status refused = reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(refused.error_message(), HasSubstr("at most 2"));

  EXPECT_EQ(LastPosition(), 1u);
}

TEST_F(ServerIntegrationTest, TheLogIsReadOnlyByAuditorsSupervisorsAndAdmins) {
  Start();
  v1::ReadAllResponse page;
  grpc::ClientContext anonymous;
  EXPECT_EQ(log_->ReadAll(&anonymous, {}, &page).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext agent;
  server_->Authorize(agent, "alice", "agent");
  EXPECT_EQ(log_->ReadAll(&agent, {}, &page).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext auditor;
  server_->Authorize(auditor, "ann", "auditor");
  EXPECT_TRUE(log_->ReadAll(&auditor, {}, &page).ok());
  v1::AppendOutcome outcome;
  grpc::ClientContext auditor_append;
  server_->Authorize(auditor_append, "ann", "auditor");
  v1::AppendRequest request;
  EXPECT_EQ(log_->Append(&auditor_append, request, &outcome).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerIntegrationTest, RawAppendIsRefusedUnlessEnabled) {
  Start({});
  v1::AppendOutcome outcome;
  grpc::Status refused = Append("test-1", 1, "", &outcome);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("--enable_raw_append"));
  EXPECT_EQ(LastPosition(), 0u);
}

TEST_F(ServerIntegrationTest, SigtermDrainsAndExitsCleanlyKeepingTheData) {
  Start();
  v1::AppendOutcome outcome;
  ASSERT_TRUE(Append("test-1", 4, "cmd-1", &outcome).ok());
  // A live subscriber must not hold up the shutdown.
  grpc::ClientContext context;
  AsAdmin(*server_, context);
  v1::SubscribeRequest request;
  auto reader = log_->Subscribe(&context, request);
  v1::RecordEnvelope record;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(reader->Read(&record));

  EXPECT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  EXPECT_THAT(server_->Log(), ::testing::HasSubstr("stopped cleanly"));
  EXPECT_FALSE(reader->Read(&record));

  Start();
  EXPECT_EQ(LastPosition(), 4u);
}

TEST_F(ServerIntegrationTest, RefusesToStartOnADirectoryInUse) {
  Start();
  testing::ServerProcess second(dir_.Sub("data"));
  EXPECT_EQ(testing::DescribeExit(second.Wait()), "exited 1");
  EXPECT_THAT(second.Log(), ::testing::HasSubstr("cannot start"));
}

}  // namespace
}  // namespace tripdesk
