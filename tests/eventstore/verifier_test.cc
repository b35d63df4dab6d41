// Tampering with stored records directly in RocksDB is found by the
// verifier, which names the record.
#include "eventstore/verifier.h"

#include "absl/strings/str_cat.h"
#include "eventstore/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/testing/temp_dir.h"

namespace tripdesk::eventstore {
namespace {

using ::testing::HasSubstr;

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    for (int i = 0; i < 30; ++i) {
      AppendRequest request;
      request.streams.push_back({absl::StrCat("case-", i % 3), ExpectedRevision::Any(),
                                 {{"Noted", absl::StrCat("note ", i)}}});
      ASSERT_TRUE(store_->Append(request).ok());
    }
  }

  void Open() {
    Options options;
    options.path = dir_.Sub("db");
    auto store = EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Closes the store, lets `edit` change the log column family, reopens.
  void Tamper(const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle*)>& edit) {
    TamperFamilies([&](rocksdb::DB* db, const Families& families) { edit(db, families[1]); });
  }

  // The handles in keys' order: default, log, streams, commands, tree.
  using Families = std::vector<rocksdb::ColumnFamilyHandle*>;
  void TamperFamilies(const std::function<void(rocksdb::DB*, const Families&)>& edit) {
    store_.reset();
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {keys::kLogFamily, {}},
        {keys::kStreamsFamily, {}}, {keys::kCommandsFamily, {}}, {keys::kTreeFamily, {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("db"), families, &handles, &db).ok());
    edit(db, handles);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
    Open();
  }

  testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(VerifierTest, AnIntactLogVerifiesWithProgress) {
  int calls = 0;
  absl::StatusOr<VerifyReport> report =
      VerifyLog(*store_, [&](const VerifyReport&) { return ++calls > 0; }, 10);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->problem.has_value());
  EXPECT_EQ(report->records_checked, 30u);
  EXPECT_EQ(calls, 3);
  absl::StatusOr<VerifyReport> stream = VerifyStream(*store_, "case-1");
  ASSERT_TRUE(stream.ok());
  EXPECT_FALSE(stream->problem.has_value());
  EXPECT_EQ(stream->records_checked, 10u);
}

TEST_F(VerifierTest, AnEditedPayloadIsNamedByPosition) {
  Tamper([](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), log, keys::LogKey(14), &value).ok());
    Record record;
    ASSERT_TRUE(record.ParseFromString(value));
    record.set_payload("note 13, amount changed");
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), log, keys::LogKey(14), record.SerializeAsString()).ok());
  });
  absl::StatusOr<VerifyReport> report = VerifyLog(*store_, nullptr);
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->problem.has_value());
  EXPECT_EQ(report->problem->position, 14u);
  EXPECT_EQ(report->problem->stream, "case-1");
  EXPECT_THAT(report->problem->problem, HasSubstr("altered"));
  absl::StatusOr<VerifyReport> stream = VerifyStream(*store_, "case-1");
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream->problem.has_value());
  EXPECT_EQ(stream->problem->position, 14u);
  absl::StatusOr<VerifyReport> other = VerifyStream(*store_, "case-0");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->problem.has_value());
}

TEST_F(VerifierTest, ADeletedRecordIsReportedAsAGap) {
  Tamper([](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), log, keys::LogKey(9)).ok());
  });
  absl::StatusOr<VerifyReport> report = VerifyLog(*store_, nullptr);
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->problem.has_value());
  EXPECT_EQ(report->problem->position, 9u);
  EXPECT_EQ(report->problem->stream, "case-2") << "the index still names the record";
  EXPECT_EQ(report->problem->revision, 2u);
  EXPECT_THAT(report->problem->problem, HasSubstr("position 9 is missing"));
  absl::StatusOr<VerifyReport> stream = VerifyStream(*store_, "case-2");
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream->problem.has_value());
  EXPECT_EQ(stream->problem->position, 9u);
  EXPECT_EQ(stream->problem->stream, "case-2");
  EXPECT_EQ(stream->problem->revision, 2u);
  EXPECT_THAT(stream->problem->problem, HasSubstr("position 9"));
}

TEST_F(VerifierTest, AnUndecodableRecordIsNamedByItsOwnPositionStreamAndRevision) {
  Tamper([](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), log, keys::LogKey(14), "\xff\xff not a record").ok());
  });
  absl::StatusOr<VerifyReport> report = VerifyLog(*store_, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->problem.has_value());
  EXPECT_EQ(report->problem->position, 14u) << "not the start of the page it was read with";
  EXPECT_EQ(report->problem->stream, "case-1");
  EXPECT_EQ(report->problem->revision, 4u);
  EXPECT_EQ(report->records_checked, 13u) << "every record before it was checked";
  EXPECT_THAT(report->problem->problem, HasSubstr("does not decode"));
  absl::StatusOr<VerifyReport> stream = VerifyStream(*store_, "case-1");
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream->problem.has_value());
  EXPECT_EQ(stream->problem->position, 14u);
  EXPECT_EQ(stream->problem->stream, "case-1");
  EXPECT_EQ(stream->problem->revision, 4u);
}

// Its tree leaf deleted too: without that the store refuses to open
// (EventStoreTest.ALogWhoseTailWasCutBehindItsBackDoesNotOpen).
TEST_F(VerifierTest, ARecordDeletedFromTheEndIsFoundThroughTheIndex) {
  TamperFamilies([](rocksdb::DB* db, const Families& families) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), families[1], keys::LogKey(30)).ok());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), families[4], keys::TreeNodeKey(0, 29)).ok());
  });
  absl::StatusOr<VerifyReport> report = VerifyLog(*store_, nullptr);
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->problem.has_value());
  EXPECT_THAT(report->problem->problem, HasSubstr("index disagrees"));
  EXPECT_EQ(report->problem->position, 30u);
  EXPECT_EQ(report->problem->stream, "case-2");
  EXPECT_EQ(report->problem->revision, 9u);
}

TEST_F(VerifierTest, AnUnknownStreamIsNotFound) {
  EXPECT_EQ(VerifyStream(*store_, "case-99").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tripdesk::eventstore
