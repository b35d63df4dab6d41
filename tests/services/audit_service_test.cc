// Auditors through the real tripdeskd: histories, replays at every revision,
// exports that round-trip, tamper evidence (also through the CLI's exit
// code), view rebuilds, and bad input that writes nothing.
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>

#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/grpc_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tripdesk/v1/audit.grpc.pb.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk {
namespace {

using ::testing::HasSubstr;
using commands::CarCommand;

class AuditServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start() {
    server_ = std::make_unique<testing::ServerProcess>(
        dir_.Sub("data"), std::vector<std::string>{"--rate_limit_per_second=0"});  // thousands of commands
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    client_ = std::make_unique<testing::TestClient>(*server_, channel_, std::chrono::seconds(30));
    cases_ = &client_->cases();
    audit_ = &client_->audit();
    log_ = &client_->log();
  }

  void As(grpc::ClientContext& context, const std::string& id, const std::string& role) {
    client_->Identify(context, {id, role});
  }

  v1::CommandReply Command(const std::string& case_id, CarCommand command, bool open = false,
                           const std::string& role = "agent") {
    const testing::Caller who{role == "tech_spoc" ? "tom" : "alice", role};
    v1::CommandReply reply;
    v1::CaseCommand wrapped = commands::AsCaseCommand(std::move(command));
    const grpc::Status status = open ? client_->Open(who, case_id, std::move(wrapped), &reply)
                                     : client_->Submit(who, case_id, std::move(wrapped), &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  // Drives a case through the offline branch; the reply of every command.
  std::vector<v1::CommandReply> DriveOffline(const std::string& case_id) {
    std::vector<v1::CommandReply> replies;
    replies.push_back(Command(case_id, commands::Request(pick_, drop_), true));
    for (const auto& [command, role] : commands::OfflineSteps(pick_, drop_)) {
      replies.push_back(Command(case_id, command, false, role));
    }
    return replies;
  }

  std::vector<v1::HistoryEntry> History(const std::string& case_id, grpc::Status* status) {
    grpc::ClientContext context;
    As(context, "ann", "auditor");
    v1::GetCaseHistoryRequest request;
    request.set_case_id(case_id);
    auto reader = audit_->GetCaseHistory(&context, request);
    std::vector<v1::HistoryEntry> entries;
    v1::HistoryEntry entry;
    while (reader->Read(&entry)) entries.push_back(entry);
    *status = reader->Finish();
    return entries;
  }

  grpc::Status Replay(v1::ReplayCaseRequest request, v1::CaseView* view,
                      const std::string& role = "auditor") {
    grpc::ClientContext context;
    As(context, "ann", role);
    return audit_->ReplayCase(&context, request, view);
  }

  std::string Export(const std::string& case_id, v1::ExportFormat format, grpc::Status* status) {
    grpc::ClientContext context;
    As(context, "ann", "auditor");
    v1::ExportCaseHistoryRequest request;
    request.set_case_id(case_id);
    request.set_format(format);
    auto reader = audit_->ExportCaseHistory(&context, request);
    std::string out;
    v1::ExportChunk chunk;
    while (reader->Read(&chunk)) out += chunk.data();
    *status = reader->Finish();
    return out;
  }

  v1::VerifyProgress Verify(const std::string& case_id, grpc::Status* status) {
    grpc::ClientContext context;
    As(context, "ann", "auditor");
    v1::VerifyLogRequest request;
    request.set_case_id(case_id);
    auto reader = audit_->VerifyLog(&context, request);
    v1::VerifyProgress last;
    v1::VerifyProgress progress;
    while (reader->Read(&progress)) last = progress;
    *status = reader->Finish();
    return last;
  }

  uint64_t LastPosition() { return server_->LastPosition(channel_); }

  // Runs the CLI as an auditor; its exit ("exited 3") and output.
  testing::CommandResult Cli(const std::string& args, const std::string& role = "auditor") {
    return testing::RunCommand(absl::StrCat(TRIPDESK_CLI, " --server=", server_->address(),
                                            " --token=", server_->Token("ann", role), " ", args));
  }

  const absl::Time pick_ = absl::Now() + absl::Hours(24 * 7);
  const absl::Time drop_ = pick_ + absl::Hours(72);
  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
  v1::CaseService::Stub* cases_ = nullptr;
  v1::AuditService::Stub* audit_ = nullptr;
  v1::EventLog::Stub* log_ = nullptr;
};

TEST_F(AuditServiceTest, HistoryStreamsEveryRecordWithItsTypedEvent) {
  DriveOffline("A1");
  grpc::Status status;
  const std::vector<v1::HistoryEntry> entries = History("A1", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(entries.size(), 16u);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].envelope().revision(), i);
    EXPECT_EQ(entries[i].envelope().hash().size(), 32u);
  }
  const v1::HistoryEntry& quote = entries[5];
  EXPECT_EQ(quote.envelope().event_type(), "QuoteSent");
  EXPECT_EQ(quote.envelope().actor_id(), "alice");
  EXPECT_EQ(quote.event().car_booking().quote_sent().amount().minor_units(), 45000);
  EXPECT_EQ(quote.event().car_booking().quote_sent().approver(), "tom");
  EXPECT_EQ(entries[3].envelope().actor_role(), "tech_spoc");
}

TEST_F(AuditServiceTest, HistoryOfACaseWithThousandsOfEventsStreamsAllInOrder) {
  Command("A9", commands::Request(pick_, drop_), true);
  constexpr int kNotes = 2000;
  for (int i = 0; i < kNotes; ++i) {
    CarCommand note;
    note.mutable_add_note()->set_text(absl::StrCat("call ", i));
    Command("A9", note);
  }
  grpc::Status status;
  const std::vector<v1::HistoryEntry> entries = History("A9", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(entries.size(), kNotes + 1u);
  for (size_t i = 0; i < entries.size(); ++i) ASSERT_EQ(entries[i].envelope().revision(), i);
  EXPECT_EQ(entries.back().event().car_booking().note_added().text(),
            absl::StrCat("call ", kNotes - 1));
}

TEST_F(AuditServiceTest, ReplayAtEveryRevisionEqualsTheViewAfterEachCommand) {
  const std::vector<v1::CommandReply> replies = DriveOffline("A2");
  Command("A3", commands::Request(pick_, drop_), true);  // another case interleaved
  for (const v1::CommandReply& reply : replies) {
    for (int form = 0; form < 3; ++form) {
      v1::ReplayCaseRequest request;
      request.set_case_id("A2");
      if (form == 0) request.set_revision(reply.revision());
      if (form == 1) request.set_position(reply.last_position());
      if (form == 2) *request.mutable_instant() = reply.view().updated_at();
      v1::CaseView view;
      grpc::Status status = Replay(request, &view);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(view.SerializeAsString(), reply.view().SerializeAsString())
          << "revision " << reply.revision() << " form " << form;
    }
  }
}

TEST_F(AuditServiceTest, JsonLinesExportParsesBackToTheSameRecords) {
  DriveOffline("A4");
  grpc::Status status;
  const std::vector<v1::HistoryEntry> entries = History("A4", &status);
  ASSERT_TRUE(status.ok());
  const std::string jsonl = Export("A4", v1::EXPORT_FORMAT_JSON_LINES, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> lines = absl::StrSplit(jsonl, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), entries.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    v1::HistoryEntry parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &parsed).ok()) << lines[i];
    EXPECT_EQ(parsed.SerializeAsString(), entries[i].SerializeAsString()) << "line " << i;
  }
  // Zero values are written, not left for the reader to know proto3 omits
  // them: the first record is at revision 0.
  EXPECT_THAT(lines[0], HasSubstr("\"revision\":\"0\""));

  const std::string csv = Export("A4", v1::EXPORT_FORMAT_CSV, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(csv.rfind("position,leaf_index,stream,revision,event_type,recorded_at,actor_id", 0),
            0u);
  // Each record's leaf in the log's Merkle tree, for proofs against a signed head.
  EXPECT_THAT(csv, HasSubstr("\r\n6,5,case-A4,5,QuoteSent,"));
  EXPECT_THAT(lines[0], HasSubstr("\"leaf_index\":\"0\""));
  // The event column holds JSON, whose quotes are doubled inside the field.
  EXPECT_THAT(csv, HasSubstr("\"{\"\"car_booking\"\":"));
}

TEST_F(AuditServiceTest, TrackerExportsAsCsvForADateRange) {
  DriveOffline("A5");
  grpc::ClientContext context;
  As(context, "ann", "auditor");
  v1::ExportTrackerRequest request;
  request.set_from_date("2000-01-01");
  request.set_to_date("2100-12-31");
  auto reader = audit_->ExportTracker(&context, request);
  std::string csv;
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  ASSERT_TRUE(reader->Finish().ok());
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << csv;
  EXPECT_THAT(lines[1], HasSubstr(",A5,alice,Acme,ZE,K9X2Q7,true,true,2500,USD,"));
}

// A command id and a tracker reference that a spreadsheet would run as
// formulas open as text in both CSV exports.
TEST_F(AuditServiceTest, CsvExportsNeutraliseCellsThatWouldRunAsFormulas) {
  Command("X1", commands::Request(pick_, drop_), true);
  grpc::ClientContext context;
  As(context, "alice", "agent");
  v1::SubmitCommandRequest identify;
  identify.set_case_id("X1");
  identify.set_command_id("=HYPERLINK(\"http://evil.example\",\"x\")");
  *identify.mutable_command() = commands::AsCaseCommand(commands::Identify(pick_, drop_));
  v1::CommandReply reply;
  ASSERT_TRUE(cases_->SubmitCommand(&context, identify, &reply).ok());
  grpc::Status status;
  const std::string history = Export("X1", v1::EXPORT_FORMAT_CSV, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(history, HasSubstr(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\","));

  // A booking whose tracker reference is a formula.
  Command("X3", commands::Request(pick_, drop_), true);
  for (auto [command, role] : commands::OfflineSteps(pick_, drop_)) {
    if (command.has_update_tracker()) command.mutable_update_tracker()->set_tracker_ref("@SUM(1+9)*cmd");
    Command("X3", command, false, role);
  }
  grpc::ClientContext tracker_context;
  As(tracker_context, "ann", "auditor");
  auto reader = audit_->ExportTracker(&tracker_context, v1::ExportTrackerRequest());
  std::string csv;
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(csv, HasSubstr(",\"'@SUM(1+9)*cmd\"\r\n"));
}

TEST_F(AuditServiceTest, VerifyNamesATamperedRecordAndTheCliExitsNonZero) {
  DriveOffline("A6");
  grpc::Status status;
  v1::VerifyProgress clean = Verify("", &status);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(clean.done());
  EXPECT_FALSE(clean.has_problem());
  // The booking's 16 events, and its confirmation number claimed and released.
  EXPECT_EQ(clean.records_checked(), 18u);
  auto [ok_code, ok_out] = Cli("audit verify");
  EXPECT_EQ(ok_code, "exited 0") << ok_out;
  EXPECT_THAT(ok_out, HasSubstr("OK: 18 records verified"));

  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {eventstore::keys::kLogFamily, {}},
        {eventstore::keys::kStreamsFamily, {}}, {eventstore::keys::kCommandsFamily, {}},
        {eventstore::keys::kTreeFamily, {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("data") + "/log", families,
                                  &handles, &db)
                    .ok());
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), handles[1], eventstore::keys::LogKey(6), &value).ok());
    v1::RecordEnvelope record;
    ASSERT_TRUE(record.ParseFromString(value));
    v1::CaseEvent event;
    ASSERT_TRUE(event.ParseFromString(record.payload()));
    event.mutable_car_booking()->mutable_quote_sent()->mutable_amount()->set_minor_units(4500);
    record.set_payload(event.SerializeAsString());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[1], eventstore::keys::LogKey(6),
                        record.SerializeAsString())
                    .ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  Start();
  v1::VerifyProgress tampered = Verify("", &status);
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(tampered.has_problem());
  EXPECT_EQ(tampered.problem().position(), 6u);
  EXPECT_EQ(tampered.problem().stream(), "case-A6");
  EXPECT_EQ(tampered.problem().revision(), 5u);
  auto [bad_code, bad_out] = Cli("audit verify");
  EXPECT_EQ(bad_code, "exited 3") << bad_out;
  EXPECT_THAT(bad_out, HasSubstr("MISMATCH at position 6 (case-A6 revision 5): "));
  auto [case_code, case_out] = Cli("audit verify --case A6");
  EXPECT_EQ(case_code, "exited 3") << case_out;
}

// Records written before the generic check refused card numbers: the scan
// names their positions, cases and fields, never the digits, and the CLI
// exits 3; an admin or auditor may run it, an agent may not.
TEST_F(AuditServiceTest, ScanFindsCardNumbersWrittenBeforeTheyWereRefusedWithoutPrintingThem) {
  DriveOffline("S1");  // 16 clean records, and its confirmation number's claim and release
  ASSERT_EQ(testing::DescribeExit(server_->Terminate()), "exited 0");
  {
    eventstore::Options options;
    options.path = dir_.Sub("data") + "/log";
    absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store = eventstore::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    v1::CaseEvent note;
    note.mutable_car_booking()->mutable_note_added()->set_text("card 4111 1111 1111 1111 exp 12/28");
    v1::CaseEvent saved;
    v1::RvReservationSaved& r = *saved.mutable_rv()->mutable_reservation_saved();
    r.mutable_renter()->set_name("KAREN 5555555555554444");
    r.mutable_renter()->mutable_address()->set_city("4111-1111-1111-1111");
    r.mutable_renter()->set_cell_phone("+86 138 1234 5603");  // Luhn-valid, no card brand
    eventstore::AppendRequest append;
    append.streams.push_back({"case-S1", eventstore::ExpectedRevision::Exact(15),
                              {{"CaseNoteAdded", note.SerializeAsString()}}});
    append.streams.push_back({"case-S2", eventstore::ExpectedRevision::NoStream(),
                              {{"RvReservationSaved", saved.SerializeAsString()}}});
    append.streams.push_back({"unit-X1", eventstore::ExpectedRevision::NoStream(),
                              {{"Opaque", "raw 4111111111111111 bytes"}}});
    ASSERT_TRUE((*store)->Append(append).ok());
  }
  Start();
  grpc::ClientContext context;
  As(context, "root", "admin");
  auto reader = audit_->ScanForCardNumbers(&context, v1::ScanForCardNumbersRequest());
  std::vector<v1::CardNumberFinding> findings;
  v1::CardNumberScanProgress progress;
  v1::CardNumberScanProgress last;
  while (reader->Read(&progress)) {
    if (progress.has_finding()) findings.push_back(progress.finding());
    last = progress;
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(last.done());
  // The booking's 16 events and its reference's claim and release, then the
  // three appended.
  EXPECT_EQ(last.records_scanned(), 21u);
  EXPECT_EQ(last.findings(), 3u);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].position(), 19u);
  EXPECT_EQ(findings[0].case_id(), "S1");
  EXPECT_EQ(findings[0].revision(), 16u);
  EXPECT_THAT(findings[0].fields(), ::testing::ElementsAre("car_booking.note_added.text"));
  EXPECT_EQ(findings[1].case_id(), "S2");
  EXPECT_THAT(findings[1].fields(),
              ::testing::ElementsAre("rv.reservation_saved.renter.name",
                                     "rv.reservation_saved.renter.address.city"));
  EXPECT_EQ(findings[2].stream(), "unit-X1");
  EXPECT_THAT(findings[2].fields(), ::testing::ElementsAre("payload"));
  EXPECT_THAT(findings[1].DebugString(), ::testing::Not(HasSubstr("5555")));

  const auto [exit, out] = Cli("admin scan-card-numbers", "admin");
  EXPECT_EQ(exit, "exited 3") << out;
  EXPECT_THAT(out, HasSubstr("21 records scanned, 3 hold what looks like a card number"));
  EXPECT_THAT(out, HasSubstr("rv.reservation_saved.renter.name, rv.reservation_saved.renter.address.city"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("1111")));

  grpc::ClientContext agent;
  As(agent, "alice", "agent");
  auto refused = audit_->ScanForCardNumbers(&agent, v1::ScanForCardNumbersRequest());
  while (refused->Read(&progress)) {
  }
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuditServiceTest, RebuildReportsProgressAndGivesTheSameViews) {
  const std::vector<v1::CommandReply> replies = DriveOffline("A7");
  const uint64_t last = replies.back().last_position();
  auto views = [&] {
    grpc::ClientContext c1;
    As(c1, "ann", "auditor");
    v1::GetCaseRequest get;
    get.set_case_id("A7");
    get.set_min_position(last);
    v1::CaseView view;
    EXPECT_TRUE(cases_->GetCase(&c1, get, &view).ok());
    grpc::ClientContext c2;
    As(c2, "ann", "auditor");
    v1::ListTrackerRowsRequest list;
    list.set_min_position(last);
    v1::ListTrackerRowsResponse rows;
    EXPECT_TRUE(cases_->ListTrackerRows(&c2, list, &rows).ok());
    return view.SerializeAsString() + rows.SerializeAsString();
  };
  const std::string before = views();

  grpc::ClientContext context;
  As(context, "root", "admin");
  auto reader = audit_->RebuildViews(&context, v1::RebuildViewsRequest());
  v1::RebuildProgress progress;
  std::set<std::string> done;
  while (reader->Read(&progress)) {
    EXPECT_EQ(progress.target(), last);
    if (progress.done()) done.insert(progress.view());
  }
  ASSERT_TRUE(reader->Finish().ok());
  // (A booking is read from its case through its workflow: no view of its own.)
  EXPECT_EQ(done, (std::set<std::string>{"cases", "fleet", "timers", "tracker", "unit_rentals"}));
  EXPECT_EQ(views(), before);

  auto [code, out] = Cli("admin rebuild --view=tracker", "admin");
  EXPECT_EQ(code, "exited 0") << out;
  EXPECT_THAT(out, HasSubstr("tracker: 18 of 18 (done)"));
  auto [unknown_code, unknown_out] = Cli("admin rebuild --view=nope", "admin");
  EXPECT_EQ(unknown_code, "exited 1");
  EXPECT_THAT(unknown_out, HasSubstr("error: NOT_FOUND: no view named 'nope'"));
}

TEST_F(AuditServiceTest, BadInputGetsAClearErrorAndWritesNothing) {
  const std::vector<v1::CommandReply> replies = DriveOffline("A8");
  const uint64_t before = LastPosition();
  grpc::Status status;
  History("NOPE", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::CaseView view;
  v1::ReplayCaseRequest unknown;
  unknown.set_case_id("NOPE");
  unknown.set_revision(0);
  EXPECT_EQ(Replay(unknown, &view).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ReplayCaseRequest too_early;
  too_early.set_case_id("A8");
  too_early.mutable_instant()->set_seconds(replies.front().view().created_at().seconds() - 60);
  grpc::Status early = Replay(too_early, &view);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(early.error_message(), HasSubstr("did not exist yet"));

  v1::ReplayCaseRequest past_end;
  past_end.set_case_id("A8");
  past_end.set_revision(16);
  grpc::Status end = Replay(past_end, &view);
  EXPECT_EQ(end.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(end.error_message(), HasSubstr("revisions 0 to 15"));

  v1::ReplayCaseRequest nothing;
  nothing.set_case_id("A8");
  EXPECT_EQ(Replay(nothing, &view).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ReplayCaseRequest as_agent;
  as_agent.set_case_id("A8");
  as_agent.set_revision(1);
  EXPECT_EQ(Replay(as_agent, &view, "agent").error_code(), grpc::StatusCode::PERMISSION_DENIED);

  grpc::ClientContext context;
  As(context, "ann", "auditor");
  v1::ExportTrackerRequest reversed;
  reversed.set_from_date("2026-12-01");
  reversed.set_to_date("2026-11-01");
  auto reader = audit_->ExportTracker(&context, reversed);
  v1::ExportChunk chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  Export("A8", v1::EXPORT_FORMAT_UNSPECIFIED, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto [code, out] = Cli("audit export A8 --format=xml");
  EXPECT_EQ(code, "exited 2");
  EXPECT_THAT(out, HasSubstr("--format is jsonl or csv"));
  EXPECT_EQ(LastPosition(), before);
}

}  // namespace
}  // namespace tripdesk
