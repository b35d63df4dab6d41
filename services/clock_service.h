// ClockService: the business clock's time, and an admin's hand on a test
// clock (tripdeskd --enable_test_clock, loopback only).
#ifndef TRIPDESK_SERVICES_CLOCK_SERVICE_H_
#define TRIPDESK_SERVICES_CLOCK_SERVICE_H_

#include "services/clock.h"
#include "services/identity.h"
#include "tripdesk/v1/clock.grpc.pb.h"

namespace tripdesk::services {

class ClockService final : public v1::ClockService::CallbackService {
 public:
  // `test_clock`: null unless the server runs one.
  ClockService(const Clock* clock, TestClock* test_clock, Authenticator* auth)
      : clock_(clock), test_clock_(test_clock), auth_(auth) {}

  grpc::ServerUnaryReactor* GetTime(grpc::CallbackServerContext* context,
                                    const v1::GetTimeRequest* request,
                                    v1::ServerTime* response) override;
  grpc::ServerUnaryReactor* SetTestClock(grpc::CallbackServerContext* context,
                                         const v1::SetTestClockRequest* request,
                                         v1::ServerTime* response) override;
  grpc::ServerUnaryReactor* AdvanceTestClock(grpc::CallbackServerContext* context,
                                             const v1::AdvanceTestClockRequest* request,
                                             v1::ServerTime* response) override;

 private:
  // Admits the caller to `rpc`, runs `change` (when the caller may) and
  // answers the time after it.
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, absl::string_view rpc,
                                   const std::function<absl::Status()>& change,
                                   v1::ServerTime* response);

  const Clock* clock_;
  TestClock* test_clock_;
  Authenticator* auth_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CLOCK_SERVICE_H_
