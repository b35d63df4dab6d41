// The command path decides on cached cases without reading the log; these
// show that what it answers is still what a fold of the log would give.
#include "services/command_runner.h"

#include <future>

#include "gtest/gtest.h"
#include "absl/time/civil_time.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/reference.h"
#include "tools/commands/rv.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_day.h"

namespace tripdesk::services {
namespace {

using testing::TestClockStart;

// Dates on the runners' fixed day (tests/testing/test_day.h).
std::string Day(int days_from_start) { return testing::TestDay(days_from_start); }

class CommandRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventstore::Options options;
    options.path = dir_.Sub("log");
    auto store = eventstore::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    runner_ = std::make_unique<CommandRunner>(store_.get(), workflows::WorkflowRegistry::Default(),
                                              testing::ShippedReference(), 10000, &clock_);
  }

  absl::StatusOr<CaseCommandResult> Run(const std::string& case_id, commands::CarCommand command,
                                        const std::string& command_id = "",
                                        bool open = false) {
    return Run(*runner_, case_id, commands::AsCaseCommand(std::move(command)), command_id, open);
  }

  // An RV rental of unit 304359 by `case_id` from reservation to return,
  // through `runner`, the generator read at `generator_out` and `generator_in`.
  void Rent(CommandRunner& runner, const std::string& case_id, int64_t generator_out,
            int64_t generator_in) {
    ASSERT_TRUE(Run(runner, case_id, commands::AsCaseCommand(commands::Retail(Day(0), Day(1))), "",
                    /*open=*/true).ok());
    commands::RvCommand out = commands::OpenRa("304359", 500000);  // more than any estimate
    out.mutable_open_rental_agreement()->set_generator_tenths(generator_out);
    out.mutable_open_rental_agreement()->set_confirm_generator_reading(true);
    absl::StatusOr<CaseCommandResult> opened = Run(runner, case_id, commands::AsCaseCommand(out));
    ASSERT_TRUE(opened.ok()) << opened.status();
    absl::StatusOr<CaseCommandResult> closed = Run(
        runner, case_id, commands::AsCaseCommand(commands::CloseRa(22110, 7, generator_in, Day(1))));
    ASSERT_TRUE(closed.ok()) << closed.status();
  }

  absl::StatusOr<CaseCommandResult> Run(CommandRunner& runner, const std::string& case_id,
                                        v1::CaseCommand command, const std::string& command_id = "",
                                        bool open = false) {
    CaseCommandRequest request;
    request.case_id = case_id;
    request.open = open;
    request.command_id = command_id;
    request.command = std::move(command);
    request.actor = {"alice", "agent", {"agent"}};
    // Logged in where an RV save books.
    request.actor.location = request.command.rv().save_reservation().booking_location();
    std::promise<absl::StatusOr<CaseCommandResult>> done;
    auto answer = done.get_future();
    runner.Execute(std::move(request), [&](absl::StatusOr<CaseCommandResult> r) {
      done.set_value(std::move(r));
    });
    return answer.get();
  }

  const TestClock clock_{TestClockStart()};
  const absl::Time pick_ = TestClockStart() + absl::Hours(72);
  const absl::Time drop_ = pick_ + absl::Hours(48);
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<CommandRunner> runner_;
};

TEST_F(CommandRunnerTest, ACaseChangedBehindTheCacheIsDecidedOnTheLog) {
  ASSERT_TRUE(Run("C1", commands::Request(pick_, drop_), "", /*open=*/true).ok());

  // Another writer cancels the case; the runner's cache still has it open.
  v1::CaseEvent cancelled;
  cancelled.mutable_car_booking()->mutable_cancelled()->set_reason("duplicate request");
  eventstore::AppendRequest append;
  append.streams.push_back({"case-C1", eventstore::ExpectedRevision::Exact(0),
                            {{"CaseCancelled", cancelled.SerializeAsString()}}});
  append.actor = {"sue", "supervisor"};
  ASSERT_TRUE(store_->Append(append).ok());
  const uint64_t last = store_->LastPosition();

  absl::StatusOr<CaseCommandResult> r = Run("C1", commands::Identify(pick_, drop_));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_EQ(store_->LastPosition(), last);  // nothing written
}

TEST_F(CommandRunnerTest, ARetryGetsItsFirstAnswerAfterTheCaseMovedOn) {
  ASSERT_TRUE(Run("C1", commands::Request(pick_, drop_), "open-1", /*open=*/true).ok());
  absl::StatusOr<CaseCommandResult> first = Run("C1", commands::Identify(pick_, drop_), "identify-1");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(Run("C1", commands::IlCheck(false), "il-1").ok());
  const uint64_t last = store_->LastPosition();

  // Deciding identify_car again would be refused (out of order) now.
  absl::StatusOr<CaseCommandResult> retry = Run("C1", commands::Identify(pick_, drop_), "identify-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->outcome.duplicate());
  EXPECT_EQ(retry->outcome.last_position(), first->outcome.last_position());
  EXPECT_EQ(retry->state->revision(), first->state->revision());
  EXPECT_EQ(retry->state->SerializeAsString(), first->state->SerializeAsString());

  absl::StatusOr<CaseCommandResult> reopen = Run("C1", commands::Request(pick_, drop_), "open-1", true);
  ASSERT_TRUE(reopen.ok()) << reopen.status();
  EXPECT_TRUE(reopen->outcome.duplicate());
  EXPECT_EQ(reopen->state->revision(), 0u);
  EXPECT_EQ(store_->LastPosition(), last);
}

TEST_F(CommandRunnerTest, AUnitReturnedBehindTheCacheBindsTheNextRental) {
  Rent(*runner_, "RV1", 880, 900);  // the runner caches unit 304359 at its return

  // Another runner (another writer's cache) rents the unit out and back.
  CommandRunner other(store_.get(), workflows::WorkflowRegistry::Default(),
                      testing::ShippedReference(), 10000, &clock_);
  Rent(other, "RV2", 900, 1000);
  ASSERT_TRUE(Run(*runner_, "RV3", commands::AsCaseCommand(commands::Retail(Day(0), Day(1))), "", true).ok());
  const uint64_t last = store_->LastPosition();

  // 95.0 hours is below RV2's return (100.0): decided on the unit as the log
  // has it, the rule refuses it, and nothing is written.
  commands::RvCommand out = commands::OpenRa("304359", 500000);
  out.mutable_open_rental_agreement()->set_generator_tenths(950);
  absl::StatusOr<CaseCommandResult> r = Run(*runner_, "RV3", commands::AsCaseCommand(out));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_NE(r.status().message().find("100.0"), std::string::npos) << r.status();
  EXPECT_EQ(store_->LastPosition(), last);

  out.mutable_open_rental_agreement()->set_generator_tenths(1000);
  r = Run(*runner_, "RV3", commands::AsCaseCommand(out));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(store_->ReadStream("unit-304359", 0, 10)->size(), 5u);
}

TEST_F(CommandRunnerTest, ACommandIdOfAnotherCaseIsRefused) {
  ASSERT_TRUE(Run("C1", commands::Request(pick_, drop_), "", /*open=*/true).ok());
  ASSERT_TRUE(Run("C2", commands::Request(pick_, drop_), "", /*open=*/true).ok());
  ASSERT_TRUE(Run("C1", commands::Identify(pick_, drop_), "identify-1").ok());
  const uint64_t last = store_->LastPosition();

  // Valid for C2 too, so only the stored command id can refuse it.
  absl::StatusOr<CaseCommandResult> r = Run("C2", commands::Identify(pick_, drop_), "identify-1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
  EXPECT_NE(r.status().message().find("case-C1"), std::string::npos) << r.status();
  EXPECT_EQ(store_->LastPosition(), last);
}

}  // namespace
}  // namespace tripdesk::services
