// Time in the log through the one decision path, with the shipped service
// levels (deploy/service_levels.textproto): SLA clocks applied on the US
// support desk's calendar when a car booking opens, fulfilled, paused while
// the quote waits on the customer, fired (once, late or not) by the
// scheduler's step, and every pending timer cancelled when the case ends.
#include "workflows/timekeeping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/decider_kit.h"
#include "tools/commands/car_booking.h"

namespace tripdesk::workflows {
namespace {

using ::testing::ElementsAre;
using testing::CaseUnderTest;
using testing::Events;
using testing::Refused;

const Actor kAgent{"alice", kRoleAgent, {}, "TUS"};
const Actor kSpoc{"tom", kRoleTechSpoc, {}, "TUS"};
const Actor kSupervisor{"sue", kRoleSupervisor, {}, "TUS"};
const Actor kScheduler{"tripdesk-scheduler", kRoleSystem, {}, ""};

absl::Time NewYork(int y, int mo, int d, int h, int mi = 0) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &zone));
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), zone);
}

v1::CaseCommand Cancel(const std::string& reason) {
  v1::CaseCommand c;
  c.mutable_common()->mutable_cancel()->set_reason(reason);
  return c;
}

v1::CaseCommand Fire(const std::string& timer_id) {
  v1::CaseCommand c;
  c.mutable_common()->mutable_fire_timer()->set_timer_id(timer_id);
  return c;
}

class TimekeepingTest : public ::testing::Test {
 protected:
  // Opened on Friday 2027-03-12 at 19:30 in New York, half an hour before
  // the desk closes for the weekend (clocks go forward on Sunday).
  TimekeepingTest() : c_("S1", NewYork(2027, 3, 12, 19, 30), testing::ShippedReferenceWithServiceLevels()) {}

  testing::Decision Open() {
    return c_.When(commands::AsCaseCommand(commands::Request(pick_, pick_ + absl::Hours(72))), kAgent);
  }
  const v1::SlaClock& Clock(const std::string& metric) {
    for (const v1::SlaClock& s : c_.state().header().sla()) {
      if (s.metric() == metric) return s;
    }
    ADD_FAILURE() << "no clock " << metric;
    return c_.state().header().sla(0);
  }
  // Drives the offline branch up to `last` steps (0: none).
  void Offline(size_t steps) {
    auto all = commands::OfflineSteps(pick_, pick_ + absl::Hours(72));
    for (size_t i = 0; i < steps; ++i) {
      c_.Given(commands::AsCaseCommand(all[i].first), all[i].second == "tech_spoc" ? kSpoc : kAgent);
    }
  }

  const absl::Time pick_ = NewYork(2027, 4, 20, 10);
  CaseUnderTest c_;
  std::shared_ptr<const ReferenceData> reference_ = testing::ShippedReferenceWithServiceLevels();
};

TEST_F(TimekeepingTest, OpeningACaseAppliesThePolicyWithDueTimesOnTheDesksCalendar) {
  // One timer per clock: its next threshold (the warning; the breach once warned).
  EXPECT_THAT(Open(), Events("CarRequestReceived", "SlaApplied", "TimerScheduled", "SlaApplied",
                             "TimerScheduled"));
  // 60 business minutes: 30 on Friday, 30 on Monday (in EDT by then).
  EXPECT_EQ(workflows::FromProto(Clock("first_response").due_at()), NewYork(2027, 3, 15, 8, 30));
  EXPECT_EQ(workflows::FromProto(Clock("first_response").warn_at()), NewYork(2027, 3, 15, 8, 15));
  // 1440: 30 on Friday, 720 on Monday, 690 on Tuesday.
  EXPECT_EQ(workflows::FromProto(Clock("resolution").due_at()), NewYork(2027, 3, 16, 19, 30));
  const v1::CaseView view = c_.View();
  ASSERT_EQ(view.deadlines_size(), 2);
  EXPECT_EQ(view.deadlines(0).kind(), "sla.first_response.warning");
  EXPECT_EQ(view.deadlines(0).timer_id(), "S1/sla.first_response.warning/2");
  EXPECT_EQ(view.deadlines(0).due_local(), "2027-03-15T08:15");
  EXPECT_EQ(view.deadlines(0).zone(), "America/New_York");
  EXPECT_EQ(view.deadlines(1).kind(), "sla.resolution.warning");
  EXPECT_EQ(view.deadlines(1).timer_id(), "S1/sla.resolution.warning/4");
  EXPECT_EQ(view.sla(0).status(), v1::SLA_STATUS_RUNNING);
}

TEST_F(TimekeepingTest, TheFirstResponseIsFulfilledByTheDesksFirstStepAndItsTimersCancelled) {
  Open();
  c_.Advance(absl::Hours(60) + absl::Minutes(50));  // Monday 09:20 EDT: 80 business minutes in
  EXPECT_THAT(c_.When(commands::AsCaseCommand(commands::Identify(pick_, pick_ + absl::Hours(72))),
                      kAgent),
              Events("CarIdentified", "SlaFulfilled", "TimerCanceled"));
  EXPECT_EQ(Clock("first_response").status(), v1::SLA_STATUS_FULFILLED);
  EXPECT_EQ(c_.View().deadlines_size(), 1);  // the resolution's
}

TEST_F(TimekeepingTest, TheSchedulerFiresADueTimerOnceRecordingHowLate) {
  Open();
  const std::string warning = "S1/sla.first_response.warning/2";
  // Scheduled by the warning's firing (revisions 5 to 7).
  const std::string breach = "S1/sla.first_response.breach/7";
  EXPECT_THAT(c_.When(Fire(warning), kScheduler),
              Refused(absl::StatusCode::kFailedPrecondition, "is not due until"));
  EXPECT_THAT(c_.When(Fire(warning), kAgent), Refused(absl::StatusCode::kPermissionDenied, "system"));
  // Monday 09:15 EDT (61 h 45 on the wall, an hour of it skipped): an hour late.
  c_.Advance(absl::Hours(60) + absl::Minutes(45));
  testing::Decision fired = c_.When(Fire(warning), kScheduler);
  EXPECT_THAT(fired, Events("DeadlineReached", "SlaWarned", "TimerScheduled"));
  ASSERT_EQ(fired.decided.size(), 3u);
  EXPECT_EQ(fired.decided[2].common().timer_scheduled().timer_id(), breach);
  EXPECT_EQ(fired.decided[2].common().timer_scheduled().due_local(), "2027-03-15T08:30");
  const v1::DeadlineReached& reached = fired.decided[0].common().deadline_reached();
  EXPECT_EQ(reached.late_by().seconds(), 3600);
  EXPECT_EQ(workflows::FromProto(reached.fired_at()), NewYork(2027, 3, 15, 9, 15));
  EXPECT_THAT(c_.When(Fire(warning), kScheduler),
              Refused(absl::StatusCode::kFailedPrecondition, "is not pending on case S1"));
  EXPECT_THAT(c_.When(Fire(breach), kScheduler), Events("DeadlineReached", "SlaBreached"));
  EXPECT_TRUE(Clock("first_response").breached());
  EXPECT_TRUE(Clock("first_response").warned());
  // Answered late, the metric is fulfilled, breached.
  testing::Decision answered = c_.When(
      commands::AsCaseCommand(commands::Identify(pick_, pick_ + absl::Hours(72))), kAgent);
  EXPECT_THAT(answered, Events("CarIdentified", "SlaFulfilled"));
  EXPECT_TRUE(answered.decided[1].common().sla_fulfilled().breached());
  EXPECT_EQ(answered.decided[1].common().sla_fulfilled().business_time().seconds(), 105 * 60);
}

TEST_F(TimekeepingTest, WaitingOnTheCustomerMovesTheDueTimeByExactlyThePausedBusinessTime) {
  Open();
  c_.Advance(absl::Hours(59) + absl::Minutes(30));  // Monday 08:00 EDT
  Offline(5);                                        // ... quote sent: the clock stops
  const v1::SlaClock paused = Clock("resolution");
  ASSERT_EQ(paused.status(), v1::SLA_STATUS_PAUSED);
  EXPECT_TRUE(std::none_of(c_.View().deadlines().begin(), c_.View().deadlines().end(),
                           [](const v1::PendingTimer& t) { return t.kind() == "sla.resolution.breach"; }));
  const absl::Time due_before = NewYork(2027, 3, 16, 19, 30);
  // The customer answers on Tuesday at 10:00: 12 + 2 business hours later.
  c_.Advance(absl::Hours(26));
  testing::Decision accepted = c_.When(
      commands::AsCaseCommand(commands::Response(v1::CUSTOMER_RESPONSE_ACCEPTED)), kAgent);
  EXPECT_THAT(accepted, Events("QuoteAccepted", "SlaResumed", "TimerScheduled"));
  const v1::SlaResumed& resumed = accepted.decided[1].common().sla_resumed();
  EXPECT_EQ(resumed.paused_business_time().seconds(), 14 * 3600);
  const BusinessCalendar& desk = *reference_->Calendar("us-support-desk");
  const absl::Time due_after = workflows::FromProto(Clock("resolution").due_at());
  EXPECT_EQ(desk.BusinessMinutesBetween(due_before, due_after), 14 * 60);
  EXPECT_EQ(Clock("resolution").status(), v1::SLA_STATUS_RUNNING);
}

TEST_F(TimekeepingTest, ACaseCancelledWithPendingTimersLeavesNonePending) {
  Open();
  EXPECT_THAT(c_.When(Cancel("a duplicate of S0"), kSupervisor),
              Events("CaseCancelledByDesk", "SlaEnded", "SlaEnded", "TimerCanceled",
                     "TimerCanceled"));
  EXPECT_EQ(c_.View().deadlines_size(), 0);
  EXPECT_EQ(Clock("first_response").status(), v1::SLA_STATUS_ENDED);
  EXPECT_THAT(c_.When(Fire("S1/sla.resolution.breach/6"), kScheduler),
              Refused(absl::StatusCode::kFailedPrecondition, "is closed (CASE_STATUS_CANCELLED)"));
}

TEST_F(TimekeepingTest, AClosedCaseFulfilsItsResolutionAndCancelsWhatIsLeft) {
  Open();
  c_.Advance(absl::Hours(59) + absl::Minutes(40));  // Monday 08:10 EDT
  Offline(15);
  EXPECT_EQ(Clock("resolution").status(), v1::SLA_STATUS_FULFILLED);
  EXPECT_EQ(c_.View().deadlines_size(), 0);
  EXPECT_EQ(c_.View().status(), v1::CASE_STATUS_CLOSED);
}

TEST_F(TimekeepingTest, PoliciesNamingAMissingCalendarOrStageAreRefusedAtLoad) {
  const std::string base = testing::ShippedReferenceText() + "\n" + testing::ShippedServiceLevelsText();
  auto with = [&](const std::string& more) {
    return std::string(ReferenceData::FromTextProto(base + more).status().message());
  };
  EXPECT_THAT(with("sla_policies { id: 'x' workflow: WORKFLOW_RV_RENTAL calendar: 'nope' "
                   "metrics { metric: 'm' target_business_minutes: 5 fulfilled_on_close: true } }"),
              ::testing::HasSubstr("sla_policies[3] 'x': calendar 'nope' is not defined"));
  EXPECT_THAT(with("sla_policies { id: 'x' workflow: WORKFLOW_RV_RENTAL calendar: 'rv-counters' "
                   "paused_in_stages: 'QUOTE_SENT' "
                   "metrics { metric: 'm' target_business_minutes: 5 fulfilled_on_close: true } }"),
              ::testing::HasSubstr("paused_in_stages"));
  EXPECT_THAT(with("sla_policies { id: 'x' workflow: WORKFLOW_RV_RENTAL calendar: 'rv-counters' "
                   "metrics { metric: 'm' target_business_minutes: 0 fulfilled_on_close: true } }"),
              ::testing::HasSubstr("target_business_minutes must be positive"));
  EXPECT_THAT(with("sla_policies { id: 'car-booking-standard' workflow: WORKFLOW_RV_RENTAL "
                   "calendar: 'rv-counters' metrics { metric: 'm' target_business_minutes: 5 "
                   "fulfilled_on_close: true } }"),
              ::testing::HasSubstr("id is empty or used twice"));
}

}  // namespace
}  // namespace tripdesk::workflows
