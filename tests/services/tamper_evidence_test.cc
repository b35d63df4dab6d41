// Forging like an insider with the data directory (issue: a quote changed
// from 450.00 to 1.00 with its chain and index recomputed passed `audit
// verify`): each forgery is caught against a head the auditor kept, by the
// CLI's own proof checks (tools/proofcheck), and the server refuses to start
// on a log that no longer matches its own last signed head.
#include <filesystem>
#include <fstream>
#include <functional>

#include <google/protobuf/text_format.h>
#include <map>

#include "absl/strings/str_cat.h"
#include "eventstore/keys.h"
#include "eventstore/merkle_tree.h"
#include "eventstore/record_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/testing/grpc_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tools/proofcheck/proofcheck.h"
#include "tools/commands/car_booking.h"
#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk {
namespace {

using ::testing::HasSubstr;
namespace keys = eventstore::keys;

// The log's RocksDB opened behind the server's back, as an insider would.
class Insider {
 public:
  explicit Insider(const std::string& log_dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {keys::kLogFamily, {}},
        {keys::kStreamsFamily, {}},           {keys::kCommandsFamily, {}},
        {keys::kTreeFamily, {}}};
    rocksdb::DB* db = nullptr;
    ok_ = rocksdb::DB::Open(rocksdb::DBOptions(), log_dir, families, &handles_, &db).ok();
    db_.reset(db);
  }
  ~Insider() {
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
  }
  bool ok() const { return ok_; }

  std::map<uint64_t, v1::RecordEnvelope> Records() {
    std::map<uint64_t, v1::RecordEnvelope> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[1]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      v1::RecordEnvelope r;
      r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()));
      out[r.position()] = r;
    }
    return out;
  }

  // Writes `records` back as the whole log: each stream's chain and index
  // recomputed, so the chain verifies; the tree too when `tree` is set.
  void Rewrite(const std::map<uint64_t, v1::RecordEnvelope>& records, bool tree) {
    for (int family : {1, 2}) Clear(family);
    if (tree) Clear(4);
    std::map<std::string, std::string> previous;
    eventstore::merkle::Frontier frontier;
    for (auto [position, r] : records) {
      auto [it, first] = previous.try_emplace(r.stream(), eventstore::GenesisHash());
      r.set_hash(eventstore::ComputeRecordHash(it->second, r));
      it->second = r.hash();
      Put(1, keys::LogKey(position), r.SerializeAsString());
      Put(2, keys::StreamKey(r.stream(), r.revision()), keys::EncodeU64(position) + r.hash());
      if (tree) {
        frontier.Append(eventstore::merkle::LeafHash(r.hash()),
                        [&](int level, uint64_t index, const std::string& hash) {
                          Put(4, keys::TreeNodeKey(level, index), hash);
                        });
      }
    }
  }

 private:
  void Clear(int family) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[family]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      (void)db_->Delete(rocksdb::WriteOptions(), handles_[family], it->key());
    }
  }
  void Put(int family, const std::string& key, const std::string& value) {
    (void)db_->Put(rocksdb::WriteOptions(), handles_[family], key, value);
  }

  bool ok_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

class TamperEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start() {
    server_ = std::make_unique<testing::ServerProcess>(data_);
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr) << server_->Log();
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
  }

  void Stop() { ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0"); }

  // A booking through the offline branch: its quote is position 6.
  void Drive(const std::string& case_id) {
    const testing::Caller agent{"alice", "agent"};
    const testing::Caller spoc{"tom", "tech_spoc"};
    v1::CommandReply reply;
    ASSERT_TRUE(client_->Open(agent, case_id, commands::AsCaseCommand(commands::Request(pick_, drop_)),
                              &reply)
                    .ok());
    for (const auto& [command, role] : commands::OfflineSteps(pick_, drop_)) {
      ASSERT_TRUE(client_->Submit(role == "tech_spoc" ? spoc : agent, case_id,
                                  commands::AsCaseCommand(command), &reply)
                      .ok());
    }
  }

  testing::CommandResult Cli(const std::string& args) {
    return testing::RunCommand(absl::StrCat(TRIPDESK_CLI, " --server=", server_->address(),
                                            " --token=", server_->Token("ann", "auditor"), " ",
                                            args, " 2>&1"));
  }

  using Log = std::map<uint64_t, v1::RecordEnvelope>;

  // A head kept by the auditor; then, the server stopped, the insider's
  // `edit` of the records, written back with chains and index recomputed
  // (and the tree, when `tree`).
  void KeepAHeadThenForge(const std::function<void(Log&)>& edit, bool tree) {
    auto [saved, saved_out] = Cli("audit head-save " + kept_);
    ASSERT_EQ(saved, "exited 0") << saved_out;
    Stop();
    Insider insider(data_ + "/log");
    ASSERT_TRUE(insider.ok());
    Log records = insider.Records();
    edit(records);
    insider.Rewrite(records, tree);
  }

  // The insider's edit: the quote of the first case from 450.00 to 1.00.
  static void ChangeQuote(Log& records) {
    for (auto& [position, r] : records) {
      v1::CaseEvent event;
      if (!event.ParseFromString(r.payload()) || !event.car_booking().has_quote_sent()) continue;
      event.mutable_car_booking()->mutable_quote_sent()->mutable_amount()->set_minor_units(100);
      r.set_payload(event.SerializeAsString());
      return;
    }
  }

  const absl::Time pick_ = absl::Now() + absl::Hours(24 * 7);
  const absl::Time drop_ = pick_ + absl::Hours(72);
  testing::TempDir dir_;
  const std::string data_ = dir_.Sub("data");
  const std::string head_file_ = data_ + "-signing/log-ed25519.pem.head";
  const std::string kept_ = dir_.Sub("kept.head");
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
};

TEST_F(TamperEvidenceTest, AnHonestLogExtendsTheKeptHeadAndHoldsEveryRecordOfACase) {
  Drive("T1");
  auto [saved, saved_out] = Cli("audit head-save " + kept_);
  ASSERT_EQ(saved, "exited 0") << saved_out;
  Drive("T2");
  auto [code, out] = Cli("audit head-check " + kept_ + " --case=T1");
  EXPECT_EQ(code, "exited 0") << out;
  EXPECT_THAT(out, HasSubstr("the log extends the kept head"));
  EXPECT_THAT(out, HasSubstr("case T1: 16 records"));
  // The server's key, published, is the one the kept head was checked with.
  auto [key_code, key_out] = Cli("audit key");
  EXPECT_THAT(key_out, HasSubstr("BEGIN PUBLIC KEY"));
}

// The proof RPCs: auditors and supervisors only; sizes and positions outside
// the log are refused with what is there.
TEST_F(TamperEvidenceTest, ProofRequestsOutsideTheLogOrRoleAreRefused) {
  Drive("T1");
  const testing::Caller auditor{"ann", "auditor"};
  const testing::Caller agent{"alice", "agent"};
  v1::InclusionProof inclusion;
  v1::GetInclusionProofRequest request;
  request.set_position(3);
  grpc::Status denied = client_->Call(agent, &v1::AuditService::Stub::GetInclusionProof,
                                      client_->audit(), request, &inclusion);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  request.set_position(0);
  grpc::Status zero = client_->Call(auditor, &v1::AuditService::Stub::GetInclusionProof,
                                    client_->audit(), request, &inclusion);
  EXPECT_EQ(zero.error_code(), grpc::StatusCode::OUT_OF_RANGE) << zero.error_message();
  EXPECT_THAT(zero.error_message(), HasSubstr("position: 0 is not in the tree"));
  request.set_position(3);
  request.set_tree_size(1000);
  grpc::Status past = client_->Call(auditor, &v1::AuditService::Stub::GetInclusionProof,
                                    client_->audit(), request, &inclusion);
  EXPECT_EQ(past.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(past.error_message(), HasSubstr("past the log's end (18 records committed)"));
  v1::ConsistencyProof consistency;
  v1::GetConsistencyProofRequest backwards;
  backwards.set_old_size(10);
  backwards.set_new_size(5);
  grpc::Status shrink = client_->Call(auditor, &v1::AuditService::Stub::GetConsistencyProof,
                                      client_->audit(), backwards, &consistency);
  EXPECT_EQ(shrink.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  // A good request answers the record with its proof.
  request.set_tree_size(0);  // the latest signed head's size
  ASSERT_TRUE(client_->Call(auditor, &v1::AuditService::Stub::GetInclusionProof, client_->audit(),
                            request, &inclusion)
                  .ok());
  EXPECT_EQ(inclusion.record().position(), 3u);
  EXPECT_EQ(inclusion.leaf_index(), 2u);
}

// A case's records and proofs in a file, checked offline by a binary that
// links nothing of the server's; a record edited in the file is named.
TEST_F(TamperEvidenceTest, ACaseBundleIsCheckedOfflineAndAnEditInItIsNamed) {
  Drive("T1");
  const std::string bundle = dir_.Sub("t1.bundle");
  auto [code, out] = Cli("audit bundle T1 " + bundle);
  ASSERT_EQ(code, "exited 0") << out;
  auto [ok_code, ok_out] = testing::RunCommand(absl::StrCat(TRIPDESK_PROOFCHECK, " ", bundle));
  EXPECT_EQ(ok_code, "exited 0") << ok_out;
  EXPECT_THAT(ok_out, HasSubstr("OK: case T1: 16 records"));

  v1::CaseProofBundle parsed;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(testing::ReadWholeFile(bundle), &parsed));
  v1::RecordEnvelope& quote = *parsed.mutable_records(5)->mutable_record();
  v1::CaseEvent event;
  ASSERT_TRUE(event.ParseFromString(quote.payload()));
  event.mutable_car_booking()->mutable_quote_sent()->mutable_amount()->set_minor_units(100);
  quote.set_payload(event.SerializeAsString());
  std::string text;
  google::protobuf::TextFormat::PrintToString(parsed, &text);
  std::ofstream(bundle) << text;
  auto [bad_code, bad_out] = testing::RunCommand(absl::StrCat(TRIPDESK_PROOFCHECK, " ", bundle));
  EXPECT_EQ(bad_code, "exited 3") << bad_out;
  EXPECT_THAT(bad_out, HasSubstr("position 6 (case-T1 revision 5): its fields do not give its chain hash"));
}

TEST_F(TamperEvidenceTest, ARecordChangedWithItsChainAndIndexRecomputedIsNotInTheTree) {
  Drive("T1");
  KeepAHeadThenForge(ChangeQuote, /*tree=*/false);
  Start();  // the tree still has the signed root: the server starts
  auto [code, out] = Cli("audit head-check " + kept_ + " --case=T1");
  EXPECT_EQ(code, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("position 6 (case-T1 revision 5) is not in the signed tree"));
  // The server's own verify now sees it too: the record's leaf is not the tree's.
  auto [verify_code, verify_out] = Cli("audit verify");
  EXPECT_EQ(verify_code, "exited 3") << verify_out;
  EXPECT_THAT(verify_out, HasSubstr("MISMATCH at position 6 (case-T1 revision 5): the log's Merkle "
                                    "tree holds another leaf"));
}

TEST_F(TamperEvidenceTest, ARecordChangedWithTheTreeRecomputedStopsTheServerAndFailsTheKeptHead) {
  Drive("T1");
  KeepAHeadThenForge(ChangeQuote, /*tree=*/true);
  testing::ServerProcess refused(data_);
  EXPECT_EQ(testing::DescribeExit(refused.Wait()), "exited 1");
  EXPECT_THAT(refused.Log(), HasSubstr("no longer have the root"));
  EXPECT_THAT(refused.Log(), HasSubstr("move " + head_file_ + " aside"));

  // The insider removes the server's own head too: the auditor's still holds.
  std::filesystem::rename(head_file_, head_file_ + ".bak");
  Start();
  auto [code, out] = Cli("audit head-check " + kept_ + " --case=T1");
  EXPECT_EQ(code, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("the log no longer extends the kept head: of its first 18 records "
                             "some were changed, the first changed record is at position 6"));
}

TEST_F(TamperEvidenceTest, ATailRemovedStopsTheServerAndIsNamedAgainstTheKeptHead) {
  Drive("T1");
  KeepAHeadThenForge([](Log& records) { records.erase(records.rbegin()->first); },
                     /*tree=*/true);
  testing::ServerProcess refused(data_);
  EXPECT_EQ(testing::DescribeExit(refused.Wait()), "exited 1");
  EXPECT_THAT(refused.Log(), HasSubstr("records were removed"));
  std::filesystem::rename(head_file_, head_file_ + ".bak");
  Start();
  auto [code, out] = Cli("audit head-check " + kept_);
  EXPECT_EQ(code, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("fewer than the 18 of the kept head: position 18 was removed"));
}

TEST_F(TamperEvidenceTest, TwoRecordsSwappedFailTheKeptHead) {
  Drive("T1");
  Drive("T2");
  KeepAHeadThenForge(
      [](Log& records) {
        // The first records of the two cases trade places (each keeps its stream).
        std::swap(records[1], records[19]);
        records[1].set_position(1);
        records[19].set_position(19);
      },
      /*tree=*/true);
  std::filesystem::rename(head_file_, head_file_ + ".bak");
  Start();
  auto [code, out] = Cli("audit head-check " + kept_);
  EXPECT_EQ(code, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("the log no longer extends the kept head: of its first 36 records "
                             "some were changed, the first changed record is at position 1"));
}

TEST_F(TamperEvidenceTest, AWholeForgedLogSignedByAnotherKeyFailsTheKeptHead) {
  Drive("T1");
  KeepAHeadThenForge(ChangeQuote, /*tree=*/true);
  // Without the signing key, the forger makes a key of their own.
  std::filesystem::remove_all(data_ + "-signing");
  Start();
  auto [code, out] = Cli("audit head-check " + kept_);
  EXPECT_EQ(code, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("the current head is not signed by the kept key"));
  EXPECT_THAT(out, HasSubstr("and the log was rewritten, the first changed record is at "
                             "position 6"));
}

TEST_F(TamperEvidenceTest, AKeyRotatedOverAnUnchangedLogIsToldApartFromAForgery) {
  Drive("T1");
  KeepAHeadThenForge([](Log&) {}, /*tree=*/false);
  // The operator replaces the signing key: the server's own head, signed by
  // the old one, stops it until moved aside on purpose.
  std::filesystem::remove(data_ + "-signing/log-ed25519.pem");
  testing::ServerProcess refused(data_);
  EXPECT_EQ(testing::DescribeExit(refused.Wait()), "exited 1");
  EXPECT_THAT(refused.Log(), HasSubstr("if the key was rotated on purpose, move " + head_file_ +
                                       " aside"));
  std::filesystem::rename(head_file_, head_file_ + ".old-key");
  Start();
  auto [code, out] = Cli("audit head-check " + kept_);
  EXPECT_EQ(code, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("the current head is not signed by the kept key"));
  EXPECT_THAT(out, HasSubstr("its first 18 records are unchanged: if the log's key was rotated"));
  // Once the auditor keeps a head signed by the new key, checks pass again.
  auto [saved, saved_out] = Cli("audit head-save " + kept_);
  ASSERT_EQ(saved, "exited 0") << saved_out;
  auto [again, again_out] = Cli("audit head-check " + kept_);
  EXPECT_EQ(again, "exited 0") << again_out;
}

TEST_F(TamperEvidenceTest, AKeptHeadHoldsChunkRootsThatFoldIntoItsRoot) {
  Drive("T1");
  auto [saved, saved_out] = Cli("audit head-save " + kept_);
  ASSERT_EQ(saved, "exited 0") << saved_out;
  v1::KeptTreeHead kept;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(testing::ReadWholeFile(kept_), &kept));
  EXPECT_EQ(kept.chunk_size(), 1u);
  ASSERT_EQ(kept.chunk_roots_size(), 18);
  EXPECT_EQ(proofcheck::RootFromChunks({kept.chunk_roots().begin(), kept.chunk_roots().end()}),
            kept.head().root_hash());

  // The RPC refuses a chunk size that is no power of two, a tree past the
  // log's end, and other roles.
  const testing::Caller auditor{"ann", "auditor"};
  v1::GetTreeChunkRootsRequest request;
  request.set_chunk_size(3);
  v1::TreeChunkRoots roots;
  grpc::Status odd = client_->Call(auditor, &v1::AuditService::Stub::GetTreeChunkRoots,
                                   client_->audit(), request, &roots);
  EXPECT_EQ(odd.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(odd.error_message(), HasSubstr("chunk_size: 3 is not a power of two"));
  request.set_chunk_size(2);
  request.set_tree_size(19);
  grpc::Status past = client_->Call(auditor, &v1::AuditService::Stub::GetTreeChunkRoots,
                                    client_->audit(), request, &roots);
  EXPECT_EQ(past.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  request.set_tree_size(18);
  grpc::Status denied = client_->Call({"alice", "agent"}, &v1::AuditService::Stub::GetTreeChunkRoots,
                                      client_->audit(), request, &roots);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Call(auditor, &v1::AuditService::Stub::GetTreeChunkRoots, client_->audit(),
                            request, &roots)
                  .ok());
  EXPECT_EQ(roots.roots_size(), 9);
}

}  // namespace
}  // namespace tripdesk
