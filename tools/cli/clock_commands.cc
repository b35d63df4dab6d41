// tripdesk clock: the server's business time, and on a server started with
// --enable_test_clock an admin's set and advance (to reach a deadline
// without waiting for it).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/cli/case_commands.h"
#include "tools/cli/output.h"
#include "tripdesk/v1/clock.grpc.pb.h"

namespace tripdesk::cli {
namespace {

int Print(const Context& ctx, const v1::ServerTime& time) {
  if (ctx.json) {
    std::cout << ToJsonLine(time) << "\n";
    return 0;
  }
  const absl::Time now = absl::FromUnixSeconds(time.now().seconds()) +
                         absl::Nanoseconds(time.now().nanos());
  std::cout << "now " << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone())
            << (time.test_clock() ? " (test clock)" : " (system clock)") << "\n";
  return 0;
}

template <typename Request>
int Call(const Context& ctx,
         grpc::Status (v1::ClockService::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                     v1::ServerTime*),
         const Request& request) {
  auto stub = v1::ClockService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ServerTime time;
  grpc::Status status = ((*stub).*rpc)(&context, request, &time);
  if (!status.ok()) return Fail(status);
  return Print(ctx, time);
}

}  // namespace

int ClockShow(const Context& ctx, const Args&) {
  return Call(ctx, &v1::ClockService::Stub::GetTime, v1::GetTimeRequest());
}

int ClockSet(const Context& ctx, const Args& args) {
  absl::Time to;
  std::string error;
  if (args.size() != 1 || !absl::ParseTime(absl::RFC3339_full, args[0], &to, &error)) {
    std::cerr << "usage: tripdesk clock set TIME   (RFC 3339, e.g. 2027-03-15T12:30:00Z)\n";
    return 2;
  }
  v1::SetTestClockRequest request;
  request.mutable_to()->set_seconds(absl::ToUnixSeconds(to));
  return Call(ctx, &v1::ClockService::Stub::SetTestClock, request);
}

int ClockAdvance(const Context& ctx, const Args& args) {
  absl::Duration by;
  if (args.size() != 1 || !absl::ParseDuration(args[0], &by)) {
    std::cerr << "usage: tripdesk clock advance DURATION   (e.g. 90m, 61h30m)\n";
    return 2;
  }
  v1::AdvanceTestClockRequest request;
  request.mutable_by()->set_seconds(absl::ToInt64Seconds(by));
  return Call(ctx, &v1::ClockService::Stub::AdvanceTestClock, request);
}

}  // namespace tripdesk::cli
