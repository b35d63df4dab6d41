// TimerScheduler: the one place that turns the clock into commands. It
// waits for the earliest pending timer (the timers view), and fires each
// due one by submitting fire_timer through the ordinary command runner as
// the `system` actor, with the command id derived from the timer id: the
// log's durable idempotency makes a second firing (a restart, a view that
// has not caught up) write nothing, and the decider refuses a timer no
// longer pending. Timers due while the server was down fire, late, when it
// starts. Firing runs in bounded batches with a bounded number in flight,
// yielding between batches so due timers cannot starve the command path.
//
// Thread-safe; one thread of its own.
#ifndef TRIPDESK_SERVICES_TIMER_SCHEDULER_H_
#define TRIPDESK_SERVICES_TIMER_SCHEDULER_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "projections/timer_projection.h"
#include "services/clock.h"
#include "services/command_runner.h"

namespace tripdesk::services {

class TimerScheduler {
 public:
  struct Options {
    size_t batch = 256;
    size_t max_in_flight = 32;
    // How often it looks at the view when nothing is due sooner (a timer
    // scheduled since is seen by then).
    absl::Duration poll = absl::Seconds(1);
  };

  TimerScheduler(CommandRunner* runner, Clock* clock, const projections::TimerQueries* timers,
                 Options options);
  ~TimerScheduler();  // stops, waiting for firings in flight

  void Start();
  // Look again now (a clock jump, a timer scheduled).
  void Wake();
  // Deadlines this process fired (and of them, SLA breaches).
  uint64_t fired() const { return fired_.load(); }
  uint64_t breaches_fired() const { return breaches_fired_.load(); }

 private:
  void Run();
  // Submits the due timers not already in flight; how many.
  size_t FireDue(std::unique_lock<std::mutex>& lock);

  CommandRunner* runner_;
  Clock* clock_;
  const projections::TimerQueries* timers_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  absl::flat_hash_set<std::string> in_flight_;   // under mu_
  absl::flat_hash_set<std::string> answered_;    // fired, the view not yet caught up; under mu_
  std::atomic<uint64_t> fired_{0};
  std::atomic<uint64_t> breaches_fired_{0};
  std::thread thread_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_TIMER_SCHEDULER_H_
