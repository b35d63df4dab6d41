// What OK means, against the real tripdeskd under the powerloss shim
// (tests/tools/powerloss): a record written but not yet fsync'd is seen by no
// reader and acknowledged to no one; a failed fsync refuses its batch and
// every append after it until a restart, while reads go on. Power cuts
// under load are tests/tools/power_loss.sh.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk {
namespace {

using ::testing::HasSubstr;

class DurabilityTest : public ::testing::Test {
 protected:
  // Under the shim, with `env` (POWERLOSS_...=...).
  void Start(std::vector<std::string> env) {
    env.push_back(absl::StrCat("LD_PRELOAD=", TRIPDESK_POWERLOSS_SHIM));
    // In a sanitized build the shim is loaded before ASan's runtime.
    env.push_back("ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1");
    env.push_back("POWERLOSS_DIR=" + dir_.Sub("data"));
    env.push_back("POWERLOSS_JOURNAL=" + dir_.Sub("journal"));
    std::filesystem::create_directories(dir_.Sub("data"));
    server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("data"), std::vector<std::string>{},
                                                       env);
    Connect();
  }
  void StartPlain() {
    server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("data"));
    Connect();
  }
  void Connect() {
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr) << server_->Log();
    cases_ = v1::CaseService::NewStub(channel_);
    log_ = v1::EventLog::NewStub(channel_);
  }

  void As(grpc::ClientContext& context, const std::string& subject, const std::string& role,
          absl::Duration deadline = absl::Seconds(20)) {
    server_->Authorize(context, subject, role);
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }

  grpc::Status Submit(const std::string& case_id, commands::CarCommand command,
                      const std::string& command_id, v1::CommandReply* reply) {
    v1::SubmitCommandRequest request;
    request.set_case_id(case_id);
    request.set_command_id(command_id);
    *request.mutable_command() = commands::AsCaseCommand(std::move(command));
    grpc::ClientContext context;
    As(context, "alice", "agent");
    return cases_->SubmitCommand(&context, request, reply);
  }

  grpc::Status Open(const std::string& case_id, v1::CommandReply* reply) {
    v1::OpenCaseRequest request;
    request.set_case_id(case_id);
    *request.mutable_command() = commands::AsCaseCommand(commands::Request(pick_, drop_));
    grpc::ClientContext context;
    As(context, "alice", "agent");
    return cases_->OpenCase(&context, request, reply);
  }

  uint64_t LastPosition() { return server_->LastPosition(channel_); }

  grpc::health::v1::HealthCheckResponse::ServingStatus CommandHealth() {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("tripdesk.v1.CaseService");
    grpc::health::v1::HealthCheckResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    EXPECT_TRUE(grpc::health::v1::Health::NewStub(channel_)->Check(&context, request, &response).ok());
    return response.status();
  }

  const absl::Time pick_ = absl::Now() + absl::Hours(24 * 7);
  const absl::Time drop_ = pick_ + absl::Hours(72);
  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::EventLog::Stub> log_;
};

TEST_F(DurabilityTest, ARecordWrittenButNotYetSyncedIsSeenByNoReaderAndAcknowledgedToNoOne) {
  const std::string gate = dir_.Sub("gate");
  Start({"POWERLOSS_SYNC_GATE=" + gate});
  v1::CommandReply opened;
  ASSERT_TRUE(Open("D1", &opened).ok());
  ASSERT_EQ(LastPosition(), 1u);

  std::ofstream(gate) << "held";  // fsyncs wait from now on
  v1::CommandReply identified;
  std::future<grpc::Status> pending = std::async(std::launch::async, [&] {
    return Submit("D1", commands::Identify(pick_, drop_), "identify-1", &identified);
  });
  // Long enough for the writer to have put the record in the WAL.
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout)
      << "acknowledged before its fsync";
  std::string wal;
  for (const auto& file : std::filesystem::directory_iterator(dir_.Sub("data") + "/log")) {
    if (file.path().extension() == ".log") wal += testing::ReadWholeFile(file.path().string());
  }
  EXPECT_THAT(wal, HasSubstr("identify-1")) << "the record is in the log's WAL, not yet synced";

  EXPECT_EQ(LastPosition(), 1u);
  {
    v1::ReadStreamRequest request;
    request.set_stream("case-D1");
    v1::ReadStreamResponse stream;
    grpc::ClientContext context;
    As(context, "ann", "auditor");
    ASSERT_TRUE(log_->ReadStream(&context, request, &stream).ok());
    EXPECT_EQ(stream.records_size(), 1);
    EXPECT_EQ(stream.last_revision(), 0u);
  }
  {
    v1::SubscribeRequest request;
    request.set_from_position(2);
    grpc::ClientContext context;
    As(context, "ann", "auditor", absl::Milliseconds(300));
    auto reader = log_->Subscribe(&context, request);
    v1::RecordEnvelope record;
    EXPECT_FALSE(reader->Read(&record)) << "a subscriber saw position " << record.position();
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    v1::GetCaseRequest request;
    request.set_case_id("D1");
    request.set_min_position(2);
    grpc::ClientContext context;
    As(context, "ann", "auditor", absl::Milliseconds(300));
    v1::CaseView view;
    EXPECT_EQ(cases_->GetCase(&context, request, &view).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    // A retry of the same command must wait for the first, not answer it.
    v1::CommandReply retry;
    std::future<grpc::Status> again = std::async(std::launch::async, [&] {
      return Submit("D1", commands::Identify(pick_, drop_), "identify-1", &retry);
    });
    EXPECT_EQ(again.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
    std::filesystem::remove(gate);
    ASSERT_TRUE(again.get().ok());
    EXPECT_TRUE(retry.duplicate());
  }
  ASSERT_TRUE(pending.get().ok());
  EXPECT_EQ(identified.last_position(), 2u);
  EXPECT_EQ(LastPosition(), 2u);
}

TEST_F(DurabilityTest, AFailedFsyncRefusesItsBatchAndEveryLaterAppendUntilARestart) {
  const std::string trigger = dir_.Sub("fail-next-sync");
  Start({"POWERLOSS_FAIL_SYNC_TRIGGER=" + trigger});
  v1::CommandReply reply;
  ASSERT_TRUE(Open("F1", &reply).ok());
  ASSERT_TRUE(Submit("F1", commands::Identify(pick_, drop_), "f-identify", &reply).ok());
  EXPECT_EQ(CommandHealth(), grpc::health::v1::HealthCheckResponse::SERVING);

  std::ofstream(trigger) << "once";  // the next fsync of the WAL fails, once
  const grpc::Status failed = Submit("F1", commands::IlCheck(false), "f-il", &reply);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(failed.error_message(), HasSubstr("could not be synced"));
  EXPECT_FALSE(std::filesystem::exists(trigger)) << "the shim failed exactly one fsync";
  // fsync would work again; the store does not trust a WAL it could not sync.
  v1::CommandReply later;
  const grpc::Status refused = Submit("F1", commands::IlCheck(false), "f-il-2", &later);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("restart tripdeskd"));
  v1::CommandReply other;
  EXPECT_EQ(Open("F2", &other).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Reads go on, and say the writes stopped.
  EXPECT_EQ(LastPosition(), 2u);
  for (int i = 0; i < 40 && CommandHealth() == grpc::health::v1::HealthCheckResponse::SERVING; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(CommandHealth(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  // After a restart the WAL is replayed: the refused append may or may not
  // be there (it was written, not synced); a retry with its id settles it,
  // exactly once.
  server_.reset();
  StartPlain();
  ASSERT_TRUE(Submit("F1", commands::IlCheck(false), "f-il", &reply).ok());
  EXPECT_EQ(reply.view().state(), "AWAITING_TECH_SPOC");
  EXPECT_EQ(LastPosition(), 3u) << "the IL check is in the log once";
  ASSERT_TRUE(Open("F2", &other).ok());
}

}  // namespace
}  // namespace tripdesk
