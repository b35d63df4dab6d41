#include "services/clock_service.h"

#include "absl/strings/str_cat.h"
#include "services/grpc_status.h"
#include "workflows/validation.h"

namespace tripdesk::services {
namespace {

absl::Status NoTestClock() {
  return absl::FailedPreconditionError(
      "this server runs on the system clock: start tripdeskd with --enable_test_clock (loopback "
      "only) to set or advance it");
}

}  // namespace

grpc::ServerUnaryReactor* ClockService::Answer(grpc::CallbackServerContext* context,
                                               absl::string_view rpc,
                                               const std::function<absl::Status()>& change,
                                               v1::ServerTime* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status =
      auth_->Admit(*context, absl::StrCat("tripdesk.v1.ClockService/", rpc)).status();
  if (status.ok()) status = change();
  if (status.ok()) {
    *response->mutable_now() = workflows::ToProto(clock_->Now());
    response->set_test_clock(test_clock_ != nullptr);
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* ClockService::GetTime(grpc::CallbackServerContext* context,
                                                const v1::GetTimeRequest*,
                                                v1::ServerTime* response) {
  return Answer(context, "GetTime", [] { return absl::OkStatus(); }, response);
}

grpc::ServerUnaryReactor* ClockService::SetTestClock(grpc::CallbackServerContext* context,
                                                     const v1::SetTestClockRequest* request,
                                                     v1::ServerTime* response) {
  return Answer(context, "SetTestClock", [&] {
    if (test_clock_ == nullptr) return NoTestClock();
    if (!request->has_to()) return absl::InvalidArgumentError("to: the time to set is missing");
    return test_clock_->Set(workflows::FromProto(request->to()));
  }, response);
}

grpc::ServerUnaryReactor* ClockService::AdvanceTestClock(grpc::CallbackServerContext* context,
                                                         const v1::AdvanceTestClockRequest* request,
                                                         v1::ServerTime* response) {
  return Answer(context, "AdvanceTestClock", [&] {
    if (test_clock_ == nullptr) return NoTestClock();
    return test_clock_->Advance(absl::Seconds(request->by().seconds()) +
                                absl::Nanoseconds(request->by().nanos()));
  }, response);
}

}  // namespace tripdesk::services
