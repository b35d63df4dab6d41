// tripdesk: the command-line client of tripdeskd.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/cli/output.h"
#include "tripdesk/v1/log.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tripdeskd address, host:port");
ABSL_FLAG(bool, json, false, "print JSON lines (protobuf's JSON mapping) instead of tables");
ABSL_FLAG(uint64_t, from, 0, "log: first position (read-all, subscribe) or revision (read-stream)");
ABSL_FLAG(uint32_t, limit, 0, "log: most records to return (0: the server's default page)");
ABSL_FLAG(int64_t, timeout_seconds, 10, "deadline of each call (subscribe: none)");

namespace tripdesk::cli {
namespace {

using Args = std::vector<std::string>;

struct Context {
  std::shared_ptr<grpc::Channel> channel;
  bool json = false;
};

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(absl::GetFlag(FLAGS_timeout_seconds)));
}

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

int Health(const Context& ctx, const Args&) {
  auto stub = grpc::health::v1::Health::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, {}, &response);
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
      };
  return *kCommands;
}

std::string Usage() {
  std::string usage =
      "tripdesk: the command-line client of tripdeskd\n\n"
      "usage: tripdesk [--server=HOST:PORT] [--json] COMMAND [ARGS] [FLAGS]\n\ncommands:\n";
  for (const auto& [name, fn] : Commands()) absl::StrAppend(&usage, "  ", name, "\n");
  return usage;
}

}  // namespace
}  // namespace tripdesk::cli

int main(int argc, char** argv) {
  using namespace tripdesk::cli;
  absl::SetProgramUsageMessage(Usage());
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  Args words(rest.begin() + 1, rest.end());
  // The longest command name that prefixes the words wins ("log head" ...).
  for (size_t n = std::min<size_t>(words.size(), 2); n > 0; --n) {
    std::string name;
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&name, i > 0 ? " " : "", words[i]);
    auto it = Commands().find(name);
    if (it == Commands().end()) continue;
    Context ctx;
    ctx.channel = grpc::CreateChannel(absl::GetFlag(FLAGS_server),
                                      grpc::InsecureChannelCredentials());
    ctx.json = absl::GetFlag(FLAGS_json);
    return it->second(ctx, Args(words.begin() + n, words.end()));
  }
  std::cerr << Usage();
  return 2;
}
