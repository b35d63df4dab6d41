#include "services/json_gateway.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "services/identity.h"

namespace tripdesk::services {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// One operation at a time on the call's own queue: waits for it to finish.
bool Await(grpc::CompletionQueue& queue) {
  void* tag = nullptr;
  bool ok = false;
  return queue.Next(&tag, &ok) && ok;
}

grpc::ByteBuffer ToBuffer(const Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

absl::StatusOr<const MethodDescriptor*> JsonGateway::Find(absl::string_view method) {
  const std::string dotted = absl::StrReplaceAll(method, {{"/", "."}});
  const MethodDescriptor* found =
      absl::StartsWith(method, "tripdesk.v1.")
          ? google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted)
          : nullptr;
  if (found == nullptr || found->client_streaming()) {
    return absl::NotFoundError(absl::StrCat(
        "no RPC '", method,
        "': name one as <package>.<Service>/<Method>, e.g. tripdesk.v1.CaseService/GetCase "
        "(tripdesk describe lists the services)"));
  }
  return found;
}

struct JsonGateway::Stream::State {
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> rpc;
  std::unique_ptr<Message> response;
  bool open = false;
  bool finished = false;
  absl::Status status;
};

absl::StatusOr<std::unique_ptr<JsonGateway::Stream>> JsonGateway::Start(const JsonCall& call) const {
  absl::StatusOr<const MethodDescriptor*> method = Find(call.method);
  if (!method.ok()) return method.status();
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<Message> request(factory->GetPrototype((*method)->input_type())->New());
  if (!call.json.empty()) {
    google::protobuf::util::JsonParseOptions strict;
    const auto parsed = google::protobuf::util::JsonStringToMessage(call.json, request.get(), strict);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("the body is not a ",
                                                     (*method)->input_type()->full_name(),
                                                     " in protobuf JSON: ",
                                                     std::string(parsed.message())));
    }
  }
  std::unique_ptr<Stream> stream(new Stream());
  stream->state_ = std::make_unique<Stream::State>();
  Stream::State& s = *stream->state_;
  if (call.deadline != absl::InfiniteFuture()) s.context.set_deadline(absl::ToChronoTime(call.deadline));
  if (!call.bearer_token.empty()) {
    s.context.AddMetadata(kAuthorizationHeader, absl::StrCat("Bearer ", call.bearer_token));
  }
  if (!call.peer.empty()) s.context.AddMetadata(kHttpPeerHeader, call.peer);
  s.response.reset(factory->GetPrototype((*method)->output_type())->New());
  grpc::GenericStub stub(channel_);
  s.rpc = stub.PrepareCall(&s.context, absl::StrCat("/", call.method), &s.queue);
  s.rpc->StartCall(nullptr);
  s.open = Await(s.queue);
  if (s.open) {
    s.rpc->WriteLast(ToBuffer(*request), grpc::WriteOptions(), nullptr);
    s.open = Await(s.queue);
  }
  return stream;
}

const Message* JsonGateway::Stream::Next() {
  State& s = *state_;
  while (s.open) {
    grpc::ByteBuffer buffer;
    s.rpc->Read(&buffer, nullptr);
    if (!Await(s.queue)) break;
    grpc::Slice slice;
    s.response->Clear();
    if (buffer.DumpToSingleSlice(&slice).ok() &&
        s.response->ParseFromArray(slice.begin(), static_cast<int>(slice.size()))) {
      return s.response.get();
    }
    s.context.TryCancel();
  }
  s.open = false;
  return nullptr;
}

absl::Status JsonGateway::Stream::Finish() {
  State& s = *state_;
  if (s.finished) return s.status;
  s.finished = true;
  if (s.open) {
    // Cancelled: drain what is in flight before the status.
    s.context.TryCancel();
    while (Next() != nullptr) {
    }
  }
  grpc::Status status;
  s.rpc->Finish(&status, nullptr);
  Await(s.queue);
  s.queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (s.queue.Next(&tag, &ok)) {
  }
  s.status = absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  return s.status;
}

JsonGateway::Stream::~Stream() {
  if (state_ != nullptr) (void)Finish();
}

absl::Status JsonGateway::Invoke(const JsonCall& call, const OnMessage& on_message) const {
  absl::StatusOr<std::unique_ptr<Stream>> stream = Start(call);
  if (!stream.ok()) return stream.status();
  while (const Message* response = (*stream)->Next()) {
    if (!on_message(*response)) break;
  }
  return (*stream)->Finish();
}

std::string ToJson(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace tripdesk::services
