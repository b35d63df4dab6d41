#include "services/timer_scheduler.h"

#include "absl/strings/match.h"

#include <algorithm>

#include "spdlog/spdlog.h"
#include "workflows/timekeeping.h"

namespace tripdesk::services {

TimerScheduler::TimerScheduler(CommandRunner* runner, Clock* clock,
                               const projections::TimerQueries* timers, Options options)
    : runner_(runner), clock_(clock), timers_(timers), options_(options) {
  clock_->OnJump([this] { Wake(); });
}

TimerScheduler::~TimerScheduler() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return in_flight_.empty(); });
  }
  if (thread_.joinable()) thread_.join();
}

void TimerScheduler::Start() { thread_ = std::thread([this] { Run(); }); }

void TimerScheduler::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

size_t TimerScheduler::FireDue(std::unique_lock<std::mutex>& lock) {
  const absl::Time now = clock_->Now();
  lock.unlock();
  absl::StatusOr<std::vector<projections::DueTimer>> due =
      timers_->Due(now, options_.batch + options_.max_in_flight);
  lock.lock();
  if (!due.ok()) {
    spdlog::warn("timers: the view cannot be read: {}", due.status().ToString());
    return 0;
  }
  // What the view no longer lists needs no memory of having been fired.
  absl::flat_hash_set<std::string> listed;
  for (const projections::DueTimer& t : *due) listed.insert(t.timer_id);
  absl::erase_if(answered_, [&](const std::string& id) { return !listed.contains(id); });
  size_t submitted = 0;
  for (const projections::DueTimer& t : *due) {
    if (stopping_ || submitted == options_.batch) break;
    if (in_flight_.contains(t.timer_id) || answered_.contains(t.timer_id)) continue;
    cv_.wait(lock, [&] { return stopping_ || in_flight_.size() < options_.max_in_flight; });
    if (stopping_) break;
    in_flight_.insert(t.timer_id);
    ++submitted;
    CaseCommandRequest request;
    request.case_id = t.case_id;
    request.command_id = workflows::Timekeeping::FiringCommandId(t.timer_id);
    request.command.mutable_common()->mutable_fire_timer()->set_timer_id(t.timer_id);
    request.actor = {"tripdesk-scheduler", workflows::kRoleSystem, {workflows::kRoleSystem}, ""};
    request.deadline = absl::Now() + absl::Seconds(30);
    const std::string id = t.timer_id;
    const bool breach = absl::EndsWith(t.kind, ".breach");
    lock.unlock();
    runner_->Execute(std::move(request), [this, id, breach](absl::StatusOr<CaseCommandResult> result) {
      if (result.ok()) {
        fired_.fetch_add(1);
        if (breach) breaches_fired_.fetch_add(1);
      } else if (result.status().code() != absl::StatusCode::kFailedPrecondition) {
        spdlog::warn("timers: firing {} failed: {}", id, result.status().ToString());
      }
      std::lock_guard<std::mutex> done(mu_);
      in_flight_.erase(id);
      if (result.ok() || result.status().code() == absl::StatusCode::kFailedPrecondition) {
        answered_.insert(id);
      }
      cv_.notify_all();
    });
    lock.lock();
  }
  return submitted;
}

void TimerScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    woken_ = false;
    if (FireDue(lock) == options_.batch) {
      // More are due: let the command path in before the next batch.
      cv_.wait_for(lock, std::chrono::milliseconds(1), [&] { return stopping_; });
      continue;
    }
    absl::Duration wait = options_.poll;
    lock.unlock();
    absl::StatusOr<std::vector<projections::DueTimer>> next =
        timers_->Due(absl::InfiniteFuture(), 1);
    lock.lock();
    if (next.ok() && !next->empty()) {
      // Already due means fired or in flight, the view not caught up yet.
      const absl::Duration until = next->front().due_at - clock_->Now();
      wait = until <= absl::ZeroDuration() ? absl::Milliseconds(50) : std::min(until, options_.poll);
    }
    cv_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] { return stopping_ || woken_; });
  }
}

}  // namespace tripdesk::services
