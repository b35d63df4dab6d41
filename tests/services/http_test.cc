// tripdeskd's HTTP listener against the real server: health and readiness,
// /metrics in Prometheus' format, the JSON API under the same policy as gRPC
// (a dashboard token refused on every command path, masking, malformed
// bodies writing nothing), the dashboard's sign-in with its CSRF checks,
// live updates, exports as files, and plaintext refused off loopback.
#include <httplib.h>

#include <atomic>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/identity.h"
#include "tests/testing/command_fields.h"
#include "tests/testing/grpc_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tools/commands/car_booking.h"
#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.pb.h"

namespace tripdesk {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const testing::Caller kAgent{"alice", "agent"};

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out).ok());
  return out;
}

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("data"));
    ASSERT_GT(server_->http_port(), 0) << server_->Log();
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    client_ = std::make_unique<testing::TestClient>(*server_, channel_);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    http_->set_read_timeout(20, 0);
  }

  httplib::Headers As(const std::string& subject, const std::string& role) const {
    return {{"Authorization", "Bearer " + server_->Token(subject, role)}};
  }

  httplib::Result Rpc(const std::string& method, const std::string& body,
                      const httplib::Headers& headers) {
    return http_->Post(("/api/v1/" + method).c_str(), headers, body, "application/json");
  }

  void OpenCar(const std::string& case_id) {
    const absl::Time pick = absl::Now() + absl::Hours(24 * 7);
    v1::CommandReply reply;
    grpc::Status s = client_->Open(
        kAgent, case_id, commands::AsCaseCommand(commands::Request(pick, pick + absl::Hours(72))),
        &reply);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  uint64_t Last() const { return server_->LastPosition(channel_); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TestClient> client_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(HttpTest, HealthAndReadinessAnswerWithoutAToken) {
  httplib::Result health = http_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  httplib::Result ready = http_->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
}

TEST_F(HttpTest, MetricsCountCommandsByWorkflowCommandAndCodeAndTimeTheWritePath) {
  OpenCar("M1");
  v1::CommandReply reply;
  // Refused by the workflow: counted with its code.
  client_->Submit(kAgent, "M1", commands::AsCaseCommand(commands::Booking()), &reply);
  httplib::Result metrics = http_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  const std::string& m = metrics->body;
  EXPECT_THAT(m, HasSubstr("tripdesk_commands_total{code=\"OK\",command=\"receive_request\","
                           "workflow=\"car_booking\"} 1"));
  EXPECT_THAT(m, HasSubstr("code=\"FAILED_PRECONDITION\",command=\"confirm_booking\""));
  for (const char* family :
       {"tripdesk_command_seconds_bucket", "tripdesk_decide_seconds_count",
        "tripdesk_append_queue_seconds_count", "tripdesk_wal_write_seconds_count",
        "tripdesk_wal_fsync_seconds_count", "tripdesk_group_commit_appends_bucket",
        "tripdesk_group_commit_events_sum", "tripdesk_view_lag_positions",
        "tripdesk_view_lag_seconds", "tripdesk_view_checkpoint_position{view=",
        "tripdesk_rocksdb_pending_compaction_bytes", "tripdesk_rocksdb_write_stalls_total",
        "tripdesk_data_disk_free_bytes", "tripdesk_auth_refusals_total{reason=\"unauthenticated\"}",
        "tripdesk_rate_limited_total", "tripdesk_deadlines_pending", "tripdesk_deadlines_overdue",
        "tripdesk_deadlines_fired_total", "tripdesk_sla_breached_open",
        "process_resident_memory_bytes", "process_open_fds", "tripdesk_live_watchers"}) {
    EXPECT_THAT(m, HasSubstr(family)) << family;
  }
  // Two commands were written with an fsync each (at least one batch).
  EXPECT_THAT(m, Not(HasSubstr("tripdesk_wal_fsync_seconds_count 0\n")));
}

// The operator's alerts read only metrics the server exports.
TEST_F(HttpTest, EveryMetricTheAlertRulesReadIsExported) {
  OpenCar("A1");
  const std::string rules =
      testing::ReadWholeFile(std::string(TRIPDESK_SOURCE_DIR) + "/deploy/prometheus/alerts.yml");
  ASSERT_FALSE(rules.empty());
  const std::string exported = http_->Get("/metrics")->body;
  int names = 0;
  for (size_t at = rules.find("tripdesk_"); at != std::string::npos;
       at = rules.find("tripdesk_", at + 1)) {
    size_t end = at;
    while (end < rules.size() && (absl::ascii_islower(rules[end]) || rules[end] == '_' ||
                                  absl::ascii_isdigit(rules[end]))) {
      ++end;
    }
    const std::string name = rules.substr(at, end - at);
    if (absl::EndsWith(name, "_")) continue;  // a wildcard in a runbook
    EXPECT_THAT(exported, HasSubstr("\n" + name)) << name << " is in alerts.yml but not exported";
    ++names;
  }
  EXPECT_GE(names, 8);
}

TEST_F(HttpTest, MetricsCountRefusedTokensByReason) {
  ASSERT_TRUE(Rpc("tripdesk.v1.CaseService/ListCases", "{}", {{"Authorization", "Bearer nope"}}));
  ASSERT_TRUE(Rpc("tripdesk.v1.AuditService/VerifyLog", "{}", As("dash", "dashboard")));
  const std::string m = http_->Get("/metrics")->body;
  EXPECT_THAT(m, HasSubstr("tripdesk_auth_refusals_total{reason=\"unauthenticated\"} 1"));
  EXPECT_THAT(m, HasSubstr("tripdesk_auth_refusals_total{reason=\"permission_denied\"} 1"));
}

// The per-address limit on failed tokens counts an HTTP client by its own
// address; a gRPC client cannot claim another by sending the same metadata.
TEST_F(HttpTest, FailedTokensCountAgainstTheRealClientAddress) {
  ASSERT_TRUE(Rpc("tripdesk.v1.CaseService/ListCases", "{}", {{"Authorization", "Bearer bad"}}));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer bad");
  context.AddMetadata(services::kHttpPeerHeader, "10.9.9.9");
  v1::ListCasesResponse response;
  EXPECT_EQ(v1::CaseService::NewStub(channel_)->ListCases(&context, {}, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const std::string log = server_->Log();
  EXPECT_THAT(log, HasSubstr("(unauthenticated) from http 127.0.0.1"));
  EXPECT_THAT(log, HasSubstr("(unauthenticated) from 127.0.0.1"));
  EXPECT_THAT(log, Not(HasSubstr("10.9.9.9")));
}

TEST_F(HttpTest, JsonApiAnswersAsGrpcDoesWithTheSameMasking) {
  OpenCar("J1");
  v1::GetCaseRequest get;
  get.set_case_id("J1");
  httplib::Result supervisor = Rpc("tripdesk.v1.CaseService/GetCase", Json(get), As("sue", "supervisor"));
  ASSERT_TRUE(supervisor);
  ASSERT_EQ(supervisor->status, 200) << supervisor->body;
  v1::CaseView view;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(supervisor->body, &view).ok());
  EXPECT_EQ(view.case_id(), "J1");
  EXPECT_EQ(view.customer().email(), "sp@example.com");
  httplib::Result dashboard = Rpc("tripdesk.v1.CaseService/GetCase", Json(get), As("dash", "dashboard"));
  ASSERT_TRUE(dashboard);
  ASSERT_EQ(dashboard->status, 200);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(dashboard->body, &view).ok());
  EXPECT_NE(view.customer().email(), "sp@example.com");
  EXPECT_THAT(dashboard->body, Not(HasSubstr("sp@example.com")));
}

TEST_F(HttpTest, BadRequestsGetTheirCodeAndWriteNothing) {
  OpenCar("B1");
  const uint64_t before = Last();
  struct Case {
    std::string method, body;
    httplib::Headers headers;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"tripdesk.v1.CaseService/SubmitCommand", "{not json", As("alice", "agent"), 400,
       "INVALID_ARGUMENT"},
      {"tripdesk.v1.CaseService/SubmitCommand", "{\"caseId\": \"B1\", \"nope\": 1}",
       As("alice", "agent"), 400, "INVALID_ARGUMENT"},
      {"tripdesk.v1.CaseService/SubmitCommand", "{\"caseId\": \"B1\"}", As("alice", "agent"), 400,
       "INVALID_ARGUMENT"},
      // Out of order: a voucher before the booking is confirmed.
      {"tripdesk.v1.CaseService/SubmitCommand",
       "{\"caseId\": \"B1\", \"command\": {\"carBooking\": {\"createVoucher\": {}}}}",
       As("alice", "agent"), 400, "FAILED_PRECONDITION"},
      {"tripdesk.v1.CaseService/SubmitCommand", "{\"caseId\": \"B1\"}", {}, 401, "UNAUTHENTICATED"},
      {"tripdesk.v1.CaseService/SubmitCommand", "{\"caseId\": \"B1\"}",
       {{"Authorization", "Bearer forged.token.here"}}, 401, "UNAUTHENTICATED"},
      {"tripdesk.v1.CaseService/DropEverything", "{}", As("alice", "agent"), 404, "NOT_FOUND"},
      {"tripdesk.v1.AuditService/RebuildViews", "{}", As("sue", "supervisor"), 403,
       "PERMISSION_DENIED"},
  };
  for (const Case& c : cases) {
    httplib::Result r = Rpc(c.method, c.body, c.headers);
    ASSERT_TRUE(r) << c.method;
    EXPECT_EQ(r->status, c.status) << c.body << " -> " << r->body;
    EXPECT_THAT(r->body, HasSubstr("\"code\":\"" + c.code + "\"")) << c.body;
    EXPECT_THAT(r->body, HasSubstr("\"message\":\"")) << c.body;
  }
  EXPECT_EQ(Last(), before);
}

// As over gRPC: a dashboard may read, and every path that writes refuses
// it, by bearer token and by a signed-in session alike.
TEST_F(HttpTest, DashboardTokenIsRefusedOnEveryCommandPath) {
  OpenCar("D1");
  const uint64_t before = Last();
  // A dashboard signed in on the dashboard page.
  httplib::Result session = http_->Post(
      "/api/session", absl::StrCat("{\"token\":\"", server_->Token("dash", "dashboard"), "\"}"),
      "application/json");
  ASSERT_TRUE(session);
  ASSERT_EQ(session->status, 200) << session->body;
  const std::string cookie = session->get_header_value("Set-Cookie");
  google::protobuf::Struct signed_in;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(session->body, &signed_in).ok());
  const httplib::Headers as_session = {
      {"Cookie", cookie.substr(0, cookie.find(';'))},
      {"X-CSRF-Token", signed_in.fields().at("csrfToken").string_value()}};
  const httplib::Headers as_bearer = As("dash", "dashboard");

  int refused = 0;
  testing::ForEachCommand([&](const auto* workflow, const auto* command) {
    v1::CaseCommand body;  // the command with no field set
    google::protobuf::Message* inner = body.GetReflection()->MutableMessage(&body, workflow);
    inner->GetReflection()->MutableMessage(inner, command);
    for (const char* rpc : {"OpenCase", "SubmitCommand", "PreviewCommand"}) {
      v1::SubmitCommandRequest submit;
      submit.set_case_id("D1");
      *submit.mutable_command() = body;
      for (const httplib::Headers* who : {&as_bearer, &as_session}) {
        httplib::Result r = Rpc(absl::StrCat("tripdesk.v1.CaseService/", rpc), Json(submit), *who);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 403) << rpc << " " << command->full_name() << ": " << r->body;
        ++refused;
      }
    }
  });
  // Every other RPC the policy keeps from dashboards.
  for (const char* rpc : {"tripdesk.v1.EventLog/Append", "tripdesk.v1.AuditService/RebuildViews",
                                 "tripdesk.v1.ClockService/SetTestClock",
                                 "tripdesk.v1.ClockService/AdvanceTestClock",
                                 "tripdesk.v1.EventLog/ReadAll", "tripdesk.v1.AuditService/VerifyLog"}) {
    for (const httplib::Headers* who : {&as_bearer, &as_session}) {
      httplib::Result r = Rpc(rpc, "{}", *who);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403) << rpc << ": " << r->body;
    }
  }
  EXPECT_GT(refused, 100);
  EXPECT_EQ(Last(), before);
  // And it still reads.
  httplib::Result list = Rpc("tripdesk.v1.CaseService/ListCases", "{}", as_session);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
}

TEST_F(HttpTest, SessionCookieNeedsItsCsrfTokenAndASameSiteOrigin) {
  const std::string token = server_->Token("sue", "supervisor");
  httplib::Result session =
      http_->Post("/api/session", absl::StrCat("{\"token\":\"", token, "\"}"), "application/json");
  ASSERT_TRUE(session);
  ASSERT_EQ(session->status, 200);
  const std::string set_cookie = session->get_header_value("Set-Cookie");
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(session->body, Not(HasSubstr(token)));
  google::protobuf::Struct signed_in;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(session->body, &signed_in).ok());
  EXPECT_EQ(signed_in.fields().at("subject").string_value(), "sue");
  const std::string csrf = signed_in.fields().at("csrfToken").string_value();
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));

  auto list = [&](const httplib::Headers& headers) {
    httplib::Result r = Rpc("tripdesk.v1.CaseService/ListCases", "{}", headers);
    return r ? r->status : -1;
  };
  EXPECT_EQ(list({{"Cookie", cookie}, {"X-CSRF-Token", csrf}}), 200);
  EXPECT_EQ(list({{"Cookie", cookie}}), 403);
  EXPECT_EQ(list({{"Cookie", cookie}, {"X-CSRF-Token", std::string(csrf.size(), '0')}}), 403);
  EXPECT_EQ(list({{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "https://evil.example"}}),
            403);
  EXPECT_EQ(list({{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Sec-Fetch-Site", "cross-site"}}),
            403);
  EXPECT_EQ(list({{"Cookie", "tripdesk_session=forged"}, {"X-CSRF-Token", csrf}}), 401);
  // The page reloads: it learns its CSRF token again from the cookie.
  httplib::Result again = http_->Get("/api/session", {{"Cookie", cookie}});
  ASSERT_TRUE(again);
  EXPECT_THAT(again->body, HasSubstr(csrf));
  // Signing out ends the session.
  httplib::Result out = http_->Delete("/api/session", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(list({{"Cookie", cookie}, {"X-CSRF-Token", csrf}}), 401);
  // Another site cannot sign the browser in.
  httplib::Result cross = http_->Post("/api/session", {{"Origin", "https://evil.example"}},
                                      absl::StrCat("{\"token\":\"", token, "\"}"), "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  // A bad token does not sign in.
  httplib::Result bad =
      http_->Post("/api/session", "{\"token\":\"not-a-token\"}", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_THAT(bad->get_header_value("Set-Cookie"), Not(HasSubstr("tripdesk_session=")));
}

TEST_F(HttpTest, LivePagesHearOfACommittedCommandFromTheLog) {
  std::atomic<bool> seen{false};
  std::string events;
  std::mutex mu;
  httplib::Client live("127.0.0.1", server_->http_port());
  live.set_read_timeout(20, 0);
  std::thread reader([&] {
    live.Get("/api/live", As("dash", "dashboard"), [&](const char* data, size_t n) {
      std::lock_guard<std::mutex> lock(mu);
      events.append(data, n);
      seen = absl::StrContains(events, "\"caseId\":\"L1\"");
      return !seen;
    });
  });
  // The stream is open once the watcher is counted.
  for (int i = 0; i < 200 && !absl::StrContains(http_->Get("/metrics")->body,
                                                 "tripdesk_live_watchers 1");
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  OpenCar("L1");
  reader.join();
  EXPECT_TRUE(seen);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(events, HasSubstr("event: changes"));
  EXPECT_THAT(events, HasSubstr("\"actor\":\"alice\""));
}

TEST_F(HttpTest, ARefusedLivePageIsAnHttpErrorNotAnEvent) {
  httplib::Result anonymous = http_->Get("/api/live");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  httplib::Result bad = http_->Get("/api/live?case_id=not%20a%20case%20id", As("dash", "dashboard"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("INVALID_ARGUMENT"));
  // Over gRPC: the watch opens with an empty batch.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + server_->Token("dash", "dashboard"));
  v1::WatchCasesRequest request;
  request.set_case_id("W1");
  auto reader = v1::CaseService::NewStub(channel_)->WatchCases(&context, request);
  v1::CaseChanges first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.changes_size(), 0);
  OpenCar("W1");
  v1::CaseChanges next;
  ASSERT_TRUE(reader->Read(&next));
  ASSERT_EQ(next.changes_size(), 1);
  EXPECT_EQ(next.changes(0).case_id(), "W1");
  context.TryCancel();
}

TEST_F(HttpTest, ServerStreamsComeAsJsonLinesAndExportsAsFiles) {
  OpenCar("S1");
  v1::CaseCommand note;
  note.mutable_common()->mutable_add_note()->set_text("called the vendor");
  v1::CommandReply reply;
  ASSERT_TRUE(client_->Submit(kAgent, "S1", note, &reply).ok());
  v1::GetCaseHistoryRequest history;
  history.set_case_id("S1");
  httplib::Result lines = Rpc("tripdesk.v1.AuditService/GetCaseHistory", Json(history),
                              As("ann", "auditor"));
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->status, 200);
  EXPECT_EQ(lines->get_header_value("Content-Type"), "application/x-ndjson");
  const std::vector<std::string> entries = absl::StrSplit(lines->body, '\n', absl::SkipEmpty());
  ASSERT_GE(entries.size(), 2u) << lines->body;
  EXPECT_THAT(entries[0], HasSubstr("CarRequestReceived"));
  EXPECT_THAT(entries[1], HasSubstr("called the vendor"));
  httplib::Result csv = http_->Post("/api/download/tripdesk.v1.AuditService/ExportTracker",
                                    As("sue", "supervisor"), "{}", "application/json");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_THAT(csv->get_header_value("Content-Disposition"), HasSubstr("tracker.csv"));
  EXPECT_THAT(csv->get_header_value("Content-Type"), HasSubstr("text/csv"));
  // Not an export, and not for a dashboard.
  httplib::Result not_export = http_->Post("/api/download/tripdesk.v1.CaseService/ListCases",
                                           As("sue", "supervisor"), "{}", "application/json");
  ASSERT_TRUE(not_export);
  EXPECT_EQ(not_export->status, 400);
  httplib::Result dashboard = http_->Post("/api/download/tripdesk.v1.AuditService/ExportTracker",
                                          As("dash", "dashboard"), "{}", "application/json");
  ASSERT_TRUE(dashboard);
  EXPECT_EQ(dashboard->status, 403);
}

TEST_F(HttpTest, DashboardPageIsServedWithAStrictContentSecurityPolicy) {
  httplib::Result page = http_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
  EXPECT_EQ(page->get_header_value("X-Frame-Options"), "DENY");
  httplib::Result script = http_->Get("/assets/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_THAT(script->get_header_value("Content-Type"), HasSubstr("javascript"));
  EXPECT_EQ(http_->Get("/assets/nope.js")->status, 404);
}

TEST(HttpListener, RefusesPlaintextOffLoopback) {
  testing::TempDir dir;
  testing::ServerProcess refused(dir.Sub("a"), {"--http_listen=0.0.0.0:0"});
  EXPECT_EQ(testing::DescribeExit(refused.Wait()), "exited 1");
  EXPECT_THAT(refused.Log(), HasSubstr("refusing to serve HTTP in plaintext on 0.0.0.0:0"));
  testing::ServerProcess off(dir.Sub("b"), {"--http_listen="});
  EXPECT_GT(off.port(), 0);
  EXPECT_EQ(off.http_port(), 0);
}

TEST(HttpListener, ServesHttpsWithTheGrpcCertificate) {
  testing::TempDir dir;
  const std::string script = absl::StrCat(
      "cd ", dir.path(), " && set -e && exec >/dev/null 2>&1 && ",
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1 -keyout server.key -out server.pem");
  ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";
  testing::ServerProcess server(dir.Sub("data"), {"--tls_cert_file=" + dir.Sub("server.pem"),
                                                  "--tls_key_file=" + dir.Sub("server.key")});
  ASSERT_GT(server.http_port(), 0) << server.Log();
  httplib::SSLClient https("127.0.0.1", server.http_port());
  https.set_ca_cert_path(dir.Sub("server.pem").c_str());
  https.enable_server_certificate_verification(true);
  httplib::Result health = https.Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  httplib::Client plain("127.0.0.1", server.http_port());
  EXPECT_FALSE(plain.Get("/healthz") && plain.Get("/healthz")->status == 200);
}

}  // namespace
}  // namespace tripdesk
