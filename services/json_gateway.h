// JsonGateway: the JSON API. A request names an RPC of tripdesk.v1 and
// carries its request in protobuf's JSON mapping; the gateway calls that
// RPC on the server's own in-process channel with the caller's bearer
// token, so the same handlers, roles, masking and rate limits answer it as
// over gRPC: one policy, not two.
//
// Thread-safe; each call blocks its (HTTP) thread, never a gRPC one.
#ifndef TRIPDESK_SERVICES_JSON_GATEWAY_H_
#define TRIPDESK_SERVICES_JSON_GATEWAY_H_

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace tripdesk::services {

struct JsonCall {
  // "tripdesk.v1.CaseService/GetCase".
  std::string method;
  // The request in protobuf JSON; empty means {}.
  std::string json;
  // Without "Bearer "; empty: the call goes unauthenticated.
  std::string bearer_token;
  // The HTTP client's address, for the per-address limits.
  std::string peer;
  absl::Time deadline = absl::InfiniteFuture();
};

class JsonGateway {
 public:
  explicit JsonGateway(std::shared_ptr<grpc::Channel> in_process)
      : channel_(std::move(in_process)) {}

  // The RPC's descriptor: NOT_FOUND for anything but a unary or
  // server-streaming method of a tripdesk.v1 service.
  static absl::StatusOr<const google::protobuf::MethodDescriptor*> Find(absl::string_view method);

  // A call under way: its responses in order (one for a unary RPC).
  class Stream {
   public:
    ~Stream();  // cancels the call if it has not ended
    // The next response (valid until the next call), or null at the end.
    const google::protobuf::Message* Next();
    // Cancels what is left (the client has gone) and answers the RPC's
    // status.
    absl::Status Finish();

   private:
    friend class JsonGateway;
    struct State;
    std::unique_ptr<State> state_;
  };
  // INVALID_ARGUMENT for JSON that is not the request, NOT_FOUND for an
  // unknown method; the RPC's own errors come from Finish.
  absl::StatusOr<std::unique_ptr<Stream>> Start(const JsonCall& call) const;

  // Start, each response to `on_message` (false cancels), then Finish.
  using OnMessage = std::function<bool(const google::protobuf::Message&)>;
  absl::Status Invoke(const JsonCall& call, const OnMessage& on_message) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

// A message in protobuf's JSON mapping (lowerCamelCase names, enums by name).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_JSON_GATEWAY_H_
