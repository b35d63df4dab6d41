// A view whose version changed is rebuilt beside the old one while the old
// rows keep serving, then swapped in.
#include "projections/projection_runner.h"

#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/case_projection.h"
#include "projections/queries.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/temp_dir.h"
#include "workflows/registry.h"

namespace tripdesk::projections {
namespace {

// The case view under a new version number, whose Apply waits for a gate.
// The next version of the case projection, which builds only when opened.
class GatedNextCaseProjection final : public Projection {
 public:
  explicit GatedNextCaseProjection(const workflows::WorkflowRegistry& registry) : inner_(registry) {}
  std::string name() const override { return inner_.name(); }
  int version() const override { return inner_.version() + 1; }
  std::vector<std::string> families() const override { return inner_.families(); }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    return inner_.Apply(record, event, txn);
  }
  absl::Status Flush(ViewTxn& txn) override { return inner_.Flush(txn); }
  void Discard() override { inner_.Discard(); }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  CaseProjection inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class ProjectionRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventstore::Options options;
    options.path = dir_.Sub("log");
    auto store = eventstore::EventStore::Open(options);
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
    const absl::Time pick = absl::Now() + absl::Hours(48);
    for (int i = 0; i < 5; ++i) {
      v1::CaseEvent event;
      *event.mutable_car_booking()->mutable_request_received()->mutable_request() =
          commands::Request(pick, pick + absl::Hours(24)).receive_request();
      eventstore::AppendRequest request;
      request.streams.push_back({absl::StrCat("case-V", i), eventstore::ExpectedRevision::NoStream(),
                                 {{"CarRequestReceived", event.SerializeAsString()}}});
      request.actor = {"alice", "agent"};
      ASSERT_TRUE(store_->Append(request).ok());
    }
  }

  std::unique_ptr<ViewStore> OpenViews(const std::vector<std::unique_ptr<Projection>>& projections) {
    auto views = ViewStore::Open(dir_.Sub("views"), ProjectionRunner::Families(projections));
    EXPECT_TRUE(views.ok()) << views.status();
    return views.ok() ? *std::move(views) : nullptr;
  }

  const workflows::WorkflowRegistry& registry_ = workflows::WorkflowRegistry::Default();
  const int version_ = CaseProjection(registry_).version();
  const std::string current_ = ProjectionRunner::VersionedFamily(kCaseStateFamily, version_);
  const std::string next_ = ProjectionRunner::VersionedFamily(kCaseStateFamily, version_ + 1);
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
};

TEST_F(ProjectionRunnerTest, ANewVersionIsBuiltBesideTheOldOneAndSwappedInWhenCaughtUp) {
  {
    std::vector<std::unique_ptr<Projection>> current;
    current.push_back(std::make_unique<CaseProjection>(registry_));
    std::unique_ptr<ViewStore> views = OpenViews(current);
    ProjectionRunner runner(store_.get(), views.get(), std::move(current));
    ASSERT_TRUE(runner.Start().ok());
    ASSERT_TRUE(runner.WaitFor(5, absl::Now() + absl::Seconds(10)).ok());
    EXPECT_EQ(runner.ServingFamily(kCaseStateFamily), current_);
  }

  std::vector<std::unique_ptr<Projection>> next;
  auto gated = std::make_unique<GatedNextCaseProjection>(registry_);
  GatedNextCaseProjection* gate = gated.get();
  next.push_back(std::move(gated));
  std::unique_ptr<ViewStore> views = OpenViews(next);
  ProjectionRunner runner(store_.get(), views.get(), std::move(next));
  ASSERT_TRUE(runner.Start().ok());
  CaseQueries queries(views.get(), registry_,
                      [&](absl::string_view base) { return runner.ServingFamily(base); });

  // While the next version is being built, the current one answers.
  EXPECT_EQ(runner.ServingFamily(kCaseStateFamily), current_);
  absl::StatusOr<v1::CaseView> old_view = queries.GetCase("V3");
  ASSERT_TRUE(old_view.ok()) << old_view.status();
  EXPECT_EQ(old_view->state(), "REQUEST_RECEIVED");
  EXPECT_EQ(runner.WaitFor(5, absl::Now() + absl::Milliseconds(200)).code(),
            absl::StatusCode::kDeadlineExceeded);

  gate->Open();
  ASSERT_TRUE(runner.WaitFor(5, absl::Now() + absl::Seconds(10)).ok());
  for (int i = 0; i < 100 && runner.ServingFamily(kCaseStateFamily) != next_; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(runner.ServingFamily(kCaseStateFamily), next_);
  EXPECT_FALSE(views->HasFamily(current_));
  absl::StatusOr<v1::CaseView> new_view = queries.GetCase("V3");
  ASSERT_TRUE(new_view.ok());
  EXPECT_EQ(new_view->SerializeAsString(), old_view->SerializeAsString());
  absl::StatusOr<v1::ListCasesResponse> list = queries.ListCases({});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->cases_size(), 5);
}

TEST_F(ProjectionRunnerTest, RebuildOfAnUnknownViewIsNotFound) {
  std::vector<std::unique_ptr<Projection>> v1;
  v1.push_back(std::make_unique<CaseProjection>(registry_));
  std::unique_ptr<ViewStore> views = OpenViews(v1);
  ProjectionRunner runner(store_.get(), views.get(), std::move(v1));
  ASSERT_TRUE(runner.Start().ok());
  EXPECT_EQ(runner.RequestRebuild("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(runner.Rebuild("cases", absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(runner.Checkpoint(), 5u);
}

// Under load the runner gathers the log for a while before applying it; a
// reader waiting for a position must not wait that out.
TEST_F(ProjectionRunnerTest, AWaitingReaderCutsTheLingerShort) {
  std::vector<std::unique_ptr<Projection>> v1;
  v1.push_back(std::make_unique<CaseProjection>(registry_));
  std::unique_ptr<ViewStore> views = OpenViews(v1);
  ProjectionRunner runner(store_.get(), views.get(), std::move(v1), absl::Hours(1));
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_TRUE(runner.WaitFor(5, absl::Now() + absl::Seconds(10)).ok());

  // The runner now lingers (an hour); a new record and a reader for it.
  v1::CaseEvent event;
  event.mutable_car_booking()->mutable_note_added()->set_text("late note");
  eventstore::AppendRequest request;
  request.streams.push_back({"case-V1", eventstore::ExpectedRevision::Exact(0),
                             {{"NoteAdded", event.SerializeAsString()}}});
  request.actor = {"alice", "agent"};
  ASSERT_TRUE(store_->Append(request).ok());
  EXPECT_TRUE(runner.WaitFor(6, absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(runner.Checkpoint(), 6u);
}

}  // namespace
}  // namespace tripdesk::projections
