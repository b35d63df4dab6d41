// Rebuilding every view (cases, reservations, tracker) from a log of real
// manual car booking histories: events per second, and the process's peak
// memory for logs of different sizes (it should not grow with the log).
// Run with tools/bench.sh (not part of ctest).
//
// Directory: $TRIPDESK_BENCH_DIR or /tmp/tripdesk-bench-views (removed first).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "eventstore/event_store.h"
#include "projections/case_projection.h"
#include "projections/projection_runner.h"
#include "projections/queries.h"
#include "projections/tracker_projection.h"
#include "tools/commands/car_booking.h"
#include "workflows/registry.h"

namespace tripdesk {
namespace {

std::string BenchDir() {
  const char* dir = std::getenv("TRIPDESK_BENCH_DIR");
  return dir != nullptr ? dir : "/tmp/tripdesk-bench-views";
}

// Resident memory now and at its peak, in MiB, from /proc.
std::pair<double, double> RssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  double rss = 0, hwm = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stod(line.substr(6)) / 1024;
  }
  return {rss, hwm};
}

// CPU seconds used so far by this process's thread named `name` (0 if
// none): the views thread's own cost, which the VM's steal time does not
// inflate the way it does wall-clock rates.
double ThreadCpuSeconds(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string comm_name;
    std::getline(comm, comm_name);
    if (comm_name != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the parenthesised name: state is the 3rd, utime the 14th.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

// The 16 events of one offline booking, decided by the real workflow.
std::vector<v1::CaseEvent> OneBooking(const workflows::ReferenceData& reference) {
  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  const absl::Time now = absl::Now();
  const absl::Time pick = now + absl::Hours(72);
  const absl::Time drop = pick + absl::Hours(72);
  v1::CaseState state;
  state.set_case_id("T");
  std::vector<v1::CaseEvent> all;
  std::vector<std::pair<commands::CarCommand, std::string>> steps = {
      {commands::Request(pick, drop), "agent"}};
  for (auto& step : commands::OfflineSteps(pick, drop)) steps.push_back(std::move(step));
  uint64_t revision = 0;
  for (const auto& [command, role] : steps) {
    const v1::CaseCommand c = commands::AsCaseCommand(command);
    auto events = registry.ForCommand(c)->Decide(
        c, state, workflows::DecisionContext{now, {"agent-7", role}, &reference, {}});
    if (!events.ok()) std::abort();
    for (const v1::CaseEvent& e : *events) {
      registry.ApplyEvent(state, e, workflows::EventMeta{revision++, revision, now, "agent-7"});
      all.push_back(e);
    }
  }
  return all;
}

std::shared_ptr<const workflows::ReferenceData> Reference() {
  std::ifstream in(std::string(TRIPDESK_SOURCE_DIR) + "/deploy/reference.textproto");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto reference = workflows::ReferenceData::FromTextProto(text);
  if (!reference.ok()) std::abort();
  return *reference;
}

// A log of `events` events: bookings of 16 events each, interleaved 64
// cases at a time as a busy desk would write them.
eventstore::EventStore* LogOf(uint64_t events) {
  static std::map<uint64_t, eventstore::EventStore*> logs;
  if (logs.contains(events)) return logs[events];
  eventstore::Options options;
  options.path = absl::StrCat(BenchDir(), "/log-", events);
  options.unsafe_no_sync = true;  // loading only; the rebuild is what is measured
  auto store = eventstore::EventStore::Open(options);
  if (!store.ok()) std::abort();
  const std::vector<v1::CaseEvent> booking = OneBooking(*Reference());
  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  std::vector<std::string> payloads, types;
  for (const v1::CaseEvent& e : booking) {
    payloads.push_back(e.SerializeAsString());
    types.push_back(registry.ForEvent(e)->EventType(e));
  }
  uint64_t written = 0;
  for (uint64_t group = 0; written < events; ++group) {
    for (size_t step = 0; step < booking.size() && written < events; ++step) {
      eventstore::AppendRequest request;
      request.actor = {"agent-7", "agent"};
      for (uint64_t k = 0; k < 64 && written < events; ++k, ++written) {
        request.streams.push_back({absl::StrCat("case-B", group * 64 + k),
                                   eventstore::ExpectedRevision::Any(),
                                   {{types[step], payloads[step]}}});
      }
      if (!(*store)->Append(std::move(request)).ok()) std::abort();
    }
  }
  // Time the rebuild, not the compaction of what was just loaded.
  if (!(*store)->Compact().ok()) std::abort();
  logs[events] = store->release();
  return logs[events];
}

void BM_RebuildAllViews(benchmark::State& state) {
  const uint64_t events = static_cast<uint64_t>(state.range(0));
  eventstore::EventStore* log = LogOf(events);
  const auto [rss_before, hwm_before] = RssMiB();
  int run = 0;
  double views_cpu = 0;
  for (auto _ : state) {
    const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
    std::vector<std::unique_ptr<projections::Projection>> views;
    views.push_back(std::make_unique<projections::CaseProjection>(registry));
    views.push_back(std::make_unique<projections::TrackerProjection>());
    auto store = projections::ViewStore::Open(
        absl::StrCat(BenchDir(), "/views-", events, "-", run++),
        projections::ProjectionRunner::Families(views));
    if (!store.ok()) std::abort();
    projections::ProjectionRunner runner(log, store->get(), std::move(views));
    if (!runner.Start().ok()) std::abort();
    if (!runner.WaitFor(events, absl::Now() + absl::Minutes(30)).ok()) {
      state.SkipWithError("rebuild did not finish");
    }
    views_cpu += ThreadCpuSeconds("projections");
  }
  const auto [rss_after, hwm_after] = RssMiB();
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * events), benchmark::Counter::kIsRate);
  state.counters["views_cpu_us_per_event"] =
      views_cpu * 1e6 / static_cast<double>(state.iterations() * events);
  state.counters["rss_mib"] = rss_after;
  state.counters["peak_rss_mib"] = hwm_after;
  state.counters["peak_growth_mib"] = hwm_after - hwm_before;
}
// GetCase on a case with N notes: the notes have their own rows, so the
// case's state (and the answer) stays the same size however many it has.
// A log holding one car booking with `notes` notes, and its case view
// built: made once per size (the benchmark function runs several times).
struct NotesFixture {
  std::unique_ptr<eventstore::EventStore> log;
  std::unique_ptr<projections::ViewStore> views;
  std::unique_ptr<projections::ProjectionRunner> runner;
};

NotesFixture* CaseWithNotes(int notes) {
  static std::map<int, NotesFixture*> built;
  if (built.contains(notes)) return built[notes];
  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  auto* f = new NotesFixture();
  eventstore::Options options;
  options.path = absl::StrCat(BenchDir(), "/notes-log-", notes);
  options.unsafe_no_sync = true;
  auto log = eventstore::EventStore::Open(options);
  if (!log.ok()) std::abort();
  f->log = *std::move(log);
  const std::vector<v1::CaseEvent> booking = OneBooking(*Reference());
  auto append = [&](const v1::CaseEvent& e) {
    eventstore::AppendRequest request;
    request.actor = {"agent-7", "agent"};
    request.streams.push_back({"case-N", eventstore::ExpectedRevision::Any(),
                               {{registry.EventType(e), e.SerializeAsString()}}});
    if (!f->log->Append(std::move(request)).ok()) std::abort();
  };
  append(booking.front());
  for (int i = 0; i < notes; ++i) {
    v1::CaseEvent note;
    note.mutable_common()->mutable_note_added()->set_text(absl::StrCat("called the customer back, ", i));
    append(note);
  }
  std::vector<std::unique_ptr<projections::Projection>> views;
  views.push_back(std::make_unique<projections::CaseProjection>(registry));
  auto store = projections::ViewStore::Open(absl::StrCat(BenchDir(), "/notes-views-", notes),
                                            projections::ProjectionRunner::Families(views));
  if (!store.ok()) std::abort();
  f->views = *std::move(store);
  f->runner = std::make_unique<projections::ProjectionRunner>(f->log.get(), f->views.get(),
                                                              std::move(views));
  if (!f->runner->Start().ok() ||
      !f->runner->WaitFor(static_cast<uint64_t>(notes) + 1, absl::Now() + absl::Minutes(5)).ok()) {
    std::abort();
  }
  return built[notes] = f;
}

// GetCase on a case with N notes: the notes have their own rows, so the
// case's state (and the answer) stays the same size however many it has.
void BM_GetCaseWithNotes(benchmark::State& state) {
  const int notes = static_cast<int>(state.range(0));
  NotesFixture* f = CaseWithNotes(notes);
  projections::CaseQueries queries(f->views.get(), workflows::WorkflowRegistry::Default(),
                                   [&](absl::string_view base) { return f->runner->ServingFamily(base); });
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::CaseView> view = queries.GetCase("N");
    if (!view.ok() || view->note_count() != static_cast<uint64_t>(notes)) {
      state.SkipWithError(view.ok() ? absl::StrCat("note_count ", view->note_count()).c_str()
                                    : std::string(view.status().message()).c_str());
      break;
    }
    bytes = view->ByteSizeLong();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["view_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_GetCaseWithNotes)->Arg(0)->Arg(10000)->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_RebuildAllViews)
    ->Arg(250000)
    ->Arg(1000000)
    ->Arg(2000000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace tripdesk

int main(int argc, char** argv) {
  std::filesystem::remove_all(tripdesk::BenchDir());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
