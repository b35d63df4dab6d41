// tripdesk: the command-line client of tripdeskd.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/cli/case_commands.h"
#include "tools/cli/output.h"
#include "tools/client_credentials.h"
#include "tripdesk/v1/log.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tripdeskd address, host:port");
ABSL_FLAG(bool, json, false, "print JSON lines (protobuf's JSON mapping) instead of tables");
ABSL_FLAG(uint64_t, from, 0, "log: first position (read-all, subscribe) or revision (read-stream)");
ABSL_FLAG(uint32_t, limit, 0, "log: most records to return (0: the server's default page)");
ABSL_FLAG(int64_t, timeout_seconds, 10, "deadline of each call (subscribe: none)");
ABSL_FLAG(std::string, token, "", "bearer token (default: $TRIPDESK_TOKEN, else --as)");
ABSL_FLAG(std::string, as, "agent",
          "without a token: use the development token of this role (agent, tech_spoc, "
          "supervisor, auditor, dashboard, admin) from --dev_dir");
ABSL_FLAG(std::string, dev_dir, "./data/dev", "where tripdeskd wrote its development tokens");
ABSL_FLAG(std::string, tls_ca_file, "", "TLS: the CA that signed the server's certificate");
ABSL_FLAG(std::string, tls_cert_file, "", "mutual TLS: this client's certificate (PEM)");
ABSL_FLAG(std::string, tls_key_file, "", "mutual TLS: this client's key (PEM)");
ABSL_FLAG(std::string, tls_server_name, "", "TLS: the name expected in the server's certificate");
ABSL_FLAG(std::string, command_id, "",
          "case commands: id making a retry safe (default: a new random id, printed)");
ABSL_FLAG(std::string, case_id, "", "case open: the new case's id (default: derived)");
ABSL_FLAG(int64_t, expected_revision, -1,
          "case commands: refuse unless the case is at this revision (-1: any)");
ABSL_FLAG(uint64_t, min_position, 0, "queries: wait until the views include this log position");
ABSL_FLAG(std::string, state, "", "case list: filter by state, e.g. QUOTE_SENT");
ABSL_FLAG(std::string, queue, "", "case list: filter by queue");
ABSL_FLAG(std::string, agent, "", "case list: filter by assigned agent");
ABSL_FLAG(std::string, updated_since, "", "case list: RFC 3339 time");
ABSL_FLAG(std::string, customer, "", "case list: a word of the customer's name, or the email");
ABSL_FLAG(std::string, client_company, "", "case list: client company");
ABSL_FLAG(std::string, reference, "", "case list: a confirmation or RA number, or the ticket");
ABSL_FLAG(std::string, travel_from, "", "case list: trips starting on or after, YYYY-MM-DD");
ABSL_FLAG(std::string, travel_to, "", "case list: trips starting on or before, YYYY-MM-DD");
ABSL_FLAG(std::string, destination, "", "case list: destination location");
ABSL_FLAG(std::string, priority, "", "case list: low, normal, high or urgent");
ABSL_FLAG(std::string, tag, "", "case list: a tag");
ABSL_FLAG(bool, waiting_on_customer, false,
          "case list: only open cases waiting for the customer's answer");
ABSL_FLAG(uint32_t, page_size, 0, "lists: rows per page (0: the server's default)");
ABSL_FLAG(std::string, page_token, "", "lists: the next_page_token of the previous page");
ABSL_FLAG(std::string, from_date, "", "tracker: first date, YYYY-MM-DD");
ABSL_FLAG(std::string, to_date, "", "tracker: last date, YYYY-MM-DD");
ABSL_FLAG(std::string, company, "", "tracker: client company");

namespace tripdesk::cli {
namespace {


void PrintRecords(const Context& ctx, const google::protobuf::RepeatedPtrField<v1::RecordEnvelope>& records) {
  if (ctx.json) {
    for (const auto& r : records) std::cout << ToJsonLine(r) << "\n";
    return;
  }
  Table table({"POSITION", "STREAM", "REV", "EVENT", "RECORDED AT", "ACTOR", "COMMAND", "HASH"});
  for (const auto& r : records) {
    table.Add({absl::StrCat(r.position()), r.stream(), absl::StrCat(r.revision()),
               r.event_type(), google::protobuf::util::TimeUtil::ToString(r.recorded_at()),
               absl::StrCat(r.actor_id(), "/", r.actor_role()), r.command_id(),
               HexPrefix(r.hash(), 12)});
  }
  std::cout << table.Render();
}

// tripdesk health [SERVICE]: the server's, or one service's, e.g.
// tripdesk.v1.CaseService (NOT_SERVING while the log cannot be written).
int Health(const Context& ctx, const Args& args) {
  auto stub = grpc::health::v1::Health::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::health::v1::HealthCheckRequest request;
  if (!args.empty()) request.set_service(args[0]);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(response) << "\n";
  } else {
    std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
              << "\n";
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

int ReadAll(const Context& ctx, const Args&) {
  auto stub = v1::EventLog::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReadAllRequest request;
  request.set_from_position(absl::GetFlag(FLAGS_from));
  request.set_limit(absl::GetFlag(FLAGS_limit));
  v1::ReadAllResponse response;
  grpc::Status status = stub->ReadAll(&context, request, &response);
  if (!status.ok()) return Fail(status);
  PrintRecords(ctx, response.records());
  if (!ctx.json) std::cout << "last position: " << response.last_position() << "\n";
  return 0;
}

int ReadStream(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk log read-stream STREAM [--from=REVISION] [--limit=N]\n";
    return 2;
  }
  auto stub = v1::EventLog::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReadStreamRequest request;
  request.set_stream(args[0]);
  request.set_from_revision(absl::GetFlag(FLAGS_from));
  request.set_limit(absl::GetFlag(FLAGS_limit));
  v1::ReadStreamResponse response;
  grpc::Status status = stub->ReadStream(&context, request, &response);
  if (!status.ok()) return Fail(status);
  PrintRecords(ctx, response.records());
  return 0;
}

int Head(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk log head STREAM\n";
    return 2;
  }
  auto stub = v1::EventLog::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetStreamHeadRequest request;
  request.set_stream(args[0]);
  v1::StreamHead head;
  grpc::Status status = stub->GetStreamHead(&context, request, &head);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(head) << "\n";
  } else {
    std::cout << head.stream() << " revision " << head.revision() << " position "
              << head.position() << " hash " << HexPrefix(head.hash(), 64) << "\n";
  }
  return 0;
}

int Subscribe(const Context& ctx, const Args&) {
  auto stub = v1::EventLog::NewStub(ctx.channel);
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  request.set_from_position(absl::GetFlag(FLAGS_from));
  auto reader = stub->Subscribe(&context, request);
  v1::RecordEnvelope record;
  while (reader->Read(&record)) {
    if (ctx.json) {
      std::cout << ToJsonLine(record) << std::endl;
    } else {
      std::cout << record.position() << "  " << record.stream() << "@" << record.revision()
                << "  " << record.event_type() << "  " << record.actor_id() << std::endl;
    }
  }
  return Fail(reader->Finish());
}

const std::map<std::string, std::function<int(const Context&, const Args&)>>& Commands() {
  static const auto* const kCommands =
      new std::map<std::string, std::function<int(const Context&, const Args&)>>{
          {"health", Health},
          {"log read-all", ReadAll},
          {"log read-stream", ReadStream},
          {"log head", Head},
          {"log subscribe", Subscribe},
          {"case open", CaseOpen},
          {"case show", CaseShow},
          {"case list", CaseList},
          {"case find", CaseFind},
          {"case notes", CaseNotes},
          {"case commands", CaseCommandList},
          {"reservation show", ReservationShow},
          {"tracker", TrackerList},
          {"units available", UnitsAvailable},
          {"fleet bookings", FleetBookings},
          {"fleet availability", FleetAvailability},
          {"fleet accounts", FleetAccounts},
          {"reference", ReferenceShow},
          {"audit history", AuditHistory},
          {"audit replay", AuditReplay},
          {"audit verify", AuditVerify},
          {"audit export", AuditExport},
          {"audit export-tracker", AuditExportTracker},
          {"audit key", AuditKey},
          {"audit head-save", AuditHeadSave},
          {"audit head-check", AuditHeadCheck},
          {"audit bundle", AuditBundle},
          {"clock show", ClockShow},
          {"deadlines", DeadlinesList},
          {"clock set", ClockSet},
          {"clock advance", ClockAdvance},
          {"admin rebuild", AdminRebuild},
          {"admin denials", AdminDenials},
          {"admin scan-card-numbers", AdminScanCardNumbers},
      };
  return *kCommands;
}

std::string Usage() {
  std::string usage =
      "tripdesk: the command-line client of tripdeskd\n\n"
      "usage: tripdesk [--server=HOST:PORT] [--json] COMMAND [ARGS] [FLAGS]\n\ncommands:\n";
  for (const auto& [name, fn] : Commands()) absl::StrAppend(&usage, "  ", name, "\n");
  absl::StrAppend(&usage,
                  "  case COMMAND CASE_ID [--field=value ...]   any workflow command, e.g.\n"
                  "      tripdesk case send_quote C1A2B3 --amount=\"USD 450.00\" "
                  "--approver_email=boss@acme.example\n"
                  "      (tripdesk case commands lists them with their fields)\n");
  return usage;
}

}  // namespace
}  // namespace tripdesk::cli

int main(int argc, char** argv) {
  using namespace tripdesk::cli;
  absl::SetProgramUsageMessage(Usage());
  // Words like --customer.email=... are command fields, not flags: only the
  // flags defined here go to the flag parser.
  // A case command's fields may share a name with a listing flag (--queue):
  // for those commands only these flags are the CLI's.
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--", 0) != 0) positional.push_back(argv[i]);
  }
  // The fleet's views take their request's fields the same way.
  const bool case_command = (positional.size() >= 2 && positional[0] == "case" &&
                             positional[1] != "show" && positional[1] != "list" &&
                             positional[1] != "commands" && positional[1] != "find" &&
                             positional[1] != "notes") ||
                            (!positional.empty() && positional[0] == "fleet");
  static const std::set<std::string> kCommandFlags = {
      "server", "json", "token", "as", "dev_dir", "tls_ca_file", "tls_cert_file", "tls_key_file",
      "tls_server_name", "command_id", "case_id", "expected_revision", "preview",
      "timeout_seconds", "workflow", "help", "helpfull"};
  std::vector<char*> flag_argv = {argv[0]};
  Args fields;
  Args words;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      const std::string name = arg.substr(2, arg.find('=') - 2);
      // --case_id names the new case of `case open`; a command on a case
      // takes the case as its argument, so there it is the command's field
      // (link_case's related case, say).
      const bool opening = positional.size() >= 2 && positional[1] == "open";
      const bool cli_flag =
          case_command ? kCommandFlags.contains(name) && (name != "case_id" || opening)
                       : (absl::FindCommandLineFlag(name) != nullptr || name == "help" ||
                          name == "helpfull");
      if (cli_flag) {
        flag_argv.push_back(argv[i]);
      } else {
        fields.push_back(arg);
      }
    } else {
      flag_argv.push_back(argv[i]);
    }
  }
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(flag_argv.size()), flag_argv.data());
  words.assign(rest.begin() + 1, rest.end());

  Context ctx;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = tripdesk::tools::OpenChannel(
      absl::GetFlag(FLAGS_server),
      {absl::GetFlag(FLAGS_tls_ca_file), absl::GetFlag(FLAGS_tls_cert_file),
       absl::GetFlag(FLAGS_tls_key_file), absl::GetFlag(FLAGS_tls_server_name)});
  if (!channel.ok()) {
    std::cerr << "error: " << channel.status().message() << "\n";
    return 2;
  }
  ctx.channel = *channel;
  ctx.json = absl::GetFlag(FLAGS_json);
  ctx.fields = fields;
  // The longest command name that prefixes the words wins ("log head" ...).
  for (size_t n = std::min<size_t>(words.size(), 2); n > 0; --n) {
    std::string name;
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&name, i > 0 ? " " : "", words[i]);
    auto it = Commands().find(name);
    if (it == Commands().end()) continue;
    if (!fields.empty() && name.rfind("case ", 0) != 0 && name.rfind("fleet ", 0) != 0) {
      std::cerr << "unknown flag " << fields.front() << "\n";
      return 2;
    }
    return it->second(ctx, Args(words.begin() + n, words.end()));
  }
  if (words.size() >= 2 && words[0] == "case") {
    return CaseCommand(ctx, words[1], Args(words.begin() + 2, words.end()));
  }
  std::cerr << Usage();
  return 2;
}
