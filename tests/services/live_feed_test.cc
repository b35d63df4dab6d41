// LiveFeed: offered the log's pages as the views apply them, it fans each
// batch of case changes out to every watcher; a rebuild's old pages are
// passed over; a slow watcher gets its batches merged and, past the bound,
// a count of what it missed; stopping ends every watch.
#include "services/live_feed.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "workflows/streams.h"

namespace tripdesk::services {
namespace {

class LiveFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventstore::Options options;
    options.path = dir_.Sub("log");
    options.unsafe_no_sync = true;
    auto store = eventstore::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Appends one event and offers it to `feed` as the views would.
  void Append(LiveFeed& feed, const std::string& stream, const std::string& type = "NoteAdded") {
    eventstore::AppendRequest append;
    append.streams.push_back({stream, eventstore::ExpectedRevision::Any(), {{type, "x"}}});
    append.actor = {"alice", "agent"};
    absl::StatusOr<eventstore::AppendOutcome> done = store_->Append(append);
    ASSERT_TRUE(done.ok());
    absl::StatusOr<std::vector<eventstore::Record>> page = store_->ReadAll(done->first_position(), 10);
    ASSERT_TRUE(page.ok());
    feed.Offer(*page);
  }

  // Batches until `cases` distinct cases were reported (or 5 s pass).
  v1::CaseChanges Collect(LiveFeed::Watcher& watcher, size_t cases) {
    v1::CaseChanges all;
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    while (static_cast<size_t>(all.changes_size()) < cases && absl::Now() < give_up) {
      absl::StatusOr<v1::CaseChanges> next = watcher.Next(give_up);
      EXPECT_TRUE(next.ok()) << next.status();
      if (!next.ok()) break;
      all.MergeFrom(*next);
    }
    return all;
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
};

TEST_F(LiveFeedTest, EveryWatcherHearsOfEachCaseChangedOnlyCaseStreamsAndTheLastChangeOfEach) {
  LiveFeed feed({absl::Milliseconds(50), 100});
  Append(feed, workflows::CaseStream("BEFORE"));  // applied before the watch: not reported
  std::unique_ptr<LiveFeed::Watcher> a = feed.Watch("");
  std::unique_ptr<LiveFeed::Watcher> b = feed.Watch("");
  EXPECT_EQ(feed.watchers(), 2u);
  Append(feed, workflows::CaseStream("C1"), "CarRequestReceived");
  Append(feed, workflows::UnitStream("304359"));  // not a case
  Append(feed, workflows::CaseStream("C2"));
  Append(feed, workflows::CaseStream("C1"), "CarIdentified");
  // A rebuild offers the views' old pages again: nothing new to report.
  absl::StatusOr<std::vector<eventstore::Record>> all = store_->ReadAll(1, 100);
  ASSERT_TRUE(all.ok());
  feed.Offer(*all);
  for (LiveFeed::Watcher* w : {a.get(), b.get()}) {
    v1::CaseChanges seen = Collect(*w, 2);
    ASSERT_EQ(seen.changes_size(), 2);
    // Each case once, at its last change (C1 at revision 1).
    EXPECT_EQ(seen.changes(0).case_id(), "C1");
    EXPECT_EQ(seen.changes(0).event_type(), "CarIdentified");
    EXPECT_EQ(seen.changes(0).revision(), 1u);
    EXPECT_EQ(seen.changes(0).actor(), "alice");
    EXPECT_EQ(seen.changes(1).case_id(), "C2");
    EXPECT_EQ(seen.dropped(), 0u);
    EXPECT_EQ(seen.position(), store_->LastPosition());
  }
}

TEST_F(LiveFeedTest, AWatchOfOneCaseHearsOnlyThatCase) {
  LiveFeed feed({absl::Milliseconds(20), 100});
  std::unique_ptr<LiveFeed::Watcher> one = feed.Watch("C2");
  Append(feed, workflows::CaseStream("C1"));
  absl::SleepFor(absl::Milliseconds(100));  // C1's batch is handed out alone
  Append(feed, workflows::CaseStream("C2"));
  // One answer, C2's: the batch of C1 alone woke the watch, which waited on.
  absl::StatusOr<v1::CaseChanges> seen = one->Next(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->changes_size(), 1);
  EXPECT_EQ(seen->changes(0).case_id(), "C2");
}

TEST_F(LiveFeedTest, ASlowWatcherGetsAtMostTheBoundAndACountOfWhatItMissed) {
  LiveFeed feed({absl::Milliseconds(1), 5});
  std::unique_ptr<LiveFeed::Watcher> slow = feed.Watch("");
  for (int i = 0; i < 40; ++i) {
    Append(feed, workflows::CaseStream("C" + std::to_string(i)));
    absl::SleepFor(absl::Milliseconds(2));  // batches of a few cases each
  }
  // Let every batch reach the mailbox before reading once.
  absl::SleepFor(absl::Milliseconds(500));
  absl::StatusOr<v1::CaseChanges> got = slow->Next(absl::Now() + absl::Seconds(1));
  ASSERT_TRUE(got.ok());
  EXPECT_LE(got->changes_size(), 5);
  EXPECT_GT(got->dropped(), 0u);
  EXPECT_EQ(static_cast<uint64_t>(got->changes_size()) + got->dropped(), 40u);
}

TEST_F(LiveFeedTest, AQuietWatchAnswersAnEmptyBatchAtItsDeadline) {
  LiveFeed feed;
  std::unique_ptr<LiveFeed::Watcher> w = feed.Watch("");
  absl::StatusOr<v1::CaseChanges> got = w->Next(absl::Now() + absl::Milliseconds(100));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->changes_size(), 0);
}

TEST_F(LiveFeedTest, StoppingEndsEveryWatchAndTheFollowerLeavesWhenNobodyWatches) {
  auto feed = std::make_unique<LiveFeed>();
  std::unique_ptr<LiveFeed::Watcher> w = feed->Watch("");
  { std::unique_ptr<LiveFeed::Watcher> gone = feed->Watch(""); }
  EXPECT_EQ(feed->watchers(), 1u);
  feed->Stop();
  EXPECT_EQ(w->Next(absl::Now() + absl::Seconds(5)).status().code(), absl::StatusCode::kUnavailable);
  // A watch begun after the stop ends at once; the watcher outlives the feed.
  std::unique_ptr<LiveFeed::Watcher> late = feed->Watch("");
  feed.reset();
  EXPECT_EQ(late->Next(absl::Now() + absl::Seconds(5)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tripdesk::services
