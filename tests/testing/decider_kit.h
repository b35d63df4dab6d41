// Given events / when a command / then events or a refusal, for any
// workflow's decider (and the steps every case has) through the registry's
// one decision path, with shared streams (an RV unit) kept in memory:
//
//   CaseUnderTest c("C1");
//   c.Given(open_command, agent);                  // decided and folded
//   EXPECT_THAT(c.When(assign, agent), Events("CaseAssigned"));
//   EXPECT_THAT(c.When(cancel, agent), Refused(kPermissionDenied, "supervisor"));
#ifndef TRIPDESK_TESTS_TESTING_DECIDER_KIT_H_
#define TRIPDESK_TESTS_TESTING_DECIDER_KIT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "tests/testing/reference.h"
#include "workflows/registry.h"

namespace tripdesk::testing {

// What a decision came to: the event types it decided, or its refusal.
struct Decision {
  absl::Status status;
  std::vector<std::string> events;
  std::vector<v1::CaseEvent> decided;  // the events themselves
};

inline std::ostream& operator<<(std::ostream& os, const Decision& d) {
  if (!d.status.ok()) return os << d.status;
  os << "events:";
  for (const std::string& e : d.events) os << " " << e;
  return os;
}

// Then: the decision was these events, in order (none: the step was already
// satisfied).
template <typename... Types>
::testing::Matcher<const Decision&> Events(Types... types) {
  return ::testing::AllOf(
      ::testing::Field(&Decision::status, ::testing::Property(&absl::Status::ok, true)),
      ::testing::Field(&Decision::events, ::testing::ElementsAre(std::string(types)...)));
}

// Then: refused with `code`, the message holding `words`.
inline ::testing::Matcher<const Decision&> Refused(absl::StatusCode code, const std::string& words) {
  return ::testing::Field(
      &Decision::status,
      ::testing::AllOf(::testing::Property(&absl::Status::code, code),
                       ::testing::Property(&absl::Status::message, ::testing::HasSubstr(words))));
}

class CaseUnderTest {
 public:
  // `reference`: the shipped data without service levels unless given.
  explicit CaseUnderTest(std::string case_id,
                         absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0),
                                                          absl::UTCTimeZone()),
                         std::shared_ptr<const workflows::ReferenceData> reference = nullptr)
      : now_(now) {
    if (reference != nullptr) reference_ = std::move(reference);
    state_.set_case_id(std::move(case_id));
  }

  // Decides `command` as `actor` and, when decided, folds its events (the
  // case's and its shared streams') as the log would.
  Decision When(const v1::CaseCommand& command, const workflows::Actor& actor) {
    workflows::DecisionContext ctx{now_, actor, reference_.get(), {}};
    for (const std::string& stream : registry_.SharedStreams(command, state_, ctx)) {
      v1::SharedState shared = (*shared_)[stream];
      shared.set_stream(stream);
      ctx.shared.push_back(shared);
    }
    absl::StatusOr<std::vector<v1::CaseEvent>> events = registry_.Decide(command, state_, ctx);
    Decision d;
    d.status = events.status();
    if (!events.ok()) return d;
    for (const v1::CaseEvent& e : *events) {
      for (const workflows::SharedAppend& effect : registry_.SharedEffects(state_, e)) {
        v1::SharedState& shared = (*shared_)[effect.stream];
        shared.set_exists(true);
        shared.set_revision(shared.revision() + 1);
        if (const workflows::Workflow* w = registry_.ForSharedEvent(effect.event)) {
          w->EvolveShared(shared, effect.event);
        }
      }
      workflows::EventMeta meta{state_.exists() ? state_.revision() + 1 : 0, ++position_, now_,
                                actor.id};
      registry_.ApplyEvent(state_, e, meta);
      d.events.push_back(registry_.EventType(e));
      d.decided.push_back(e);
    }
    return d;
  }

  // Given: `command` succeeded (the test fails here otherwise).
  void Given(const v1::CaseCommand& command, const workflows::Actor& actor) {
    const Decision d = When(command, actor);
    EXPECT_TRUE(d.status.ok()) << "given " << command.ShortDebugString() << ": " << d.status;
  }

  // Cases of one test that share things (an asset, an account) see each
  // other's shared streams.
  void ShareStreamsWith(const CaseUnderTest& other) { shared_ = other.shared_; }
  const v1::SharedState& Shared(const std::string& stream) { return (*shared_)[stream]; }

  const v1::CaseState& state() const { return state_; }
  v1::CaseView View() const { return registry_.View(state_); }
  void Advance(absl::Duration d) { now_ += d; }
  absl::Time now() const { return now_; }

 private:
  const workflows::WorkflowRegistry& registry_ = workflows::WorkflowRegistry::Default();
  std::shared_ptr<const workflows::ReferenceData> reference_ = ShippedReference();
  absl::Time now_;
  v1::CaseState state_;
  std::shared_ptr<std::map<std::string, v1::SharedState>> shared_ =
      std::make_shared<std::map<std::string, v1::SharedState>>();
  uint64_t position_ = 0;
};

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_DECIDER_KIT_H_
