#include "workflows/timekeeping.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "workflows/case_steps.h"
#include "workflows/reference_data.h"

namespace tripdesk::workflows {
namespace {

using Events = std::vector<v1::CaseEvent>;

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool Finished(const v1::SlaClock& clock) {
  return clock.status() == v1::SLA_STATUS_FULFILLED || clock.status() == v1::SLA_STATUS_ENDED;
}

// The time events one decision adds, with the revisions they will have.
class Plan {
 public:
  Plan(const v1::CaseState& after, uint64_t next_revision, const DecisionContext& context)
      : case_id_(after.case_id()),
        next_revision_(next_revision),
        context_(context),
        timers_(after.header().timers().begin(), after.header().timers().end()),
        clocks_(after.header().sla().begin(), after.header().sla().end()) {}

  std::vector<v1::SlaClock>& clocks() { return clocks_; }
  absl::Time now() const { return context_.now; }
  Events Take() { return std::move(out_); }

  v1::CaseStepEvent& Add() {
    ++next_revision_;
    return *out_.emplace_back().mutable_common();
  }

  void Schedule(const std::string& kind, absl::Time due, const BusinessCalendar& calendar) {
    v1::CaseStepEvent& e = Add();
    v1::TimerScheduled& t = *e.mutable_timer_scheduled();
    t.set_timer_id(Timekeeping::TimerId(case_id_, kind, next_revision_ - 1));
    t.set_kind(kind);
    *t.mutable_due_at() = ToProto(due);
    t.set_due_local(absl::FormatTime("%Y-%m-%dT%H:%M", due, calendar.zone()));
    t.set_zone(calendar.zone().name());
    t.set_calendar(calendar.id());
    v1::PendingTimer& p = timers_.emplace_back();
    p.set_timer_id(t.timer_id());
    p.set_kind(kind);
    *p.mutable_due_at() = t.due_at();
  }

  // Cancels the pending timers whose kind starts with `prefix` (all: "").
  void Cancel(absl::string_view prefix, const std::string& reason) {
    for (auto it = timers_.begin(); it != timers_.end();) {
      if (!absl::StartsWith(it->kind(), prefix)) {
        ++it;
        continue;
      }
      v1::TimerCanceled& c = *Add().mutable_timer_canceled();
      c.set_timer_id(it->timer_id());
      c.set_reason(reason);
      *c.mutable_due_at() = it->due_at();
      it = timers_.erase(it);
    }
  }

 private:
  std::string case_id_;
  uint64_t next_revision_;
  const DecisionContext& context_;
  std::vector<v1::PendingTimer> timers_;
  std::vector<v1::SlaClock> clocks_;
  Events out_;
};

const v1::SlaMetricPolicy* MetricOf(const v1::ReferenceData& data, const v1::SlaClock& clock) {
  for (const v1::SlaPolicy& p : data.sla_policies()) {
    if (p.id() != clock.policy()) continue;
    for (const v1::SlaMetricPolicy& m : p.metrics()) {
      if (m.metric() == clock.metric()) return &m;
    }
  }
  return nullptr;
}

const v1::SlaPolicy* PolicyById(const v1::ReferenceData& data, const std::string& id) {
  for (const v1::SlaPolicy& p : data.sla_policies()) {
    if (p.id() == id) return &p;
  }
  return nullptr;
}

// One timer per running clock, for its next threshold: the warning, else
// the breach (scheduled when the warning fires).
void ScheduleClock(Plan& plan, const v1::SlaClock& clock, const BusinessCalendar& calendar) {
  if (clock.has_warn_at() && !clock.warned()) {
    plan.Schedule(Timekeeping::SlaTimerKind(clock.metric(), true), FromProto(clock.warn_at()),
                  calendar);
  } else if (!clock.breached()) {
    plan.Schedule(Timekeeping::SlaTimerKind(clock.metric(), false), FromProto(clock.due_at()),
                  calendar);
  }
}

// A new case gets its policy's clocks, each with its warning and breach.
void Apply(Plan& plan, const v1::CaseState& after, const DecisionContext& context,
           const Workflow& workflow) {
  const ReferenceData& ref = *context.reference;
  const v1::SlaPolicy* policy =
      Timekeeping::PolicyFor(ref.proto(), workflow.type(), workflow.ClientCompany(after),
                             after.header().priority());
  if (policy == nullptr) return;
  const BusinessCalendar* calendar = ref.Calendar(policy->calendar());
  if (calendar == nullptr) return;  // CheckPolicies refuses such data at load
  for (const v1::SlaMetricPolicy& m : policy->metrics()) {
    v1::SlaApplied& a = *plan.Add().mutable_sla_applied();
    a.set_policy(policy->id());
    a.set_metric(m.metric());
    a.set_calendar(calendar->id());
    a.set_target_business_minutes(m.target_business_minutes());
    *a.mutable_due_at() = ToProto(calendar->AddBusinessMinutes(plan.now(), m.target_business_minutes()));
    if (m.warning_percent() > 0) {
      *a.mutable_warn_at() = ToProto(calendar->AddBusinessMinutes(
          plan.now(), m.target_business_minutes() * m.warning_percent() / 100));
    }
    v1::SlaClock& clock = plan.clocks().emplace_back();
    clock.set_metric(m.metric());
    clock.set_policy(policy->id());
    clock.set_calendar(calendar->id());
    clock.set_status(v1::SLA_STATUS_RUNNING);
    clock.set_target_business_minutes(m.target_business_minutes());
    *clock.mutable_due_at() = a.due_at();
    if (a.has_warn_at()) *clock.mutable_warn_at() = a.warn_at();
    ScheduleClock(plan, clock, *calendar);
  }
}

// The business time a clock has used by now.
absl::Duration Used(const v1::SlaClock& clock, const BusinessCalendar& calendar, absl::Time now) {
  const absl::Duration target = absl::Minutes(clock.target_business_minutes());
  if (clock.status() == v1::SLA_STATUS_PAUSED) return target - FromProtoDuration(clock.remaining());
  const absl::Time due = FromProto(clock.due_at());
  return now <= due ? target - calendar.BusinessTimeBetween(now, due)
                    : target + calendar.BusinessTimeBetween(due, now);
}

void Fulfil(Plan& plan, v1::SlaClock& clock, const BusinessCalendar& calendar) {
  v1::SlaFulfilled& f = *plan.Add().mutable_sla_fulfilled();
  f.set_metric(clock.metric());
  *f.mutable_due_at() = clock.due_at();
  f.set_breached(clock.breached());
  *f.mutable_business_time() = ToProtoDuration(Used(clock, calendar, plan.now()));
  clock.set_status(v1::SLA_STATUS_FULFILLED);
  plan.Cancel(absl::StrCat("sla.", clock.metric(), "."), absl::StrCat(clock.metric(), " fulfilled"));
}

void Pause(Plan& plan, v1::SlaClock& clock, const BusinessCalendar& calendar,
           const std::string& stage) {
  v1::SlaPaused& p = *plan.Add().mutable_sla_paused();
  p.set_metric(clock.metric());
  p.set_stage(stage);
  *p.mutable_remaining() =
      ToProtoDuration(calendar.BusinessTimeBetween(plan.now(), FromProto(clock.due_at())));
  if (clock.has_warn_at() && !clock.warned()) {
    *p.mutable_remaining_to_warning() =
        ToProtoDuration(calendar.BusinessTimeBetween(plan.now(), FromProto(clock.warn_at())));
  }
  clock.set_status(v1::SLA_STATUS_PAUSED);
  *clock.mutable_remaining() = p.remaining();
  plan.Cancel(absl::StrCat("sla.", clock.metric(), "."),
              absl::StrCat(clock.metric(), " paused: waiting on the customer (", stage, ")"));
}

void Resume(Plan& plan, v1::SlaClock& clock, const BusinessCalendar& calendar) {
  v1::SlaResumed& r = *plan.Add().mutable_sla_resumed();
  r.set_metric(clock.metric());
  *r.mutable_due_at() =
      ToProto(calendar.AddBusinessTime(plan.now(), FromProtoDuration(clock.remaining())));
  if (clock.has_remaining_to_warning() && !clock.warned()) {
    *r.mutable_warn_at() = ToProto(
        calendar.AddBusinessTime(plan.now(), FromProtoDuration(clock.remaining_to_warning())));
  }
  *r.mutable_paused_business_time() = ToProtoDuration(
      calendar.BusinessTimeBetween(FromProto(clock.paused_at()), plan.now()));
  clock.set_status(v1::SLA_STATUS_RUNNING);
  *clock.mutable_due_at() = r.due_at();
  clock.clear_warn_at();
  if (r.has_warn_at()) *clock.mutable_warn_at() = r.warn_at();
  ScheduleClock(plan, clock, calendar);
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

std::string Timekeeping::SlaTimerKind(const std::string& metric, bool warning) {
  return absl::StrCat("sla.", metric, warning ? ".warning" : ".breach");
}

std::string Timekeeping::TimerId(const std::string& case_id, const std::string& kind,
                                 uint64_t revision) {
  return absl::StrCat(case_id, "/", kind, "/", revision);
}

bool Timekeeping::Concerns(const v1::CaseState& state, const DecisionContext& context) {
  if (state.header().timers_size() > 0 || state.header().sla_size() > 0) return true;
  return !state.exists() && context.reference != nullptr &&
         context.reference->proto().sla_policies_size() > 0;
}

Events Timekeeping::Follow(const v1::CaseState& before, const v1::CaseState& after,
                           const Events& decided, uint64_t first_revision,
                           const DecisionContext& context, const Workflow& workflow,
                           const std::function<std::string(const v1::CaseEvent&)>& event_type) {
  Plan plan(after, first_revision + decided.size(), context);
  if (!before.exists() && after.exists() && context.reference != nullptr) {
    Apply(plan, after, context, workflow);
  }
  const v1::CaseStatus status = CaseSteps::Status(after, workflow);
  absl::flat_hash_set<std::string> types;
  for (const v1::CaseEvent& e : decided) types.insert(event_type(e));
  const std::string stage_before = before.exists() ? workflow.CurrentStageName(before) : "";
  const std::string stage_after = workflow.CurrentStageName(after);
  for (v1::SlaClock& clock : plan.clocks()) {
    if (Finished(clock) || context.reference == nullptr) continue;
    const BusinessCalendar* calendar = context.reference->Calendar(clock.calendar());
    const v1::SlaMetricPolicy* metric = MetricOf(context.reference->proto(), clock);
    const v1::SlaPolicy* policy = PolicyById(context.reference->proto(), clock.policy());
    if (calendar == nullptr || metric == nullptr || policy == nullptr) continue;
    const bool fulfilled = std::any_of(metric->fulfilled_by().begin(), metric->fulfilled_by().end(),
                                       [&](const std::string& t) { return types.contains(t); });
    if (fulfilled || (status == v1::CASE_STATUS_CLOSED && metric->fulfilled_on_close())) {
      Fulfil(plan, clock, *calendar);
    } else if (status != v1::CASE_STATUS_OPEN) {
      v1::SlaEnded& e = *plan.Add().mutable_sla_ended();
      e.set_metric(clock.metric());
      e.set_reason(status == v1::CASE_STATUS_CANCELLED ? "case cancelled" : "case closed");
      clock.set_status(v1::SLA_STATUS_ENDED);
    } else {
      const bool waiting = Contains(policy->paused_in_stages(), stage_after);
      const bool was_waiting = before.exists() && Contains(policy->paused_in_stages(), stage_before);
      if (clock.status() == v1::SLA_STATUS_RUNNING && !clock.breached() && waiting && !was_waiting) {
        Pause(plan, clock, *calendar, stage_after);
      } else if (clock.status() == v1::SLA_STATUS_PAUSED && !waiting) {
        Resume(plan, clock, *calendar);
      }
    }
  }
  if (status != v1::CASE_STATUS_OPEN) {
    plan.Cancel("", status == v1::CASE_STATUS_CANCELLED ? "case cancelled" : "case closed");
  }
  return plan.Take();
}

absl::StatusOr<Events> Timekeeping::Fire(const v1::FireTimer& command, const v1::CaseState& state,
                                         const DecisionContext& context) {
  const auto& timers = state.header().timers();
  auto timer = std::find_if(timers.begin(), timers.end(), [&](const v1::PendingTimer& t) {
    return t.timer_id() == command.timer_id();
  });
  if (timer == timers.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("fire_timer: timer '", command.timer_id(), "' is not pending on case ",
                     state.case_id(), ": it fired or was cancelled"));
  }
  const absl::Time due = FromProto(timer->due_at());
  if (context.now < due) {
    return absl::FailedPreconditionError(absl::StrCat(
        "fire_timer: timer '", command.timer_id(), "' is not due until ", absl::FormatTime(due)));
  }
  Plan plan(state, state.revision() + 1, context);
  v1::DeadlineReached& d = *plan.Add().mutable_deadline_reached();
  d.set_timer_id(timer->timer_id());
  d.set_kind(timer->kind());
  *d.mutable_due_at() = timer->due_at();
  *d.mutable_fired_at() = ToProto(context.now);
  *d.mutable_late_by() = ToProtoDuration(context.now - due);
  const std::vector<std::string> parts = absl::StrSplit(timer->kind(), '.');
  if (parts.size() == 3 && parts[0] == "sla") {
    for (v1::SlaClock& clock : plan.clocks()) {
      if (clock.metric() != parts[1]) continue;
      if (parts[2] == "warning") {
        v1::SlaWarned& w = *plan.Add().mutable_sla_warned();
        w.set_metric(clock.metric());
        *w.mutable_due_at() = clock.due_at();
        clock.set_warned(true);
        // The breach is the clock's next threshold now.
        const BusinessCalendar* calendar =
            context.reference != nullptr ? context.reference->Calendar(clock.calendar()) : nullptr;
        if (calendar != nullptr) ScheduleClock(plan, clock, *calendar);
      } else {
        v1::SlaBreached& b = *plan.Add().mutable_sla_breached();
        b.set_metric(clock.metric());
        *b.mutable_due_at() = clock.due_at();
      }
    }
  }
  return plan.Take();
}

namespace {

v1::SlaClock* ClockOf(v1::CaseHeader& header, const std::string& metric) {
  for (v1::SlaClock& c : *header.mutable_sla()) {
    if (c.metric() == metric) return &c;
  }
  return nullptr;
}

void RemoveTimer(v1::CaseHeader& header, const std::string& timer_id) {
  auto* timers = header.mutable_timers();
  for (int i = 0; i < timers->size(); ++i) {
    if (timers->Get(i).timer_id() == timer_id) {
      timers->DeleteSubrange(i, 1);
      return;
    }
  }
}

void AddTimer(v1::CaseHeader& header, const v1::TimerScheduled& t) {
  v1::PendingTimer p;
  p.set_timer_id(t.timer_id());
  p.set_kind(t.kind());
  *p.mutable_due_at() = t.due_at();
  p.set_due_local(t.due_local());
  p.set_zone(t.zone());
  auto* timers = header.mutable_timers();
  const absl::Time due = FromProto(t.due_at());
  int at = timers->size();
  while (at > 0 && FromProto(timers->Get(at - 1).due_at()) > due) --at;
  *timers->Add() = std::move(p);
  for (int i = timers->size() - 1; i > at; --i) timers->SwapElements(i, i - 1);
}

}  // namespace

bool Timekeeping::Evolve(v1::CaseHeader& header, const v1::CaseStepEvent& event,
                         const EventMeta& meta) {
  using E = v1::CaseStepEvent;
  switch (event.event_case()) {
    case E::kTimerScheduled:
      AddTimer(header, event.timer_scheduled());
      return true;
    case E::kTimerCanceled:
      RemoveTimer(header, event.timer_canceled().timer_id());
      return true;
    case E::kDeadlineReached:
      RemoveTimer(header, event.deadline_reached().timer_id());
      return true;
    case E::kSlaApplied: {
      const v1::SlaApplied& a = event.sla_applied();
      v1::SlaClock& c = *header.add_sla();
      c.set_metric(a.metric());
      c.set_policy(a.policy());
      c.set_calendar(a.calendar());
      c.set_status(v1::SLA_STATUS_RUNNING);
      c.set_target_business_minutes(a.target_business_minutes());
      *c.mutable_due_at() = a.due_at();
      if (a.has_warn_at()) *c.mutable_warn_at() = a.warn_at();
      return true;
    }
    default:
      break;
  }
  v1::SlaClock* clock = nullptr;
  switch (event.event_case()) {
    case E::kSlaPaused:
      if ((clock = ClockOf(header, event.sla_paused().metric())) != nullptr) {
        clock->set_status(v1::SLA_STATUS_PAUSED);
        *clock->mutable_remaining() = event.sla_paused().remaining();
        *clock->mutable_remaining_to_warning() = event.sla_paused().remaining_to_warning();
        *clock->mutable_paused_at() = ToProto(meta.recorded_at);
      }
      return true;
    case E::kSlaResumed:
      if ((clock = ClockOf(header, event.sla_resumed().metric())) != nullptr) {
        clock->set_status(v1::SLA_STATUS_RUNNING);
        *clock->mutable_due_at() = event.sla_resumed().due_at();
        clock->clear_warn_at();
        if (event.sla_resumed().has_warn_at()) *clock->mutable_warn_at() = event.sla_resumed().warn_at();
        clock->clear_remaining();
        clock->clear_remaining_to_warning();
        clock->clear_paused_at();
      }
      return true;
    case E::kSlaWarned:
      if ((clock = ClockOf(header, event.sla_warned().metric())) != nullptr) clock->set_warned(true);
      return true;
    case E::kSlaBreached:
      if ((clock = ClockOf(header, event.sla_breached().metric())) != nullptr) clock->set_breached(true);
      return true;
    case E::kSlaFulfilled:
      if ((clock = ClockOf(header, event.sla_fulfilled().metric())) != nullptr) {
        clock->set_status(v1::SLA_STATUS_FULFILLED);
        *clock->mutable_fulfilled_at() = ToProto(meta.recorded_at);
      }
      return true;
    case E::kSlaEnded:
      if ((clock = ClockOf(header, event.sla_ended().metric())) != nullptr) {
        clock->set_status(v1::SLA_STATUS_ENDED);
      }
      return true;
    default:
      return false;
  }
}

const v1::SlaPolicy* Timekeeping::PolicyFor(const v1::ReferenceData& data, v1::Workflow workflow,
                                            const std::string& client_company,
                                            v1::CasePriority priority) {
  const v1::SlaPolicy* best = nullptr;
  int best_score = -1;
  for (const v1::SlaPolicy& p : data.sla_policies()) {
    if (p.workflow() != workflow) continue;
    if (!p.client_company().empty() && p.client_company() != client_company) continue;
    if (p.priority() != v1::CASE_PRIORITY_UNSPECIFIED && p.priority() != priority) continue;
    const int score = (p.client_company().empty() ? 0 : 2) +
                      (p.priority() == v1::CASE_PRIORITY_UNSPECIFIED ? 0 : 1);
    if (score > best_score) {
      best = &p;
      best_score = score;
    }
  }
  return best;
}

absl::Status Timekeeping::CheckPolicies(
    const v1::ReferenceData& data,
    const std::function<absl::Status(v1::Workflow, const std::string&)>& stage_exists) {
  absl::flat_hash_set<std::string> calendars;
  for (const v1::BusinessCalendar& c : data.calendars()) calendars.insert(c.id());
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < data.sla_policies_size(); ++i) {
    const v1::SlaPolicy& p = data.sla_policies(i);
    const std::string where = absl::StrCat("sla_policies[", i, "] '", p.id(), "'");
    if (p.id().empty() || !ids.insert(p.id()).second) {
      return InvalidReference(where, "id is empty or used twice");
    }
    if (p.workflow() == v1::WORKFLOW_UNSPECIFIED) return InvalidReference(where, "workflow is unset");
    if (!calendars.contains(p.calendar())) {
      return InvalidReference(where, absl::StrCat("calendar '", p.calendar(), "' is not defined"));
    }
    for (const std::string& stage : p.paused_in_stages()) {
      if (absl::Status s = stage_exists(p.workflow(), stage); !s.ok()) {
        return InvalidReference(absl::StrCat(where, ".paused_in_stages"), s.message());
      }
    }
    if (p.metrics().empty()) return InvalidReference(where, "has no metrics");
    absl::flat_hash_set<std::string> metrics;
    for (const v1::SlaMetricPolicy& m : p.metrics()) {
      const std::string at = absl::StrCat(where, ".metrics '", m.metric(), "'");
      if (m.metric().empty() || m.metric().find('.') != std::string::npos ||
          !metrics.insert(m.metric()).second) {
        return InvalidReference(at, "a metric is named once, without dots");
      }
      if (m.target_business_minutes() <= 0) {
        return InvalidReference(at, "target_business_minutes must be positive");
      }
      if (m.warning_percent() < 0 || m.warning_percent() >= 100) {
        return InvalidReference(at, "warning_percent is 0 (none) to 99");
      }
      if (m.fulfilled_by().empty() && !m.fulfilled_on_close()) {
        return InvalidReference(at, "names no fulfilled_by events and is not fulfilled_on_close");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::workflows
