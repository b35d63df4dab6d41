// The server's business clock: the "now" deciders are given, records are
// stamped with and the timer scheduler waits on. The system clock in
// production; with tripdeskd --enable_test_clock (loopback only), a clock
// an admin sets and advances through ClockService, running at the real
// rate in between, so a test can pin the day it runs on and jump to a
// deadline. Token expiry, RPC deadlines and rate limits stay on the system
// clock.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_CLOCK_H_
#define TRIPDESK_SERVICES_CLOCK_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tripdesk::services {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Calls `fn` after every jump of the clock (never, for the system clock):
  // whoever waits for a time must look again.
  virtual void OnJump(std::function<void()> /*fn*/) {}
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

class TestClock final : public Clock {
 public:
  // Reads `start` now and runs on from there.
  explicit TestClock(absl::Time start) : offset_ns_(absl::ToInt64Nanoseconds(start - absl::Now())) {}
  absl::Time Now() const override { return absl::Now() + absl::Nanoseconds(offset_ns_.load()); }

  void OnJump(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    listeners_.push_back(std::move(fn));
  }

  // Moves the clock to `to`; forward only, as time in a log goes.
  absl::Status Set(absl::Time to) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      const absl::Time now = Now();
      if (to < now) {
        return absl::FailedPreconditionError(
            absl::StrCat("the test clock moves forward only: it is ", absl::FormatTime(now),
                         ", later than ", absl::FormatTime(to)));
      }
      offset_ns_ += absl::ToInt64Nanoseconds(to - now);
    }
    Jumped();
    return absl::OkStatus();
  }

  absl::Status Advance(absl::Duration by) {
    if (by < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("advance: the test clock moves forward only");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      offset_ns_ += absl::ToInt64Nanoseconds(by);
    }
    Jumped();
    return absl::OkStatus();
  }

 private:
  void Jumped() {
    std::vector<std::function<void()>> listeners;
    {
      std::lock_guard<std::mutex> lock(mu_);
      listeners = listeners_;
    }
    for (const auto& fn : listeners) fn();
  }

  std::atomic<int64_t> offset_ns_;
  std::mutex mu_;
  std::vector<std::function<void()>> listeners_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CLOCK_H_
