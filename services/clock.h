// The server's business clock: the "now" deciders are given and the time
// records are stamped with. The system clock in production; with
// tripdeskd --test_clock_start (loopback only), a clock that starts at a
// chosen instant and runs at the real rate, so a test can pin the day it
// runs on and never straddles UTC midnight. Token expiry, deadlines and rate
// limits stay on the system clock.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_CLOCK_H_
#define TRIPDESK_SERVICES_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tripdesk::services {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

class TestClock final : public Clock {
 public:
  // Reads `start` now and runs on from there.
  explicit TestClock(absl::Time start) : offset_(start - absl::Now()) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  const absl::Duration offset_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CLOCK_H_
