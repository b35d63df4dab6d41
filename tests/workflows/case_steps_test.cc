// The steps every case has, declared once: the same on a car booking and
// an RV rental, a step already satisfied deciding nothing, the header they
// fold into, and the workflow's say over cancelling.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/decider_kit.h"
#include "tools/commands/rv.h"
#include "workflows/case_steps.h"

namespace tripdesk::workflows {
namespace {

using ::testing::ElementsAre;
using testing::CaseUnderTest;
using testing::Events;
using testing::Refused;

const Actor kAgent{"alice", kRoleAgent, {}, "TUS"};
const Actor kSupervisor{"sue", kRoleSupervisor, {}, "TUS"};

v1::CaseCommand Step(const std::function<void(v1::CaseStepCommand&)>& fill) {
  v1::CaseCommand c;
  fill(*c.mutable_common());
  return c;
}

v1::CaseCommand Note(const std::string& text) {
  return Step([&](auto& c) { c.mutable_add_note()->set_text(text); });
}
v1::CaseCommand Assign(const std::string& agent) {
  return Step([&](auto& c) { c.mutable_assign()->set_agent(agent); });
}
v1::CaseCommand Queue(const std::string& queue) {
  return Step([&](auto& c) { c.mutable_transfer_to_queue()->set_queue(queue); });
}
v1::CaseCommand Priority(v1::CasePriority p) {
  return Step([&](auto& c) { c.mutable_set_priority()->set_priority(p); });
}
v1::CaseCommand Tags(bool add, std::vector<std::string> tags) {
  return Step([&](auto& c) {
    auto* list = add ? c.mutable_add_tags()->mutable_tags() : c.mutable_remove_tags()->mutable_tags();
    for (const std::string& t : tags) list->Add(std::string(t));
  });
}
v1::CaseCommand Cancel(const std::string& reason) {
  return Step([&](auto& c) { c.mutable_cancel()->set_reason(reason); });
}

// A car booking and an RV rental, each just opened.
std::vector<CaseUnderTest> OneOfEach() {
  std::vector<CaseUnderTest> cases;
  cases.emplace_back("C1");
  const absl::Time pick = absl::FromCivil(absl::CivilSecond(2026, 12, 1, 10, 0, 0), absl::UTCTimeZone());
  cases.back().Given(commands::AsCaseCommand(commands::Request(pick, pick + absl::Hours(72))), kAgent);
  cases.emplace_back("R1");
  cases.back().Given(commands::AsCaseCommand(commands::Retail()), kAgent);
  return cases;
}

TEST(CaseSteps, AssignQueueAndPriorityAreTheSameOnEveryWorkflowAndASatisfiedStepDecidesNothing) {
  for (CaseUnderTest& c : OneOfEach()) {
    SCOPED_TRACE(c.state().case_id());
    EXPECT_EQ(c.View().assigned_agent(), "alice");
    EXPECT_THAT(c.When(Assign("bob"), kAgent), Events("CaseAssigned"));
    EXPECT_THAT(c.When(Assign("bob"), kAgent), Events());
    EXPECT_EQ(c.View().assigned_agent(), "bob");

    EXPECT_THAT(c.When(Queue("Escalations"), kAgent), Events("CaseTransferredToQueue"));
    EXPECT_THAT(c.When(Queue("Escalations"), kAgent), Events());
    EXPECT_EQ(c.View().queue(), "Escalations");

    EXPECT_EQ(c.View().priority(), v1::CASE_PRIORITY_NORMAL);
    EXPECT_THAT(c.When(Priority(v1::CASE_PRIORITY_NORMAL), kAgent), Events());
    EXPECT_THAT(c.When(Priority(v1::CASE_PRIORITY_URGENT), kAgent), Events("CasePrioritySet"));
    EXPECT_EQ(c.View().priority(), v1::CASE_PRIORITY_URGENT);
    EXPECT_THAT(c.When(Priority(v1::CASE_PRIORITY_UNSPECIFIED), kAgent),
                Refused(absl::StatusCode::kInvalidArgument, "set_priority.priority"));
    EXPECT_EQ(c.View().status(), v1::CASE_STATUS_OPEN);
    EXPECT_THAT(c.View().allowed_case_steps(),
                ElementsAre("add_note", "cancel", "assign", "transfer_to_queue", "set_priority",
                            "add_tags", "remove_tags", "link_case"));
  }
}

TEST(CaseSteps, TagsAreNormalisedSortedAndOnlyChangesAreRecorded) {
  CaseUnderTest c = std::move(OneOfEach()[0]);
  EXPECT_THAT(c.When(Tags(true, {"VIP", "late-return"}), kAgent), Events("CaseTagsAdded"));
  EXPECT_THAT(c.View().tags(), ElementsAre("late-return", "vip"));
  EXPECT_THAT(c.When(Tags(true, {"vip"}), kAgent), Events());
  EXPECT_THAT(c.When(Tags(true, {"ok", "not a tag"}), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "add_tags.tags[1]: 'not a tag' is not a tag"));
  EXPECT_THAT(c.When(Tags(false, {"absent"}), kAgent), Events());
  EXPECT_THAT(c.When(Tags(false, {"VIP", "absent"}), kAgent), Events("CaseTagsRemoved"));
  EXPECT_THAT(c.View().tags(), ElementsAre("late-return"));
  EXPECT_THAT(c.When(Tags(true, {}), kAgent), Refused(absl::StatusCode::kInvalidArgument, "at least one"));
}

TEST(CaseSteps, TheHeaderCountsNotesAndKeepsTheLastThree) {
  CaseUnderTest c = std::move(OneOfEach()[1]);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_THAT(c.When(Note("call " + std::to_string(i)), kAgent), Events("NoteAdded"));
  }
  const v1::CaseView view = c.View();
  EXPECT_EQ(view.note_count(), 5u);
  ASSERT_EQ(view.notes_size(), 3);
  EXPECT_EQ(view.notes(0).text(), "call 3");
  EXPECT_EQ(view.notes(0).number(), 3u);
  EXPECT_EQ(view.notes(2).text(), "call 5");
  EXPECT_EQ(view.notes(2).author(), "alice");
  EXPECT_THAT(c.When(Note(""), kAgent), Refused(absl::StatusCode::kInvalidArgument, "add_note.text"));
}

TEST(CaseSteps, CancelIsASupervisorsWhereTheWorkflowAllowsItAndEndsTheCase) {
  std::vector<CaseUnderTest> cases = OneOfEach();
  CaseUnderTest& car = cases[0];
  EXPECT_THAT(car.When(Cancel("duplicate"), kAgent),
              Refused(absl::StatusCode::kPermissionDenied, "cancel needs the supervisor role"));
  EXPECT_THAT(car.When(Cancel(""), kSupervisor), Refused(absl::StatusCode::kInvalidArgument, "cancel.reason"));
  EXPECT_THAT(car.When(Cancel("duplicate"), kSupervisor), Events("CaseCancelledByDesk"));
  const v1::CaseView view = car.View();
  EXPECT_EQ(view.status(), v1::CASE_STATUS_CANCELLED);
  EXPECT_EQ(view.car_booking_stage(), v1::CANCELLED);
  EXPECT_FALSE(view.open());
  EXPECT_TRUE(view.allowed_commands().empty());
  EXPECT_THAT(view.allowed_case_steps(), ElementsAre("add_note", "add_tags", "remove_tags", "link_case"));
  EXPECT_THAT(car.When(Assign("bob"), kAgent),
              Refused(absl::StatusCode::kFailedPrecondition, "a closed case takes no more commands"));
  EXPECT_THAT(car.When(Note("after the end"), kAgent), Events("NoteAdded"));

  // An RV reservation is cancelled its own way, the seed's penalty window.
  EXPECT_THAT(cases[1].When(Cancel("changed plans"), kSupervisor),
              Refused(absl::StatusCode::kFailedPrecondition, "rv.cancel_reservation"));
}

TEST(CaseSteps, ARelatedCaseIsLinkedOnceAndNotToItself) {
  CaseUnderTest c = std::move(OneOfEach()[0]);
  auto link = [](const std::string& id) {
    return Step([&](auto& s) { s.mutable_link_case()->set_case_id(id); });
  };
  EXPECT_THAT(c.When(link("R1"), kAgent), Events("CaseLinked"));
  EXPECT_THAT(c.When(link("R1"), kAgent), Events());
  EXPECT_THAT(c.When(link("C1"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "not linked to itself"));
  EXPECT_THAT(c.When(link("no spaces"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "link_case.case_id"));
  EXPECT_THAT(c.When(link("C7"), kAgent), Events("CaseLinked"));
  EXPECT_THAT(c.View().linked_cases(), ElementsAre("R1", "C7"));
}

TEST(CaseSteps, ApplyOnlyToACaseThatExists) {
  CaseUnderTest c("C9");
  EXPECT_THAT(c.When(Note("hello"), kAgent),
              Refused(absl::StatusCode::kInvalidArgument, "a case is opened with its workflow's opening command"));
  EXPECT_FALSE(c.state().exists());
}

}  // namespace
}  // namespace tripdesk::workflows
