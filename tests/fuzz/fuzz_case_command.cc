// Arbitrary bytes as a case command: protobuf decoding, the command policy
// lookup, and every workflow's validation and decide on a new case and on
// cases part-way through (car booking opened, RV reserved, RV RA open),
// folding whatever is decided. Nothing may crash, leak or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "services/embedded_reference.h"
#include "services/identity.h"
#include "tools/commands/car_booking.h"
#include "tools/commands/rv.h"
#include "workflows/field_rules.h"
#include "workflows/registry.h"

namespace tripdesk {
namespace {

struct Fixture {
  std::shared_ptr<const workflows::ReferenceData> reference;
  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());
  std::vector<v1::CaseState> states;

  Fixture() {
    reference = *workflows::ReferenceData::FromTextProto(services::EmbeddedReferenceData());
    v1::CaseState fresh;
    fresh.set_case_id("F1");
    states.push_back(fresh);
    const absl::Time pick = now + absl::Hours(24 * 7);
    states.push_back(Apply(fresh, commands::AsCaseCommand(commands::Request(pick, pick + absl::Hours(72)))));
    v1::CaseState reserved = Apply(fresh, commands::AsCaseCommand(commands::Retail()));
    states.push_back(reserved);
    const int64_t due = reserved.rv().estimate().total().minor_units() - reserved.rv().deposits_total().minor_units();
    states.push_back(Apply(reserved, commands::AsCaseCommand(commands::OpenRa("304359", due))));
  }

  v1::CaseState Apply(v1::CaseState state, const v1::CaseCommand& command) const {
    workflows::DecisionContext ctx{now, {"alice", "agent"}, reference.get(), {}};
    auto events = registry.ForCommand(command)->Decide(command, state, ctx);
    if (!events.ok()) std::abort();  // the fixture's own commands are valid
    uint64_t position = state.last_position();
    for (const v1::CaseEvent& e : *events) {
      registry.ApplyEvent(state, e, {state.exists() ? state.revision() + 1 : 0, ++position, now, "alice"});
    }
    return state;
  }
};

}  // namespace
}  // namespace tripdesk

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tripdesk;
  static const Fixture* const fixture = new Fixture();
  v1::CaseCommand command;
  if (!command.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)services::RolesForCommand(services::CommandKey(command));
  // The generic checks run first in the server; the deciders are fuzzed on
  // what they refuse too, to stay robust on their own.
  (void)workflows::CheckCommandFields(command);
  const workflows::Workflow* workflow = fixture->registry.ForCommand(command);
  if (workflow == nullptr) return 0;
  static const char* const kRoles[] = {"agent", "tech_spoc", "supervisor", "auditor"};
  for (const v1::CaseState& start : fixture->states) {
    if (start.exists() && start.workflow() != workflow->type()) continue;
    for (const char* role : kRoles) {
      workflows::DecisionContext ctx{fixture->now, {"sue", role}, fixture->reference.get(), {}};
      for (const std::string& stream : workflow->SharedStreams(command, start, ctx)) {
        v1::SharedState shared;
        shared.set_stream(stream);
        ctx.shared.push_back(shared);
      }
      auto events = workflow->Decide(command, start, ctx);
      if (!events.ok()) continue;
      v1::CaseState state = start;
      for (const v1::CaseEvent& e : *events) {
        for (const workflows::SharedAppend& effect : workflow->SharedEffects(state, e)) {
          v1::SharedState unit;
          workflow->EvolveShared(unit, effect.event);
        }
        fixture->registry.ApplyEvent(state, e, {state.revision() + 1, 1, fixture->now, "sue"});
        (void)workflow->EventType(e);
      }
      (void)fixture->registry.View(state);
    }
  }
  return 0;
}
