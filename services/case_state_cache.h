// StateCache: the folded state of recently used streams (cases, RV units),
// so a command on a long case or a much-rented unit reads only the records
// appended since, not the whole history. Bounded: least recently used
// states are forgotten.
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

// The key a state is cached under.
inline const std::string& StateKey(const v1::CaseState& state) { return state.case_id(); }
inline const std::string& StateKey(const v1::SharedState& state) { return state.stream(); }

template <typename State>
class StateCache {
 public:
  explicit StateCache(size_t capacity) : capacity_(capacity) {}

  // States are shared, never changed once cached: a command copies the
  // one it decides on, a reply keeps the one it was given.
  std::shared_ptr<const State> Get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  // Keeps `state` unless a later revision of its stream is already cached.
  void Put(std::shared_ptr<const State> state) {
    if (capacity_ == 0 || !state->exists()) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(StateKey(*state));
    if (it != index_.end()) {
      if (it->second->second->revision() < state->revision()) it->second->second = std::move(state);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    const std::string key = StateKey(*state);
    order_.emplace_front(key, std::move(state));
    index_.emplace(key, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const State>>;
  const size_t capacity_;
  std::mutex mu_;
  std::list<Entry> order_;
  absl::flat_hash_map<std::string, typename std::list<Entry>::iterator> index_;
};

using CaseStateCache = StateCache<v1::CaseState>;
using SharedStateCache = StateCache<v1::SharedState>;

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CASE_STATE_CACHE_H_
