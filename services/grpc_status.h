// The one place absl statuses become gRPC statuses.
#ifndef TRIPDESK_SERVICES_GRPC_STATUS_H_
#define TRIPDESK_SERVICES_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace tripdesk::services {

// Same code, same message; gRPC and absl codes are numerically identical.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_GRPC_STATUS_H_
