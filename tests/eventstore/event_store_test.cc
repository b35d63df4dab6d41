#include "eventstore/event_store.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventstore/keys.h"
#include "eventstore/merkle_tree.h"
#include "eventstore/record_hash.h"
#include "rocksdb/db.h"
#include "tools/proofcheck/proofcheck.h"
#include "eventstore/subscription.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace tripdesk::eventstore {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    Options options;
    options.path = dir_.Sub("db");
    options.max_queued_appends = queue_limit_;
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  static AppendRequest OneEvent(const std::string& stream, ExpectedRevision expected,
                                const std::string& command_id = "",
                                const std::string& payload = "payload") {
    AppendRequest request;
    request.streams.push_back({stream, expected, {{"TestEvent", payload}}});
    request.command_id = command_id;
    request.actor = {"agent-1", "agent"};
    return request;
  }

  absl::StatusOr<AppendOutcome> Append(const std::string& stream,
                                       ExpectedRevision expected,
                                       const std::string& command_id = "") {
    return store_->Append(OneEvent(stream, expected, command_id));
  }

  testing::TempDir dir_;
  size_t queue_limit_ = 8192;
  std::unique_ptr<EventStore> store_;
};

// The Merkle tree grows with the log in the same batches: its root is the
// RFC 9162 root of the records' chain hashes, and every proof it gives
// checks with the auditor's own verifier.
TEST_F(EventStoreTest, TheTreeCoversEveryCommittedRecordAndItsProofsVerify) {
  for (int i = 0; i < 13; ++i) {
    AppendRequest request = OneEvent(absl::StrCat("s-", i % 3), ExpectedRevision::Any());
    if (i % 4 == 0) request.streams.push_back({"s-other", ExpectedRevision::Any(), {{"E", "x"}}});
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
  }
  const uint64_t size = store_->LastPosition();
  absl::StatusOr<std::vector<Record>> records = store_->ReadAll(1, 100);
  ASSERT_TRUE(records.ok());
  std::vector<std::string> leaves;
  for (const Record& r : *records) leaves.push_back(proofcheck::LeafHash(r.hash()));
  std::vector<std::string> roots = {merkle::EmptyRoot()};
  for (uint64_t n = 1; n <= size; ++n) roots.push_back(*store_->TreeRoot(n));
  for (uint64_t n = 1; n <= size; ++n) {
    for (uint64_t position = 1; position <= n; ++position) {
      absl::StatusOr<std::vector<std::string>> proof = store_->InclusionProof(position, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(proofcheck::VerifyInclusion(position - 1, n, leaves[position - 1], *proof,
                                              roots[n]));
      EXPECT_EQ(*store_->TreeLeaf(position), leaves[position - 1]);
    }
    absl::StatusOr<std::vector<std::string>> grows = store_->ConsistencyProof(n, size);
    ASSERT_TRUE(grows.ok());
    EXPECT_TRUE(proofcheck::VerifyConsistency(n, size, roots[n], roots[size], *grows));
  }
  EXPECT_EQ(store_->TreeRoot(size + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->InclusionProof(size + 1, size).status().code(), absl::StatusCode::kOutOfRange);

  // Reopened, the tree goes on from where it was.
  Reopen();
  ASSERT_TRUE(Append("s-0", ExpectedRevision::Any()).ok());
  EXPECT_TRUE(proofcheck::VerifyConsistency(size, size + 1, roots[size],
                                            *store_->TreeRoot(size + 1),
                                            *store_->ConsistencyProof(size, size + 1)));
}

// A log written before the tree existed gets its tree built once, at open.
TEST_F(EventStoreTest, ALogWithoutATreeGetsOneBuiltFromItsRecordsAtOpen) {
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(Append("s", ExpectedRevision::Any()).ok());
  const std::string root = *store_->TreeRoot(9);
  store_.reset();
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {keys::kLogFamily, {}},
        {keys::kStreamsFamily, {}}, {keys::kCommandsFamily, {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("db"),
                                  {families[0], families[1], families[2], families[3],
                                   {keys::kTreeFamily, {}}},
                                  &handles, &db)
                    .ok());
    ASSERT_TRUE(db->DropColumnFamily(handles[4]).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  Reopen();
  EXPECT_EQ(*store_->TreeRoot(9), root);
  ASSERT_TRUE(Append("s", ExpectedRevision::Any()).ok());
  EXPECT_TRUE(store_->TreeRoot(10).ok());
}

// The issue's insider deleted the last record and its index entry; the
// retried command then answered at a position that no longer existed.
TEST_F(EventStoreTest, ALogWhoseTailWasCutBehindItsBackDoesNotOpen) {
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(Append("s", ExpectedRevision::Any()).ok());
  store_.reset();
  {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("db"),
                                  {{rocksdb::kDefaultColumnFamilyName, {}},
                                   {keys::kLogFamily, {}},
                                   {keys::kStreamsFamily, {}},
                                   {keys::kCommandsFamily, {}},
                                   {keys::kTreeFamily, {}}},
                                  &handles, &db)
                    .ok());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), handles[1], keys::LogKey(9)).ok());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), handles[2], keys::StreamKey("s", 8)).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  Options options;
  options.path = dir_.Sub("db");
  absl::StatusOr<std::unique_ptr<EventStore>> reopened = EventStore::Open(options);
  ASSERT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss) << reopened.status();
  EXPECT_THAT(std::string(reopened.status().message()),
              ::testing::HasSubstr("the log ends at position 8 but its Merkle tree holds a leaf "
                                   "for position 9"));
}

TEST_F(EventStoreTest, AssignsGaplessPositionsAndStreamRevisions) {
  ASSERT_TRUE(Append("case-a", ExpectedRevision::NoStream()).ok());
  ASSERT_TRUE(Append("case-b", ExpectedRevision::NoStream()).ok());
  absl::StatusOr<AppendOutcome> third = Append("case-a", ExpectedRevision::Exact(0));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->first_position(), 3u);
  EXPECT_EQ(third->streams(0).first_revision(), 1u);
  EXPECT_EQ(store_->LastPosition(), 3u);

  absl::StatusOr<std::vector<Record>> a = store_->ReadStream("case-a", 0, 10);
  ASSERT_TRUE(a.ok());
  ASSERT_THAT(*a, SizeIs(2));
  EXPECT_EQ((*a)[0].position(), 1u);
  EXPECT_EQ((*a)[1].position(), 3u);
  EXPECT_EQ((*a)[1].revision(), 1u);
  EXPECT_EQ((*a)[1].actor_id(), "agent-1");
  EXPECT_EQ((*a)[1].actor_role(), "agent");
  EXPECT_GT((*a)[1].recorded_at().seconds(), 0);
}

TEST_F(EventStoreTest, AnAppendPastItsDeadlineWritesNothing) {
  AppendRequest late = OneEvent("case-late", ExpectedRevision::NoStream(), "cmd-late");
  late.deadline = absl::Now() - absl::Milliseconds(1);
  absl::StatusOr<AppendOutcome> refused = store_->Append(late);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(store_->LastPosition(), 0u);
  // Not remembered either: the same command id with time to spare commits.
  late.deadline = absl::Now() + absl::Seconds(10);
  ASSERT_TRUE(store_->Append(late).ok());
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, ExpectedRevisionFormsAreEnforced) {
  EXPECT_EQ(Append("case-a", ExpectedRevision::StreamExists()).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(Append("case-a", ExpectedRevision::Exact(0)).status().code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(Append("case-a", ExpectedRevision::NoStream()).ok());
  EXPECT_EQ(Append("case-a", ExpectedRevision::NoStream()).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(Append("case-a", ExpectedRevision::Exact(5)).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_TRUE(Append("case-a", ExpectedRevision::StreamExists()).ok());
  EXPECT_TRUE(Append("case-a", ExpectedRevision::Any()).ok());
  EXPECT_TRUE(Append("case-a", ExpectedRevision::Exact(2)).ok());
  EXPECT_EQ(store_->LastPosition(), 4u);
}

TEST_F(EventStoreTest, RacingWritersForTheSameRevisionExactlyOneWins) {
  ASSERT_TRUE(Append("case-race", ExpectedRevision::NoStream()).ok());
  constexpr int kThreads = 16;
  std::latch start(kThreads);
  std::atomic<int> won{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      absl::StatusOr<AppendOutcome> r = Append("case-race", ExpectedRevision::Exact(0));
      if (r.ok()) ++won;
      if (r.status().code() == absl::StatusCode::kAborted) ++aborted;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(aborted.load(), kThreads - 1);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_F(EventStoreTest, ConflictOnOneStreamWritesNothingToAny) {
  ASSERT_TRUE(Append("case-a", ExpectedRevision::NoStream()).ok());
  AppendRequest request;
  request.streams.push_back(
      {"case-b", ExpectedRevision::NoStream(), {{"Opened", "x"}, {"Noted", "y"}}});
  request.streams.push_back({"case-a", ExpectedRevision::Exact(7), {{"Noted", "z"}}});
  absl::StatusOr<AppendOutcome> r = store_->Append(request);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->LastPosition(), 1u);
  EXPECT_EQ(store_->GetStreamHead("case-b").status().code(), absl::StatusCode::kNotFound);

  request.streams[1].expected = ExpectedRevision::Exact(0);
  r = store_->Append(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first_position(), 2u);
  EXPECT_EQ(r->last_position(), 4u);
  EXPECT_EQ(r->streams(0).last_revision(), 1u);
  EXPECT_EQ(r->streams(1).first_position(), 4u);
}

TEST_F(EventStoreTest, RetriedCommandIdReturnsFirstOutcomeAndWritesNothing) {
  absl::StatusOr<AppendOutcome> first =
      Append("case-a", ExpectedRevision::NoStream(), "cmd-1");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate());
  // The retry would conflict if it were decided again: it must not be.
  absl::StatusOr<AppendOutcome> retry =
      Append("case-a", ExpectedRevision::NoStream(), "cmd-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->first_position(), first->first_position());
  EXPECT_EQ(store_->LastPosition(), 1u);

  Reopen();
  retry = Append("case-a", ExpectedRevision::NoStream(), "cmd-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, ACommandIdReusedWithAnotherFingerprintIsRefusedAndWritesNothing) {
  AppendRequest first = OneEvent("case-a", ExpectedRevision::NoStream(), "cmd-1");
  first.command_fingerprint = "identify_car by alice";
  ASSERT_TRUE(store_->Append(first).ok());
  AppendRequest other = OneEvent("case-a", ExpectedRevision::Any(), "cmd-1", "another payload");
  other.command_fingerprint = "record_il_check by alice";
  absl::StatusOr<AppendOutcome> refused = store_->Append(other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(refused.status().message(),
            "command_id: 'cmd-1' was already used for another command; a retry repeats the same "
            "command as the same caller. Choose a new id for a new command");
  EXPECT_EQ(store_->LastPosition(), 1u);
  // The same fingerprint is a retry; none (an old client of the store)
  // cannot be told apart and is answered as one.
  absl::StatusOr<AppendOutcome> retry = store_->Append(first);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->command_fingerprint(), "identify_car by alice");
  other.command_fingerprint.clear();
  EXPECT_TRUE(store_->Append(other)->duplicate());
  // Kept across a restart, with the id.
  Reopen();
  other.command_fingerprint = "record_il_check by bob";
  EXPECT_EQ(store_->Append(other).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, TwoCommandsRacingWithOneIdInOneBatchOneWinsTheOtherIsRefused) {
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> written{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      AppendRequest request = OneEvent("case-a", ExpectedRevision::Any(), "cmd-race");
      request.command_fingerprint = absl::StrCat("command ", i);
      start.arrive_and_wait();
      absl::StatusOr<AppendOutcome> r = store_->Append(request);
      if (r.ok()) {
        EXPECT_FALSE(r->duplicate());
        ++written;
      } else {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(written.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, ConcurrentRetriesOfOneCommandWriteOnce) {
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> originals{0};
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      absl::StatusOr<AppendOutcome> r =
          Append("case-a", ExpectedRevision::Any(), "cmd-same");
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->first_position(), 1u);
      (r->duplicate() ? duplicates : originals)++;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(originals.load(), 1);
  EXPECT_EQ(duplicates.load(), kThreads - 1);
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, PositionsStayGaplessUnderEightConcurrentWriters) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  std::vector<std::vector<uint64_t>> positions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AppendRequest request = OneEvent(absl::StrCat("case-", t, "-", i % 7),
                                         ExpectedRevision::Any());
        request.streams[0].events.push_back({"Second", "2"});
        absl::StatusOr<AppendOutcome> r = store_->Append(request);
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_EQ(r->last_position(), r->first_position() + 1);
        positions[t].push_back(r->first_position());
        positions[t].push_back(r->last_position());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<uint64_t> all;
  for (const auto& p : positions) all.insert(all.end(), p.begin(), p.end());
  std::sort(all.begin(), all.end());
  ASSERT_THAT(all, SizeIs(kThreads * kPerThread * 2));
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1);

  uint64_t expected = 1;
  std::unique_ptr<LogIterator> it = store_->ScanAll(0);
  for (;;) {
    absl::StatusOr<std::optional<Record>> r = it->Next();
    ASSERT_TRUE(r.ok());
    if (!r->has_value()) break;
    ASSERT_EQ((*r)->position(), expected++);
  }
  EXPECT_EQ(expected, all.size() + 1);
}

TEST_F(EventStoreTest, SubscriptionCatchesUpThenGoesLiveWithoutGapOrDuplicate) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(Append(absl::StrCat("case-", i % 5), ExpectedRevision::Any()).ok());
  }
  constexpr uint64_t kTotal = 1300;
  std::thread writer([&] {
    for (int i = 300; i < static_cast<int>(kTotal); ++i) {
      ASSERT_TRUE(Append(absl::StrCat("case-", i % 5), ExpectedRevision::Any()).ok());
    }
  });
  Subscription subscription(store_.get(), 1, /*page_size=*/64);
  uint64_t expected = 1;
  while (expected <= kTotal) {
    absl::StatusOr<std::optional<Record>> r =
        subscription.Next(absl::Now() + absl::Seconds(10));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->has_value()) << "timed out waiting for position " << expected;
    ASSERT_EQ((*r)->position(), expected);
    ++expected;
  }
  writer.join();
  absl::StatusOr<std::optional<Record>> none =
      subscription.Next(absl::Now() + absl::Milliseconds(50));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(EventStoreTest, WatchFiresAfterCommitAndCancelledWatchDoesNot) {
  std::atomic<int> fired{0};
  EventStore::WatchId cancelled = store_->WatchCommitted(0, [&] { fired += 100; });
  EXPECT_TRUE(store_->CancelWatch(cancelled));
  std::latch done(1);
  store_->WatchCommitted(0, [&] {
    ++fired;
    done.count_down();
  });
  ASSERT_TRUE(Append("case-a", ExpectedRevision::Any()).ok());
  done.wait();
  EXPECT_EQ(fired.load(), 1);
}

TEST_F(EventStoreTest, HashChainLinksEachRecordToThePreviousOfItsStream) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Append(absl::StrCat("case-", i % 3), ExpectedRevision::Any()).ok());
  }
  for (int s = 0; s < 3; ++s) {
    const std::string stream = absl::StrCat("case-", s);
    absl::StatusOr<std::vector<Record>> records = store_->ReadStream(stream, 0, 100);
    ASSERT_TRUE(records.ok());
    std::string previous = GenesisHash();
    for (const Record& r : *records) {
      EXPECT_EQ(r.hash(), ComputeRecordHash(previous, r)) << stream << "@" << r.revision();
      previous = r.hash();
    }
    absl::StatusOr<StreamHead> head = store_->GetStreamHead(stream);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->hash, previous);
  }
  // Altering any field breaks the chain.
  absl::StatusOr<std::vector<Record>> records = store_->ReadStream("case-0", 0, 1);
  ASSERT_TRUE(records.ok());
  Record altered = (*records)[0];
  altered.set_payload("tampered");
  EXPECT_NE(ComputeRecordHash(GenesisHash(), altered), altered.hash());
}

TEST_F(EventStoreTest, ReopenKeepsEverythingAndContinuesTheChain) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Append("case-a", ExpectedRevision::Any(), absl::StrCat("c", i)).ok());
  }
  absl::StatusOr<std::vector<Record>> before = store_->ReadAll(1, 100);
  ASSERT_TRUE(before.ok());
  Reopen();
  EXPECT_EQ(store_->LastPosition(), 10u);
  absl::StatusOr<std::vector<Record>> after = store_->ReadAll(1, 100);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < before->size(); ++i) {
    EXPECT_EQ((*after)[i].SerializeAsString(), (*before)[i].SerializeAsString());
  }
  absl::StatusOr<AppendOutcome> next = Append("case-a", ExpectedRevision::Exact(9));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->first_position(), 11u);
  absl::StatusOr<std::vector<Record>> last = store_->ReadStream("case-a", 10, 1);
  ASSERT_TRUE(last.ok());
  ASSERT_THAT(*last, SizeIs(1));
  EXPECT_EQ((*last)[0].hash(), ComputeRecordHash(before->back().hash(), (*last)[0]));
}

TEST_F(EventStoreTest, MalformedAppendsAreRefusedWithTheFieldNamed) {
  struct Case {
    std::string name;
    AppendRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({"no streams", AppendRequest{}, "streams"});
  cases.push_back({"empty stream name", OneEvent("", ExpectedRevision::Any()),
                   "streams[0].stream"});
  cases.push_back({"over-long stream name",
                   OneEvent(std::string(201, 'x'), ExpectedRevision::Any()),
                   "streams[0].stream"});
  cases.push_back({"NUL in stream name",
                   OneEvent(std::string("case\0x", 6), ExpectedRevision::Any()),
                   "streams[0].stream"});
  AppendRequest no_events = OneEvent("case-a", ExpectedRevision::Any());
  no_events.streams[0].events.clear();
  cases.push_back({"no events", no_events, "streams[0].events"});
  AppendRequest twice = OneEvent("case-a", ExpectedRevision::Any());
  twice.streams.push_back(twice.streams[0]);
  cases.push_back({"same stream twice", twice, "streams[1].stream"});
  AppendRequest bad_type = OneEvent("case-a", ExpectedRevision::Any());
  bad_type.streams[0].events[0].event_type = "";
  cases.push_back({"empty event type", bad_type, "streams[0].events[0].event_type"});
  cases.push_back({"oversized payload",
                   OneEvent("case-a", ExpectedRevision::Any(), "",
                            std::string((1 << 20) + 1, 'p')),
                   "streams[0].events[0].payload"});
  AppendRequest too_many = OneEvent("case-a", ExpectedRevision::Any());
  too_many.streams[0].events.assign(1001, {"E", ""});
  cases.push_back({"too many events", too_many, "streams"});
  cases.push_back({"command id with a space",
                   OneEvent("case-a", ExpectedRevision::Any(), "cmd 1"), "command_id"});

  for (const Case& c : cases) {
    absl::StatusOr<AppendOutcome> r = store_->Append(c.request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(absl::StartsWith(r.status().message(), c.field))
        << c.name << ": " << r.status().message();
  }
  EXPECT_EQ(store_->LastPosition(), 0u);
}

TEST_F(EventStoreTest, ReadsPastTheEndAreEmptyAndUnknownStreamsAreNotFound) {
  ASSERT_TRUE(Append("case-a", ExpectedRevision::Any()).ok());
  absl::StatusOr<std::vector<Record>> past = store_->ReadAll(99, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
  absl::StatusOr<std::vector<Record>> stream = store_->ReadStream("case-a", 5, 10);
  ASSERT_TRUE(stream.ok());
  EXPECT_TRUE(stream->empty());
  absl::StatusOr<std::vector<Record>> unknown = store_->ReadStream("case-zz", 0, 10);
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->empty());
  EXPECT_EQ(store_->GetStreamHead("case-zz").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ReadStream("", 0, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, FullQueueAnswersResourceExhausted) {
  queue_limit_ = 0;
  Reopen();
  EXPECT_EQ(Append("case-a", ExpectedRevision::Any()).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->LastPosition(), 0u);
}

TEST_F(EventStoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  Options options;
  options.path = dir_.Sub("db");
  absl::StatusOr<std::unique_ptr<EventStore>> second = EventStore::Open(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), ::testing::HasSubstr("in use"));
}

TEST(EventStoreOpen, UnusableDirectoryIsRefused) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("file")) << "not a directory";
  Options options;
  options.path = dir.Sub("file") + "/db";
  EXPECT_EQ(EventStore::Open(options).status().code(), absl::StatusCode::kUnavailable);
  options.path = "";
  EXPECT_EQ(EventStore::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tripdesk::eventstore
