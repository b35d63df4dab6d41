#include "services/live_feed.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/util/time_util.h"
#include "workflows/streams.h"

namespace tripdesk::services {
namespace {

// Batches a watcher may have waiting before the oldest is dropped.
constexpr size_t kMailboxBatches = 8;

}  // namespace

// Gathers the last change of each case, in log order, up to `max` cases.
class LiveFeed::ChangeSet {
 public:
  explicit ChangeSet(size_t max) : max_(max) {}

  void Add(const v1::CaseChange& change) {
    auto [it, fresh] = index_.try_emplace(change.case_id(), batch_.changes_size());
    if (!fresh) {
      *batch_.mutable_changes(static_cast<int>(it->second)) = change;
    } else if (static_cast<size_t>(batch_.changes_size()) < max_) {
      *batch_.add_changes() = change;
    } else {
      index_.erase(it);
      batch_.set_dropped(batch_.dropped() + 1);
    }
    batch_.set_position(std::max(batch_.position(), change.position()));
  }
  void Drop(uint64_t changes, uint64_t position) {
    batch_.set_dropped(batch_.dropped() + changes);
    batch_.set_position(std::max(batch_.position(), position));
  }
  bool empty() const { return batch_.changes_size() == 0 && batch_.dropped() == 0; }
  v1::CaseChanges Take() {
    index_.clear();
    return std::exchange(batch_, v1::CaseChanges());
  }

 private:
  const size_t max_;
  v1::CaseChanges batch_;
  absl::flat_hash_map<std::string, size_t> index_;
};

struct LiveFeed::Mailbox {
  Mailbox(std::string id, size_t max) : case_id(std::move(id)), max_changes(max) {}
  const std::string case_id;
  const size_t max_changes;
  std::atomic<bool> abandoned{false};
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<const v1::CaseChanges>> batches;  // guarded by mu
  uint64_t dropped = 0;                                         // guarded by mu
  uint64_t position = 0;                                        // guarded by mu
  bool closed = false;                                          // guarded by mu
};

LiveFeed::LiveFeed(Options options)
    : options_(options), pending_(std::make_unique<ChangeSet>(options.max_changes)) {}

LiveFeed::~LiveFeed() { Stop(); }

size_t LiveFeed::watchers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(std::count_if(mailboxes_.begin(), mailboxes_.end(),
                                           [](const auto& m) { return !m->abandoned; }));
}

void LiveFeed::PruneLocked() {
  mailboxes_.erase(std::remove_if(mailboxes_.begin(), mailboxes_.end(),
                                  [](const auto& m) { return m->abandoned.load(); }),
                   mailboxes_.end());
  watching_ = mailboxes_.size();
}

std::unique_ptr<LiveFeed::Watcher> LiveFeed::Watch(std::string case_id) {
  auto mailbox = std::make_shared<Mailbox>(std::move(case_id), options_.max_changes);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    mailbox->closed = true;
  } else {
    PruneLocked();
    mailboxes_.push_back(mailbox);
    watching_ = mailboxes_.size();
    if (!publishing_) {
      // A publisher that saw no watchers has left (or is leaving) without
      // touching mu_ again.
      if (publisher_.joinable()) publisher_.join();
      publishing_ = true;
      publisher_ = std::thread([this] { Publish(); });
    }
  }
  return std::unique_ptr<Watcher>(new Watcher(std::move(mailbox)));
}

void LiveFeed::Stop() {
  std::vector<std::shared_ptr<Mailbox>> mailboxes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    mailboxes.swap(mailboxes_);
    watching_ = 0;
  }
  for (const std::shared_ptr<Mailbox>& m : mailboxes) {
    std::lock_guard<std::mutex> lock(m->mu);
    m->closed = true;
    m->cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_cv_.notify_all();
  }
  std::thread publisher;
  {
    std::lock_guard<std::mutex> lock(mu_);
    publisher.swap(publisher_);
  }
  if (publisher.joinable()) publisher.join();
}

void LiveFeed::Offer(const std::vector<eventstore::Record>& records) {
  if (records.empty()) return;
  std::lock_guard<std::mutex> lock(pending_mu_);
  const uint64_t floor = offered_;
  offered_ = std::max(offered_, records.back().position());
  if (watching_.load() == 0) return;
  const bool was_empty = pending_->empty();
  for (const eventstore::Record& r : records) {
    if (r.position() <= floor) continue;
    const absl::string_view case_id = workflows::CaseIdOfStream(r.stream());
    if (case_id.empty()) continue;
    v1::CaseChange change;
    change.set_case_id(std::string(case_id));
    change.set_revision(r.revision());
    change.set_position(r.position());
    change.set_event_type(r.event_type());
    *change.mutable_recorded_at() = r.recorded_at();
    change.set_actor(r.actor_id());
    change.set_role(r.actor_role());
    pending_->Add(change);
  }
  if (was_empty && !pending_->empty()) {
    gathering_since_ = absl::Now();
    pending_cv_.notify_one();
  }
}

void LiveFeed::Publish() {
  std::unique_lock<std::mutex> pending_lock(pending_mu_);
  for (;;) {
    pending_lock.unlock();
    {
      std::lock_guard<std::mutex> lock(mu_);
      PruneLocked();
      if (stopping_ || mailboxes_.empty()) {
        publishing_ = false;
        return;
      }
    }
    pending_lock.lock();
    if (pending_->empty()) {
      pending_cv_.wait_for(pending_lock, std::chrono::milliseconds(250));
      continue;
    }
    const absl::Time due = gathering_since_ + options_.coalesce;
    if (absl::Now() < due) {
      pending_cv_.wait_until(pending_lock, absl::ToChronoTime(due));
      continue;
    }
    auto batch = std::make_shared<const v1::CaseChanges>(pending_->Take());
    pending_lock.unlock();
    Hand(std::move(batch));
    pending_lock.lock();
  }
}

void LiveFeed::Hand(std::shared_ptr<const v1::CaseChanges> batch) {
  std::vector<std::shared_ptr<Mailbox>> mailboxes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mailboxes = mailboxes_;
  }
  for (const std::shared_ptr<Mailbox>& m : mailboxes) {
    std::lock_guard<std::mutex> lock(m->mu);
    if (m->batches.size() >= kMailboxBatches) {
      m->dropped += static_cast<uint64_t>(m->batches.front()->changes_size()) +
                    m->batches.front()->dropped();
      m->batches.pop_front();
    }
    m->batches.push_back(batch);
    m->position = std::max(m->position, batch->position());
    m->cv.notify_all();
  }
}

LiveFeed::Watcher::~Watcher() { mailbox_->abandoned = true; }

absl::StatusOr<v1::CaseChanges> LiveFeed::Watcher::Next(absl::Time deadline) {
  ChangeSet merged(mailbox_->max_changes);
  // A watch of one case waits through the batches of other cases.
  do {
    std::deque<std::shared_ptr<const v1::CaseChanges>> batches;
    uint64_t dropped = 0;
    uint64_t position = 0;
    {
      std::unique_lock<std::mutex> lock(mailbox_->mu);
      mailbox_->cv.wait_until(lock, absl::ToChronoTime(deadline),
                              [&] { return !mailbox_->batches.empty() || mailbox_->closed; });
      if (mailbox_->closed) return absl::UnavailableError("the server is shutting down");
      batches.swap(mailbox_->batches);
      dropped = std::exchange(mailbox_->dropped, 0);
      position = mailbox_->position;
    }
    merged.Drop(dropped, position);
    for (const auto& batch : batches) {
      for (const v1::CaseChange& change : batch->changes()) {
        if (mailbox_->case_id.empty() || change.case_id() == mailbox_->case_id) merged.Add(change);
      }
      // What the feed dropped may have been this case's.
      merged.Drop(batch->dropped(), batch->position());
    }
  } while (merged.empty() && absl::Now() < deadline);
  return merged.Take();
}

}  // namespace tripdesk::services
