// Security against the real tripdeskd: bad tokens are UNAUTHENTICATED,
// each role is allowed what it should and denied the rest with nothing
// written, dashboards see masked data, denials are counted, the rate limit
// holds, TLS and mutual TLS, plaintext refused off loopback, and hostile
// input to every workflow command refused with the log unchanged.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <grpcpp/grpcpp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/jwt.h"
#include "tools/commands/car_booking.h"
#include "tests/testing/command_fields.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tripdesk/v1/audit.grpc.pb.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/field_rules.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class SecurityTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<testing::ServerProcess>(dir_.Sub("data"), flags);
    channel_ = server_->Connect();
    ASSERT_NE(channel_, nullptr);
    cases_ = v1::CaseService::NewStub(channel_);
    audit_ = v1::AuditService::NewStub(channel_);
    log_ = v1::EventLog::NewStub(channel_);
  }

  std::string Secret() const { return ReadFile(dir_.Sub("data") + "/dev/jwt-hs256.key"); }

  static void Bearer(grpc::ClientContext& context, const std::string& token) {
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  grpc::Status Open(const std::string& token, const std::string& case_id) {
    v1::OpenCaseRequest request;
    request.set_case_id(case_id);
    const absl::Time pick = absl::Now() + absl::Hours(24 * 7);
    *request.mutable_command() = commands::AsCaseCommand(commands::Request(pick, pick + absl::Hours(72)));
    grpc::ClientContext context;
    Bearer(context, token);
    v1::CommandReply reply;
    return cases_->OpenCase(&context, request, &reply);
  }

  // `min_position`: wait for the views to include it (read your writes).
  grpc::Status GetCase(const std::string& token, const std::string& case_id, v1::CaseView* view,
                       uint64_t min_position = 0) {
    v1::GetCaseRequest request;
    request.set_case_id(case_id);
    request.set_min_position(min_position);
    grpc::ClientContext context;
    Bearer(context, token);
    return cases_->GetCase(&context, request, view);
  }

  uint64_t LastPosition() { return server_->LastPosition(channel_); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
  std::unique_ptr<v1::EventLog::Stub> log_;
};

TEST_F(SecurityTest, MissingExpiredWrongAudienceWrongSignatureAndAlgNoneAreUnauthenticated) {
  Start();
  const std::string secret = Secret();
  const absl::Time now = absl::Now();
  const std::string alg_none = absl::StrCat(
      absl::WebSafeBase64Escape(R"({"alg":"none"})"), ".",
      absl::WebSafeBase64Escape(absl::StrCat(
          R"({"iss":"tripdesk","aud":"tripdesk","sub":"eve","roles":["admin"],"exp":)",
          absl::ToUnixSeconds(now + absl::Hours(1)), "}")),
      ".");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"missing", ""},
      {"garbage", "not.a.jwt"},
      {"expired", services::SignHs256Jwt(secret, "tripdesk", "tripdesk", "alice", {"agent"},
                                         now - absl::Hours(3), absl::Hours(1))},
      {"wrong audience", services::SignHs256Jwt(secret, "tripdesk", "billing", "alice", {"agent"},
                                                now, absl::Hours(1))},
      {"wrong signature", services::SignHs256Jwt("an-attacker-secret-an-attacker-secret", "tripdesk",
                                                 "tripdesk", "alice", {"agent"}, now, absl::Hours(1))},
      {"alg none", alg_none},
  };
  const uint64_t before = LastPosition();
  for (const auto& [what, token] : bad) {
    grpc::ClientContext context;
    if (!token.empty()) Bearer(context, token);
    v1::OpenCaseRequest request;
    request.set_case_id("X1");
    *request.mutable_command() = commands::AsCaseCommand(
        commands::Request(now + absl::Hours(200), now + absl::Hours(300)));
    v1::CommandReply reply;
    grpc::Status s = cases_->OpenCase(&context, request, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << what << ": " << s.error_message();
    v1::CaseView view;
    EXPECT_EQ(GetCase(token, "X1", &view).error_code(), grpc::StatusCode::UNAUTHENTICATED) << what;
  }
  EXPECT_EQ(LastPosition(), before);

  // Counted, by kind and RPC.
  grpc::ClientContext context;
  Bearer(context, server_->Token("root", "admin"));
  v1::SecurityCounters counters;
  ASSERT_TRUE(audit_->GetSecurityCounters(&context, {}, &counters).ok());
  EXPECT_GE(counters.unauthenticated(), 2 * bad.size());
  EXPECT_GE(counters.denied_by_rpc().at("tripdesk.v1.CaseService/OpenCase"), bad.size());
}

TEST_F(SecurityTest, EachRoleIsAllowedWhatItShouldAndDeniedTheRestWritingNothing) {
  Start();
  ASSERT_TRUE(Open(server_->Token("alice", "agent"), "R1").ok());
  const uint64_t before = LastPosition();
  struct Expect {
    std::string role;
    bool open, read_log, rebuild, counters;
  };
  for (const Expect& e : std::vector<Expect>{{"agent", true, false, false, false},
                                             {"tech_spoc", true, false, false, false},
                                             {"supervisor", true, true, false, false},
                                             {"auditor", false, true, false, true},
                                             {"dashboard", false, false, false, false},
                                             {"admin", false, true, true, true}}) {
    const std::string token = server_->Token("u-" + e.role, e.role);
    v1::CaseView view;
    EXPECT_TRUE(GetCase(token, "R1", &view, LastPosition()).ok()) << e.role << " reads cases";
    // Opening a case that already exists: allowed roles get ALREADY_EXISTS.
    const grpc::StatusCode open = Open(token, "R1").error_code();
    EXPECT_EQ(open, e.open ? grpc::StatusCode::ALREADY_EXISTS : grpc::StatusCode::PERMISSION_DENIED)
        << e.role;
    {
      grpc::ClientContext c;
      Bearer(c, token);
      v1::ReadAllResponse page;
      EXPECT_EQ(log_->ReadAll(&c, {}, &page).ok(), e.read_log) << e.role;
    }
    {
      grpc::ClientContext c;
      Bearer(c, token);
      v1::SecurityCounters counters;
      EXPECT_EQ(audit_->GetSecurityCounters(&c, {}, &counters).ok(), e.counters) << e.role;
    }
    {
      grpc::ClientContext c;
      Bearer(c, token);
      v1::RebuildViewsRequest request;
      request.set_view("tracker");
      auto reader = audit_->RebuildViews(&c, request);
      v1::RebuildProgress progress;
      while (reader->Read(&progress)) {
      }
      EXPECT_EQ(reader->Finish().ok(), e.rebuild) << e.role;
    }
  }
  EXPECT_EQ(LastPosition(), before);
}

TEST_F(SecurityTest, EventsRecordTheTokensSubjectAndDashboardsSeeMaskedData) {
  Start();
  ASSERT_TRUE(Open(server_->Token("alice", "agent"), "R2").ok());
  grpc::ClientContext c;
  Bearer(c, server_->Token("ann", "auditor"));
  v1::ReadStreamRequest read;
  read.set_stream("case-R2");
  v1::ReadStreamResponse records;
  ASSERT_TRUE(log_->ReadStream(&c, read, &records).ok());
  ASSERT_EQ(records.records_size(), 1);
  EXPECT_EQ(records.records(0).actor_id(), "alice");
  EXPECT_EQ(records.records(0).actor_role(), "agent");

  v1::CaseView full;
  ASSERT_TRUE(GetCase(server_->Token("ann", "auditor"), "R2", &full, LastPosition()).ok());
  EXPECT_EQ(full.customer().email(), "sp@example.com");
  v1::GetCaseRequest request;
  request.set_case_id("R2");
  v1::CaseView masked;
  ASSERT_TRUE(GetCase(server_->Token("dash", "dashboard"), "R2", &masked, LastPosition()).ok());
  EXPECT_EQ(masked.customer().email(), "s***@example.com");
  EXPECT_EQ(masked.customer().name(), full.customer().name());
  EXPECT_NE(masked.customer().phone(), full.customer().phone());
  EXPECT_EQ(masked.customer().phone().substr(0, 3), "***");
}

TEST_F(SecurityTest, ARateLimitPerSubjectAnswersResourceExhausted) {
  Start({"--rate_limit_per_second=5"});
  const std::string token = server_->Token("alice", "agent");
  int limited = 0;
  for (int i = 0; i < 40; ++i) {
    v1::CaseView view;
    grpc::Status s = GetCase(token, "NOPE", &view);
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++limited;
      EXPECT_THAT(s.error_message(), HasSubstr("rate limit"));
    }
  }
  EXPECT_GT(limited, 20);
  // Another subject has its own allowance.
  v1::CaseView view;
  EXPECT_EQ(GetCase(server_->Token("bob", "agent"), "NOPE", &view).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SecurityTest, PlaintextOffLoopbackIsRefusedUnlessExplicitlyAllowed) {
  testing::ServerProcess refused(dir_.Sub("a"), {"--listen=0.0.0.0:0"});
  EXPECT_EQ(testing::DescribeExit(refused.Wait()), "exited 1");
  EXPECT_THAT(refused.Log(), HasSubstr("refusing plaintext on 0.0.0.0:0"));
  // Off loopback there are no development keys either.
  testing::ServerProcess no_key(dir_.Sub("b"),
                                {"--listen=0.0.0.0:0", "--allow_plaintext_non_loopback"});
  EXPECT_EQ(testing::DescribeExit(no_key.Wait()), "exited 1");
  EXPECT_THAT(no_key.Log(), HasSubstr("no token key: give --jwt_hs256_key_file"));
  // A name is not loopback because it starts like an address.
  testing::ServerProcess named(dir_.Sub("c"), {"--listen=127.example.invalid:0"});
  EXPECT_EQ(testing::DescribeExit(named.Wait()), "exited 1");
  EXPECT_THAT(named.Log(), HasSubstr("refusing plaintext on 127.example.invalid:0"));
}

// Certificates made with the openssl tool: a CA, a server certificate for
// localhost, a client certificate, and a second CA nobody trusts.
class TlsTest : public SecurityTest {
 protected:
  void SetUp() override {
    const std::string d = dir_.path();
    const std::string script = absl::StrCat(
        "cd ", d, " && set -e && exec >/dev/null 2>&1 && ",
        "for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=$ca "
        "-keyout $ca.key -out $ca.pem; done && ",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext && ",
        "for who in server client; do openssl req -newkey rsa:2048 -nodes -subj /CN=$who "
        "-keyout $who.key -out $who.csr && openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -days 2 -extfile san.ext -out $who.pem; done");
    ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& ca, bool with_client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(dir_.Sub(ca + ".pem"));
    if (with_client_cert) {
      ssl.pem_cert_chain = ReadFile(dir_.Sub("client.pem"));
      ssl.pem_private_key = ReadFile(dir_.Sub("client.key"));
    }
    return server_->Connect(std::chrono::seconds(3), grpc::SslCredentials(ssl));
  }

  bool CanRead(const std::shared_ptr<grpc::Channel>& channel) {
    if (channel == nullptr) return false;
    grpc::ClientContext c;
    Bearer(c, server_->Token("ann", "auditor"));
    v1::ReadAllResponse page;
    return v1::EventLog::NewStub(channel)->ReadAll(&c, {}, &page).ok();
  }
};

TEST_F(TlsTest, AClientTrustingTheCaConnectsOthersDoNot) {
  server_ = std::make_unique<testing::ServerProcess>(
      dir_.Sub("data"), std::vector<std::string>{"--tls_cert_file=" + dir_.Sub("server.pem"),
                                                 "--tls_key_file=" + dir_.Sub("server.key")});
  EXPECT_TRUE(CanRead(Channel("ca", false)));
  EXPECT_FALSE(CanRead(Channel("other", false)));
  EXPECT_EQ(server_->Connect(std::chrono::seconds(2)), nullptr) << "plaintext client connected";
}

TEST_F(TlsTest, WithMutualTlsAClientWithoutACertificateIsRefused) {
  server_ = std::make_unique<testing::ServerProcess>(
      dir_.Sub("data"), std::vector<std::string>{"--tls_cert_file=" + dir_.Sub("server.pem"),
                                                 "--tls_key_file=" + dir_.Sub("server.key"),
                                                 "--tls_client_ca_file=" + dir_.Sub("ca.pem")});
  EXPECT_TRUE(CanRead(Channel("ca", true)));
  EXPECT_FALSE(CanRead(Channel("ca", false)));
}

// Fills every field of a command with hostile values: strings of invalid
// UTF-8 or 100 KB, negative numbers, unknown enum values, timestamps in the
// year 9999.
void Poison(google::protobuf::Message& message, int variant, int depth = 0) {
  const google::protobuf::Descriptor* d = message.GetDescriptor();
  const google::protobuf::Reflection* r = message.GetReflection();
  using FD = google::protobuf::FieldDescriptor;
  for (int i = 0; i < d->field_count(); ++i) {
    const FD* f = d->field(i);
    if (f->is_repeated()) {
      if (f->cpp_type() == FD::CPPTYPE_STRING) r->AddString(&message, f, std::string(50000, 'x'));
      continue;
    }
    switch (f->cpp_type()) {
      case FD::CPPTYPE_STRING:
        r->SetString(&message, f, variant == 0 ? std::string("\xc3\x28\xff bad", 7)
                                               : std::string(100000, 'A'));
        break;
      case FD::CPPTYPE_INT32:
        r->SetInt32(&message, f, -2147483647);
        break;
      case FD::CPPTYPE_INT64:
        r->SetInt64(&message, f, variant == 0 ? -1 : INT64_MIN);
        break;
      case FD::CPPTYPE_UINT32:
      case FD::CPPTYPE_UINT64:
        break;
      case FD::CPPTYPE_BOOL:
        r->SetBool(&message, f, true);
        break;
      case FD::CPPTYPE_ENUM:
        r->SetEnumValue(&message, f, 999);
        break;
      case FD::CPPTYPE_MESSAGE:
        if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
          auto* ts = static_cast<google::protobuf::Timestamp*>(r->MutableMessage(&message, f));
          ts->set_seconds(253402300799);  // 9999-12-31
        } else if (depth < 3) {
          Poison(*r->MutableMessage(&message, f), variant, depth + 1);
        }
        break;
      default:
        break;
    }
  }
}

TEST_F(SecurityTest, HostileInputToEveryCommandIsRefusedAndChangesNothing) {
  Start();
  ASSERT_TRUE(Open(server_->Token("alice", "agent"), "H1").ok());
  const uint64_t before = LastPosition();
  const std::string supervisor = server_->Token("sue", "supervisor");
  const std::string tech_spoc = server_->Token("tom", "tech_spoc");
  const google::protobuf::Descriptor* root = v1::CaseCommand::descriptor();
  int calls = 0;
  for (int w = 0; w < root->field_count(); ++w) {
    const google::protobuf::FieldDescriptor* workflow = root->field(w);
    for (int c = 0; c < workflow->message_type()->field_count(); ++c) {
      const google::protobuf::FieldDescriptor* command = workflow->message_type()->field(c);
      for (int variant = 0; variant < 2; ++variant) {
        v1::SubmitCommandRequest request;
        request.set_case_id("H1");
        google::protobuf::Message* body = request.mutable_command()->GetReflection()->MutableMessage(
            request.mutable_command(), workflow);
        google::protobuf::Message* fields = body->GetReflection()->MutableMessage(body, command);
        Poison(*fields, variant);
        for (const std::string& token : {supervisor, tech_spoc}) {
          grpc::ClientContext context;
          Bearer(context, token);
          v1::CommandReply reply;
          grpc::Status s = cases_->SubmitCommand(&context, request, &reply);
          ++calls;
          EXPECT_FALSE(s.ok()) << command->full_name() << " variant " << variant;
          // Invalid UTF-8 never reaches a handler: protobuf's parser refuses
          // the request and gRPC answers for it. Everything else is ours.
          if (variant == 1) {
            EXPECT_FALSE(s.error_message().empty())
                << command->full_name() << ": code " << s.error_code();
          }
          // New cases through OpenCase are refused the same way.
          v1::OpenCaseRequest open;
          open.set_case_id(absl::StrCat("H", w, "-", c, "-", variant));
          *open.mutable_command() = request.command();
          grpc::ClientContext open_context;
          Bearer(open_context, token);
          EXPECT_FALSE(cases_->OpenCase(&open_context, open, &reply).ok()) << command->full_name();
        }
      }
    }
  }
  EXPECT_GE(calls, 100);
  // An oversized request (5 MiB against the 4 MiB limit).
  v1::SubmitCommandRequest big;
  big.set_case_id("H1");
  big.mutable_command()->mutable_car_booking()->mutable_add_note()->set_text(std::string(5 << 20, 'n'));
  grpc::ClientContext context;
  Bearer(context, supervisor);
  v1::CommandReply reply;
  EXPECT_EQ(cases_->SubmitCommand(&context, big, &reply).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  EXPECT_EQ(LastPosition(), before);
  v1::CaseView view;
  EXPECT_TRUE(GetCase(supervisor, "H1", &view).ok()) << "the server still serves";
}

// A card number in any string field of any command of any workflow, on an
// open case and on a new one: INVALID_ARGUMENT naming the field, the digits
// never echoed, nothing written. The same for control characters and
// bidirectional overrides.
TEST_F(SecurityTest, CardNumbersAndControlCharactersInAnyFieldAreRefusedBeforeDeciding) {
  // Several calls per string field of every workflow's commands, as fast as
  // the test sends them: the per-caller limit is another test's subject.
  Start({"--rate_limit_per_second=0"});
  ASSERT_TRUE(Open(server_->Token("alice", "agent"), "K1").ok());
  const uint64_t before = LastPosition();
  // Every command's roles, so the field checks are what answers.
  const std::string supervisor = services::SignHs256Jwt(
      Secret(), "tripdesk", "tripdesk", "sue", {"supervisor", "tech_spoc"}, absl::Now(), absl::Hours(1));
  int fields = 0;
  testing::ForEachStringField([&](const std::string& path, const google::protobuf::FieldDescriptor* field,
                                  const auto& make) {
    ++fields;
    const bool phone = field->options().GetExtension(v1::rules).phone();
    for (const std::string& value :
         {std::string(phone ? "3782 822463 10005" : "4111 1111 1111 1111"), std::string("a\x1b[2Jb"),
          std::string("a\xc2\x9b" "b"), std::string("a\xe2\x80\xae" "b")}) {
      v1::SubmitCommandRequest submit;
      submit.set_case_id("K1");
      *submit.mutable_command() = make(value);
      grpc::ClientContext context;
      Bearer(context, supervisor);
      v1::CommandReply reply;
      const grpc::Status s = cases_->SubmitCommand(&context, submit, &reply);
      EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("1111"))) << path;
      if (absl::StartsWith(path, "fire_timer.")) {
        // The scheduler's step: no token holds its role.
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << path;
        continue;
      }
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
      EXPECT_THAT(s.error_message(), ::testing::StartsWith(path + ": ")) << path;

      v1::OpenCaseRequest open;
      open.set_case_id("K2");
      *open.mutable_command() = submit.command();
      grpc::ClientContext open_context;
      Bearer(open_context, supervisor);
      EXPECT_EQ(cases_->OpenCase(&open_context, open, &reply).error_code(),
                grpc::StatusCode::INVALID_ARGUMENT)
          << path;
    }
  });
  EXPECT_GE(fields, 60);
  EXPECT_EQ(LastPosition(), before) << "a refused command writes nothing";
}

// A token over 8 KiB reaches the token check (gRPC's own metadata limit
// would answer first, unlogged and uncounted): UNAUTHENTICATED, counted.
TEST_F(SecurityTest, ATokenOverEightKibibytesIsUnauthenticatedAndCounted) {
  Start();
  v1::CaseView view;
  const grpc::Status s = GetCase(std::string(16 << 10, 'a'), "NOPE", &view);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("longer than 8 KiB"));
  grpc::ClientContext context;
  Bearer(context, server_->Token("root", "admin"));
  v1::SecurityCounters counters;
  ASSERT_TRUE(audit_->GetSecurityCounters(&context, {}, &counters).ok());
  EXPECT_EQ(counters.unauthenticated(), 1u);
}

// A flood of calls without a valid token from one address: past its
// allowance the address is refused before its tokens are read, a client
// whose token was verified before keeps working, and the server's log gets
// a bounded number of lines while the counters count every call.
TEST_F(SecurityTest, CallsWithoutAValidTokenAreLimitedPerAddressAndLoggedSparingly) {
  Start({"--unauthenticated_rate_limit_per_second=5", "--denial_log_lines_per_second=2"});
  const std::string good = server_->Token("alice", "agent");
  v1::CaseView view;
  ASSERT_EQ(GetCase(good, "NOPE", &view).error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string forged = good.substr(0, good.size() - 4) + "AAAA";
  constexpr int kFlood = 300;
  int unauthenticated = 0;
  int limited = 0;
  for (int i = 0; i < kFlood; ++i) {
    const grpc::Status s = GetCase(forged, "NOPE", &view);
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) ++unauthenticated;
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++limited;
      EXPECT_THAT(s.error_message(), HasSubstr("too many calls without a valid token from 127.0.0.1"));
    }
  }
  EXPECT_EQ(unauthenticated + limited, kFlood);
  EXPECT_GE(limited, kFlood - 60) << "the burst is 10 and the refill 5 a second";
  // The known client is not caught in its address's flood.
  EXPECT_EQ(GetCase(good, "NOPE", &view).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext context;
  Bearer(context, server_->Token("root", "admin"));  // a fresh token: refused while blocked
  v1::SecurityCounters counters;
  EXPECT_EQ(audit_->GetSecurityCounters(&context, {}, &counters).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  absl::SleepFor(absl::Seconds(1));  // the allowance refills
  grpc::ClientContext again;
  Bearer(again, server_->Token("root", "admin"));
  ASSERT_TRUE(audit_->GetSecurityCounters(&again, {}, &counters).ok());
  EXPECT_EQ(counters.unauthenticated() + counters.rate_limited(), kFlood + 1u);
  EXPECT_GT(counters.denials_not_logged(), 200u);
  // The next logged denial says how many went unlogged.
  EXPECT_EQ(GetCase(forged, "NOPE", &view).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const std::string log = server_->Log();
  int lines = 0;
  for (size_t at = log.find("denied "); at != std::string::npos; at = log.find("denied ", at + 1)) ++lines;
  EXPECT_LE(lines, 20) << "denials logged for " << kFlood + 2 << " refused calls";
  EXPECT_THAT(log, HasSubstr("denials since the last line were counted, not logged"));
}

// A live subscription ends when its token does, even while no record comes.
TEST_F(SecurityTest, ASubscriptionEndsUnauthenticatedWhenItsTokenExpires) {
  Start({"--jwt_clock_skew_seconds=0"});
  ASSERT_TRUE(Open(server_->Token("alice", "agent"), "E1").ok());
  grpc::ClientContext context;
  Bearer(context, server_->Token("ann", "auditor", absl::Seconds(2)));
  const absl::Time start = absl::Now();
  auto reader = log_->Subscribe(&context, v1::SubscribeRequest());
  v1::RecordEnvelope record;
  ASSERT_TRUE(reader->Read(&record));
  EXPECT_EQ(record.position(), 1u);
  EXPECT_FALSE(reader->Read(&record)) << "nothing more is delivered after the token expired";
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("the token expired during the subscription; subscribe again with a fresh "
                        "token from position 2"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace tripdesk
