// What the generic command path adds to every command before a decider
// runs: the field checks over the descriptors (workflows/field_rules.h) and
// the command id's fingerprint (SHA-256 of the command and its caller).
// Run by tools/bench.sh; per-command cost in ns.
#include <benchmark/benchmark.h>

#include "services/command_runner.h"
#include "tools/commands/car_booking.h"
#include "tools/commands/rv.h"
#include "workflows/field_rules.h"

namespace tripdesk {
namespace {

v1::CaseCommand CarRequest() {
  const absl::Time pick = absl::FromUnixSeconds(1'800'000'000);
  return commands::AsCaseCommand(commands::Request(pick, pick + absl::Hours(72)));
}

v1::CaseCommand RvReservation() {
  commands::RvCommand save = commands::Retail();
  save.mutable_save_reservation()->set_notes("Customer asked for a quiet site; arriving late.");
  return commands::AsCaseCommand(save);
}

void BM_CheckCommandFields(benchmark::State& state, v1::CaseCommand (*make)()) {
  const v1::CaseCommand command = make();
  for (auto _ : state) benchmark::DoNotOptimize(workflows::CheckCommandFields(command));
  state.counters["bytes"] = static_cast<double>(command.ByteSizeLong());
}
BENCHMARK_CAPTURE(BM_CheckCommandFields, receive_request, &CarRequest);
BENCHMARK_CAPTURE(BM_CheckCommandFields, save_reservation, &RvReservation);

void BM_CommandFingerprint(benchmark::State& state, v1::CaseCommand (*make)()) {
  const v1::CaseCommand command = make();
  for (auto _ : state) benchmark::DoNotOptimize(services::CommandFingerprint(command, "alice"));
}
BENCHMARK_CAPTURE(BM_CommandFingerprint, receive_request, &CarRequest);
BENCHMARK_CAPTURE(BM_CommandFingerprint, save_reservation, &RvReservation);

}  // namespace
}  // namespace tripdesk

BENCHMARK_MAIN();
