// /readyz and the views' lag metrics: ready while the views are within the
// bound of the log, not while they lag past it (by the age of the oldest
// record they have not applied).
#include "services/server_samplers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/case_projection.h"
#include "tests/testing/temp_dir.h"
#include "tools/commands/car_booking.h"

namespace tripdesk::services {
namespace {

using ::testing::HasSubstr;

TEST(Readiness, ReadyWhenTheViewsAreWithinTheBoundNotWhileTheyLagPastIt) {
  testing::TempDir dir;
  eventstore::Options options;
  options.path = dir.Sub("log");
  options.unsafe_no_sync = true;
  auto store = eventstore::EventStore::Open(options);
  ASSERT_TRUE(store.ok());
  const absl::Time pick = absl::Now() + absl::Hours(48);
  for (int i = 0; i < 3; ++i) {
    v1::CaseEvent event;
    *event.mutable_car_booking()->mutable_request_received()->mutable_request() =
        commands::Request(pick, pick + absl::Hours(24)).receive_request();
    eventstore::AppendRequest request;
    request.streams.push_back({absl::StrCat("case-R", i), eventstore::ExpectedRevision::NoStream(),
                               {{"CarRequestReceived", event.SerializeAsString()}}});
    request.actor = {"alice", "agent"};
    ASSERT_TRUE((*store)->Append(request).ok());
  }
  const workflows::WorkflowRegistry& registry = workflows::WorkflowRegistry::Default();
  std::vector<std::unique_ptr<projections::Projection>> views;
  views.push_back(std::make_unique<projections::CaseProjection>(registry));
  auto view_store = projections::ViewStore::Open(dir.Sub("views"),
                                                 projections::ProjectionRunner::Families(views));
  ASSERT_TRUE(view_store.ok());
  projections::ProjectionRunner runner(store->get(), view_store->get(), std::move(views));

  // Not started: three records behind, the oldest as old as "now" says.
  const absl::Time now = absl::Now();
  ViewLag lag = ViewLagOf(**store, runner, now + absl::Seconds(60));
  EXPECT_EQ(lag.positions, 3u);
  EXPECT_GE(lag.age, absl::Seconds(59));
  EXPECT_TRUE(Readiness(**store, runner, absl::Seconds(5), now + absl::Seconds(1)).ok());
  absl::Status lagging = Readiness(**store, runner, absl::Seconds(5), now + absl::Seconds(60));
  EXPECT_EQ(lagging.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(lagging.message(), HasSubstr("3 records"));
  EXPECT_THAT(lagging.message(), HasSubstr("behind the log"));

  // Caught up: ready whatever the time.
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_TRUE(runner.WaitFor(3, absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(ViewLagOf(**store, runner, now + absl::Seconds(60)).positions, 0u);
  EXPECT_TRUE(Readiness(**store, runner, absl::Seconds(5), now + absl::Seconds(60)).ok());
  runner.Stop();
}

}  // namespace
}  // namespace tripdesk::services
