// CaseStateCache: the folded state of recently used cases, so a command on a
// long case reads only the records appended since, not its whole history.
// Bounded: least recently used cases are forgotten.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_CASE_STATE_CACHE_H_
#define TRIPDESK_SERVICES_CASE_STATE_CACHE_H_

#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::services {

class CaseStateCache {
 public:
  explicit CaseStateCache(size_t capacity) : capacity_(capacity) {}

  // States are shared, never changed once cached: a command copies the
  // one it decides on, a reply keeps the one it was given.
  std::shared_ptr<const v1::CaseState> Get(const std::string& case_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(case_id);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  // Keeps `state` unless a later revision of the case is already cached.
  void Put(std::shared_ptr<const v1::CaseState> state) {
    if (capacity_ == 0 || !state->exists()) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(state->case_id());
    if (it != index_.end()) {
      if (it->second->second->revision() < state->revision()) it->second->second = std::move(state);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    const std::string case_id = state->case_id();
    order_.emplace_front(case_id, std::move(state));
    index_.emplace(case_id, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const v1::CaseState>>;
  const size_t capacity_;
  std::mutex mu_;
  std::list<Entry> order_;
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CASE_STATE_CACHE_H_
