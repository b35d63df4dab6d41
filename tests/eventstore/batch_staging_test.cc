// Batch staging on one thread: in-memory heads and command outcomes in, the
// staged writes and each append's result out. No RocksDB, no threads.
#include "eventstore/batch_staging.h"

#include <map>
#include <string>
#include <vector>

#include "eventstore/keys.h"
#include "eventstore/record_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tripdesk::eventstore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class MemorySource final : public StagingSource {
 public:
  absl::StatusOr<std::optional<StreamHead>> StoredHead(const std::string& stream) override {
    ++head_reads;
    if (!failure.ok()) return failure;
    auto it = heads.find(stream);
    if (it == heads.end()) return std::optional<StreamHead>();
    return std::optional<StreamHead>(it->second);
  }
  absl::StatusOr<std::optional<std::string>> StoredCommand(
      const std::string& command_id) override {
    auto it = commands.find(command_id);
    if (it == commands.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  std::map<std::string, StreamHead> heads;
  std::map<std::string, std::string> commands;
  absl::Status failure;
  int head_reads = 0;
};

class MemorySink final : public StagingSink {
 public:
  void PutRecord(uint64_t position, const std::string& record) override {
    Record& r = records[position];
    ASSERT_TRUE(r.ParseFromString(record));
  }
  void PutIndex(const std::string& stream, uint64_t revision,
                const std::string& value) override {
    index.push_back({stream, revision, value});
  }
  void PutCommand(const std::string& command_id, const std::string& outcome) override {
    commands[command_id] = outcome;
  }
  void PutTreeNode(int level, uint64_t index, const std::string& hash) override {
    tree[{level, index}] = hash;
  }

  struct IndexEntry {
    std::string stream;
    uint64_t revision;
    std::string value;
  };
  std::map<uint64_t, Record> records;
  std::vector<IndexEntry> index;
  std::map<std::string, std::string> commands;
  std::map<std::pair<int, uint64_t>, std::string> tree;
};

AppendRequest Append(const std::string& stream, ExpectedRevision expected, int events = 1,
                     const std::string& command_id = "") {
  AppendRequest request;
  StreamAppend sa{stream, expected, {}};
  for (int i = 0; i < events; ++i) sa.events.push_back({"TestEvent", "payload"});
  request.streams.push_back(std::move(sa));
  request.command_id = command_id;
  request.actor = {"agent-1", "agent"};
  return request;
}

class BatchStagingTest : public ::testing::Test {
 protected:
  std::vector<absl::StatusOr<AppendOutcome>> Stage(const std::vector<AppendRequest>& requests) {
    std::vector<const AppendRequest*> pointers;
    for (const AppendRequest& r : requests) pointers.push_back(&r);
    next_ = stager_.Stage(pointers, next_, absl::Now(), source_, sink_);
    return stager_.TakeResults();
  }

  Options options_;
  BatchStager stager_{options_, merkle::Frontier()};
  MemorySource source_;
  MemorySink sink_;
  uint64_t next_ = 1;
};

TEST_F(BatchStagingTest, GivesAcceptedAppendsGaplessPositionsAndChainsHashesPerStream) {
  std::vector<absl::StatusOr<AppendOutcome>> results =
      Stage({Append("case-a", ExpectedRevision::NoStream(), 2),
             Append("case-b", ExpectedRevision::NoStream()),
             Append("case-a", ExpectedRevision::Exact(1))});
  ASSERT_THAT(results, SizeIs(3));
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(results[0]->first_position(), 1u);
  EXPECT_EQ(results[0]->last_position(), 2u);
  EXPECT_EQ(results[1]->first_position(), 3u);
  // The third saw the first's staged head, not the (empty) store.
  EXPECT_EQ(results[2]->streams(0).first_revision(), 2u);
  EXPECT_EQ(next_, 5u);

  ASSERT_THAT(sink_.records, SizeIs(4));
  std::string previous = GenesisHash();
  for (uint64_t position : {1u, 2u, 4u}) {
    const Record& r = sink_.records[position];
    EXPECT_EQ(r.stream(), "case-a");
    EXPECT_EQ(r.hash(), ComputeRecordHash(previous, r)) << position;
    previous = r.hash();
  }
  // Each record is a leaf of the log's Merkle tree, its data the chain hash;
  // completed subtrees are staged with it.
  EXPECT_EQ(sink_.tree[std::make_pair(0, uint64_t{3})], merkle::LeafHash(sink_.records[4].hash()));
  EXPECT_EQ(sink_.tree[std::make_pair(2, uint64_t{0})],
            merkle::NodeHash(merkle::NodeHash(merkle::LeafHash(sink_.records[1].hash()),
                                              merkle::LeafHash(sink_.records[2].hash())),
                             merkle::NodeHash(merkle::LeafHash(sink_.records[3].hash()),
                                              merkle::LeafHash(sink_.records[4].hash()))));
  EXPECT_THAT(sink_.tree, SizeIs(7));  // 4 leaves, 2 pairs, 1 of four
  ASSERT_THAT(sink_.index, SizeIs(4));
  EXPECT_EQ(sink_.index[3].stream, "case-a");
  EXPECT_EQ(sink_.index[3].revision, 2u);
  EXPECT_EQ(sink_.index[3].value, keys::EncodeU64(4) + previous);
}

TEST_F(BatchStagingTest, AConflictOnAnyStreamStagesNothingOfThatAppend) {
  source_.heads["case-b"] = StreamHead{3, 10, std::string(kHashBytes, 'x')};
  AppendRequest both = Append("case-a", ExpectedRevision::NoStream());
  both.streams.push_back({"case-b", ExpectedRevision::Exact(2), {{"TestEvent", "p"}}});
  std::vector<absl::StatusOr<AppendOutcome>> results =
      Stage({both, Append("case-c", ExpectedRevision::NoStream())});
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(results[0].status().message(),
              ::testing::HasSubstr("stream 'case-b': expected revision 2 but it is at revision 3"));
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->first_position(), 1u);
  ASSERT_THAT(sink_.index, SizeIs(1));
  EXPECT_EQ(sink_.index[0].stream, "case-c");
}

TEST_F(BatchStagingTest, ARepeatedCommandIdIsAnsweredWithItsOriginalAndWritesOnce) {
  std::vector<absl::StatusOr<AppendOutcome>> results =
      Stage({Append("case-a", ExpectedRevision::NoStream(), 1, "cmd-1"),
             Append("case-a", ExpectedRevision::NoStream(), 1, "cmd-1")});
  ASSERT_TRUE(results[0].ok());
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_FALSE(results[0]->duplicate());
  EXPECT_TRUE(results[1]->duplicate());
  EXPECT_EQ(results[1]->first_position(), results[0]->first_position());
  EXPECT_THAT(sink_.records, SizeIs(1));
  EXPECT_THAT(sink_.commands, SizeIs(1));
}

TEST_F(BatchStagingTest, ACommandIdReusedForAnotherCommandIsRefused) {
  AppendRequest first = Append("case-a", ExpectedRevision::NoStream(), 1, "cmd-1");
  first.command_fingerprint = "one";
  AppendRequest other = Append("case-b", ExpectedRevision::NoStream(), 1, "cmd-1");
  other.command_fingerprint = "two";
  std::vector<absl::StatusOr<AppendOutcome>> results = Stage({first, other});
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(sink_.records, SizeIs(1));
}

TEST_F(BatchStagingTest, ACommandAlreadyStoredIsADuplicateAndWritesNothing) {
  AppendOutcome stored;
  stored.set_first_position(7);
  stored.set_last_position(7);
  source_.commands["cmd-1"] = stored.SerializeAsString();
  std::vector<absl::StatusOr<AppendOutcome>> results =
      Stage({Append("case-a", ExpectedRevision::NoStream(), 1, "cmd-1")});
  ASSERT_TRUE(results[0].ok());
  EXPECT_TRUE(results[0]->duplicate());
  EXPECT_EQ(results[0]->first_position(), 7u);
  EXPECT_THAT(sink_.records, IsEmpty());
  EXPECT_EQ(next_, 1u);
}

TEST_F(BatchStagingTest, AnAppendPastItsDeadlineWritesNothing) {
  AppendRequest late = Append("case-a", ExpectedRevision::Any());
  late.deadline = absl::Now() - absl::Seconds(1);
  std::vector<absl::StatusOr<AppendOutcome>> results = Stage({late});
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(sink_.records, IsEmpty());
}

TEST_F(BatchStagingTest, AFailedReadOfAHeadFailsThatAppendOnly) {
  source_.failure = absl::UnavailableError("disk gone");
  std::vector<absl::StatusOr<AppendOutcome>> results =
      Stage({Append("case-a", ExpectedRevision::Any())});
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(sink_.records, IsEmpty());
}

TEST_F(BatchStagingTest, CommittedHeadsAreCachedAndAFailedWriteForgetsThem) {
  ASSERT_TRUE(Stage({Append("case-a", ExpectedRevision::NoStream())})[0].ok());
  stager_.Committed();
  EXPECT_EQ(source_.head_reads, 1);
  ASSERT_TRUE(Stage({Append("case-a", ExpectedRevision::Exact(0))})[0].ok());
  stager_.Committed();
  EXPECT_EQ(source_.head_reads, 1);  // served from the cache

  std::vector<const AppendRequest*> pointers;
  AppendRequest again = Append("case-a", ExpectedRevision::Exact(1));
  pointers.push_back(&again);
  stager_.Stage(pointers, next_, absl::Now(), source_, sink_);
  stager_.WriteFailed(absl::UnavailableError("no space"));
  std::vector<absl::StatusOr<AppendOutcome>> failed = stager_.TakeResults();
  EXPECT_THAT(failed, ElementsAre(::testing::Property(&absl::StatusOr<AppendOutcome>::status,
                                                      absl::UnavailableError("no space"))));
  ASSERT_TRUE(Stage({Append("case-a", ExpectedRevision::Any())})[0].ok());
  EXPECT_EQ(source_.head_reads, 2);  // the cache was cleared: read again
}

}  // namespace
}  // namespace tripdesk::eventstore
