// Timers through the real server: the scheduler fires a due SLA timer once,
// as the system actor, when the test clock passes it; a server killed
// (SIGKILL) before a timer's due time fires it late, once, when it starts
// past it, with late_by recorded; a server killed right after a firing does
// not fire it again; and the test clock is an admin's, on loopback only.
#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/grpc_client.h"
#include "tests/testing/reference.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tools/commands/car_booking.h"
#include "tripdesk/v1/audit.grpc.pb.h"
#include "tripdesk/v1/clock.grpc.pb.h"

namespace tripdesk {
namespace {

using ::testing::HasSubstr;

// Friday 2027-03-12 19:30 in New York: the first response's warning is due
// on Monday at 08:15 EDT (12:15Z), its breach at 08:30 (12:30Z).
constexpr char kFridayEvening[] = "2027-03-13T00:30:00Z";
constexpr char kWarning[] = "T1/sla.first_response.warning/2";
// Scheduled when the warning fires (revisions 5 to 7).
constexpr char kBreach[] = "T1/sla.first_response.breach/7";

class TimersTest : public ::testing::Test {
 protected:
  void Start(const std::string& clock_start) {
    server_ = std::make_unique<testing::ServerProcess>(
        data_, std::vector<std::string>{testing::ReferenceDataFlag(true), "--enable_test_clock",
                                        "--test_clock_start=" + std::string(clock_start)});
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr) << server_->Log();
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
    clock_ = v1::ClockService::NewStub(channel_);
  }
  // SIGKILL: nothing flushed, nothing drained.
  void Kill() {
    client_.reset();
    clock_.reset();
    channel_.reset();
    server_.reset();
  }

  void Open() {
    v1::CommandReply reply;
    const absl::Time pick = absl::FromCivil(absl::CivilHour(2027, 4, 20, 15), absl::UTCTimeZone());
    ASSERT_TRUE(client_->Open({"alice", "agent"}, "T1",
                              commands::AsCaseCommand(commands::Request(pick, pick + absl::Hours(72))),
                              &reply)
                    .ok());
  }

  grpc::Status Advance(absl::Duration by, const std::string& role = "admin") {
    v1::AdvanceTestClockRequest request;
    request.mutable_by()->set_seconds(absl::ToInt64Seconds(by));
    v1::ServerTime time;
    return client_->Call({"ada", role}, &v1::ClockService::Stub::AdvanceTestClock, *clock_, request,
                         &time);
  }

  std::vector<v1::HistoryEntry> History() {
    grpc::ClientContext context;
    client_->Identify(context, {"ann", "auditor"});
    v1::GetCaseHistoryRequest request;
    request.set_case_id("T1");
    auto reader = client_->audit().GetCaseHistory(&context, request);
    std::vector<v1::HistoryEntry> entries;
    v1::HistoryEntry entry;
    while (reader->Read(&entry)) entries.push_back(entry);
    EXPECT_TRUE(reader->Finish().ok());
    return entries;
  }

  // The DeadlineReached records of `timer_id`.
  std::vector<v1::DeadlineReached> Fired(const std::string& timer_id) {
    std::vector<v1::DeadlineReached> out;
    for (const v1::HistoryEntry& e : History()) {
      if (e.event().common().deadline_reached().timer_id() == timer_id) {
        out.push_back(e.event().common().deadline_reached());
        EXPECT_EQ(e.envelope().actor_role(), "system");
      }
    }
    return out;
  }

  // Waits (up to 15 s) until `timer_id` fired `times` times.
  bool FiredTimes(const std::string& timer_id, size_t times) {
    for (int i = 0; i < 300; ++i) {
      if (Fired(timer_id).size() == times) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  testing::TempDir dir_;
  std::string data_ = dir_.Sub("data");
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
  std::unique_ptr<v1::ClockService::Stub> clock_;
};

TEST_F(TimersTest, TheSchedulerFiresADueTimerOnceWhenTheTestClockPassesIt) {
  Start(kFridayEvening);
  Open();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(Fired(kWarning).empty()) << "not due yet";
  // Only an admin moves the clock.
  EXPECT_EQ(Advance(absl::Hours(1), "agent").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Monday 08:20 EDT: 60 h 50 on the wall, an hour of it skipped.
  ASSERT_TRUE(Advance(absl::Hours(59) + absl::Minutes(50)).ok());
  ASSERT_TRUE(FiredTimes(kWarning, 1)) << server_->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::vector<v1::DeadlineReached> fired = Fired(kWarning);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].kind(), "sla.first_response.warning");
  EXPECT_TRUE(Fired(kBreach).empty());

  v1::GetCaseRequest get;
  get.set_case_id("T1");
  get.set_min_position(client_->LastPosition());
  v1::CaseView view;
  ASSERT_TRUE(client_->Call({"alice", "agent"}, &v1::CaseService::Stub::GetCase, client_->cases(),
                            get, &view)
                  .ok());
  ASSERT_GE(view.sla_size(), 1);
  EXPECT_TRUE(view.sla(0).warned());
  EXPECT_FALSE(view.sla(0).breached());
  EXPECT_EQ(view.deadlines(0).timer_id(), kBreach);
}

TEST_F(TimersTest, AServerKilledBeforeTheDueTimeFiresLateOnceWhenItStartsPastIt) {
  Start(kFridayEvening);
  Open();
  Kill();
  // It starts again on Monday at 10:30 EDT, two hours after the breach was due.
  Start("2027-03-15T14:30:00Z");
  ASSERT_TRUE(FiredTimes(kBreach, 1)) << server_->Log();
  ASSERT_TRUE(FiredTimes(kWarning, 1));
  const std::vector<v1::DeadlineReached> breach = Fired(kBreach);
  // (The case opened a moment after the clock's start: due a moment later.)
  EXPECT_GE(breach[0].late_by().seconds(), 2 * 3600 - 60);
  EXPECT_LT(breach[0].late_by().seconds(), 2 * 3600 + 60);
  // Killed right after, and started again: nothing fires twice.
  Kill();
  Start("2027-03-15T14:35:00Z");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Fired(kBreach).size(), 1u);
  EXPECT_EQ(Fired(kWarning).size(), 1u);
}

// The kill lands at different moments after the clock passes the due time:
// before the firing, during it, after it and before the view saw it.
TEST_F(TimersTest, AServerKilledAroundTheFiringFiresExactlyOnceAfterRestart) {
  for (int delay_ms : {0, 1, 3, 10}) {
    SCOPED_TRACE(absl::StrCat("killed ", delay_ms, " ms after the clock passed the due time"));
    data_ = dir_.Sub(absl::StrCat("killed-", delay_ms));
    Start(kFridayEvening);
    Open();
    ASSERT_TRUE(Advance(absl::Hours(59) + absl::Minutes(50)).ok());  // the warning is due
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    Kill();
    Start("2027-03-15T12:21:00Z");  // a minute on; the breach not yet due
    ASSERT_TRUE(FiredTimes(kWarning, 1)) << server_->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(Fired(kWarning).size(), 1u);
    EXPECT_TRUE(Fired(kBreach).empty());
    Kill();
  }
}

TEST_F(TimersTest, ListDeadlinesAnswersWhatIsDueAndWhatIsBreached) {
  Start(kFridayEvening);
  Open();
  auto list = [&](v1::ListDeadlinesRequest request, v1::ListDeadlinesResponse* response,
                  const std::string& role = "dashboard") {
    request.set_min_position(client_->LastPosition());
    return client_->Call({"dan", role}, &v1::CaseService::Stub::ListDeadlines, client_->cases(),
                         request, response);
  };
  v1::ListDeadlinesRequest request;
  v1::ListDeadlinesResponse all;
  ASSERT_TRUE(list(request, &all).ok());
  ASSERT_EQ(all.deadlines_size(), 2);  // each clock's next threshold
  EXPECT_EQ(all.deadlines(0).timer_id(), kWarning);
  EXPECT_EQ(all.deadlines(0).case_id(), "T1");
  // Due by Monday 08:20 EDT: the warning only.
  request.mutable_due_before()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilMinute(2027, 3, 15, 12, 20), absl::UTCTimeZone())));
  v1::ListDeadlinesResponse due;
  ASSERT_TRUE(list(request, &due).ok());
  ASSERT_EQ(due.deadlines_size(), 1);
  EXPECT_EQ(due.deadlines(0).kind(), "sla.first_response.warning");
  // By kind, a page at a time.
  v1::ListDeadlinesRequest breaches;
  breaches.set_kind("sla.resolution.warning");
  v1::ListDeadlinesResponse resolution;
  ASSERT_TRUE(list(breaches, &resolution).ok());
  ASSERT_EQ(resolution.deadlines_size(), 1);
  v1::ListDeadlinesRequest paged;
  paged.set_page_size(1);
  v1::ListDeadlinesResponse first, second;
  ASSERT_TRUE(list(paged, &first).ok());
  ASSERT_EQ(first.deadlines_size(), 1);
  paged.set_page_token(first.next_page_token());
  ASSERT_TRUE(list(paged, &second).ok());
  ASSERT_EQ(second.deadlines_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  EXPECT_EQ(second.deadlines(0).timer_id(), all.deadlines(1).timer_id());
  // Refusals.
  v1::ListDeadlinesRequest bad;
  bad.set_page_size(100000);
  v1::ListDeadlinesResponse none;
  EXPECT_EQ(list(bad, &none).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_size(0);
  bad.set_page_token("%%%");
  EXPECT_EQ(list(bad, &none).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.clear_page_token();
  bad.set_breached(true);
  bad.set_kind("sla.resolution.breach");
  EXPECT_EQ(list(bad, &none).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Breached, once the breach fired.
  ASSERT_TRUE(Advance(absl::Hours(62)).ok());
  ASSERT_TRUE(FiredTimes(kBreach, 1));
  v1::ListDeadlinesRequest breached;
  breached.set_breached(true);
  v1::ListDeadlinesResponse late;
  ASSERT_TRUE(list(breached, &late).ok());
  ASSERT_GE(late.deadlines_size(), 1);
  EXPECT_EQ(late.deadlines(0).case_id(), "T1");
  EXPECT_EQ(late.deadlines(0).kind(), "sla.first_response.breach");
}

TEST_F(TimersTest, ATimerCancelledBeforeItsDueTimeNeverFires) {
  Start(kFridayEvening);
  Open();
  v1::CommandReply reply;
  v1::CaseCommand cancel;
  cancel.mutable_common()->mutable_cancel()->set_reason("a duplicate");
  ASSERT_TRUE(client_->Submit({"sue", "supervisor"}, "T1", cancel, &reply).ok());
  ASSERT_TRUE(Advance(absl::Hours(24 * 7)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(Fired(kWarning).empty());
  EXPECT_TRUE(Fired(kBreach).empty());
  int cancelled = 0;
  for (const v1::HistoryEntry& e : History()) cancelled += e.event().common().has_timer_canceled();
  EXPECT_EQ(cancelled, 2);
}

TEST_F(TimersTest, TheCliShowsSetsAndAdvancesTheTestClock) {
  Start(kFridayEvening);
  auto cli = [&](const std::string& role, const std::string& args) {
    return testing::RunCommand(absl::StrCat(TRIPDESK_CLI, " --server=", server_->address(),
                                            " --token=", server_->Token("ada", role), " ", args));
  };
  auto [shown, shown_out] = cli("agent", "clock show");
  EXPECT_EQ(shown, "exited 0") << shown_out;
  EXPECT_THAT(shown_out, HasSubstr("now 2027-03-13T00:30"));
  EXPECT_THAT(shown_out, HasSubstr("(test clock)"));
  auto [advanced, advanced_out] = cli("admin", "clock advance 61h30m");
  EXPECT_EQ(advanced, "exited 0") << advanced_out;
  EXPECT_THAT(advanced_out, HasSubstr("now 2027-03-15T14:00"));
  auto [set, set_out] = cli("admin", "clock set 2027-03-16T09:00:00Z");
  EXPECT_THAT(set_out, HasSubstr("now 2027-03-16T09:00:0"));
  auto [back, back_out] = cli("admin", "clock set 2027-03-01T09:00:00Z");
  EXPECT_NE(back, "exited 0");
  EXPECT_THAT(back_out, HasSubstr("moves forward only"));
  auto [denied, denied_out] = cli("agent", "clock advance 1h");
  EXPECT_NE(denied, "exited 0");
  EXPECT_THAT(denied_out, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(TimersTest, WithoutTheTestClockItCannotBeMovedAndOffLoopbackItIsRefused) {
  server_ = std::make_unique<testing::ServerProcess>(data_);
  channel_ = server_->Connect();
  ASSERT_NE(channel_, nullptr);
  client_ = std::make_unique<testing::TestClient>(*server_, channel_);
  clock_ = v1::ClockService::NewStub(channel_);
  const grpc::Status moved = Advance(absl::Hours(1));
  EXPECT_EQ(moved.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(moved.error_message(), HasSubstr("start tripdeskd with --enable_test_clock"));
  Kill();
  testing::ServerProcess exposed(dir_.Sub("exposed"), {"--listen=0.0.0.0:0",
                                                      "--allow_plaintext_non_loopback",
                                                      "--enable_test_clock"});
  EXPECT_EQ(testing::DescribeExit(exposed.Wait()), "exited 1");
  EXPECT_THAT(exposed.Log(), HasSubstr("--enable_test_clock fakes the time"));
}

}  // namespace
}  // namespace tripdesk
