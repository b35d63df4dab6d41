// RowCache: the rows a projection keeps decoded in memory between pages of
// the log. A row is read and parsed once, changed in memory by every event
// of a page, and written once at the end of the page; the rows of recently
// active cases stay decoded for the next page, so a busy desk's events do
// not cost a read and a parse each. Bounded: past `capacity` rows the least
// recently used are dropped (they are on disk).
//
// Runner thread only. A page that is not committed must be followed by
// Clear(): the cached rows would otherwise hold its uncommitted changes.
#ifndef TRIPDESK_PROJECTIONS_ROW_CACHE_H_
#define TRIPDESK_PROJECTIONS_ROW_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "projections/view_store.h"

namespace tripdesk::projections {

inline constexpr size_t kRowCacheRows = 8192;

template <typename Row>
class RowCache {
 public:
  // The keys of other rows a projection writes from this one (index
  // entries), so it can remove them when the row changes.
  using DeriveKeys = std::function<std::vector<std::string>(absl::string_view key, const Row&)>;

  struct Entry {
    Row row;
    bool existed = false;  // stored before this page
    // `derive` of the row as stored (empty without `derive`).
    std::vector<std::string> stored_keys;
  };

  explicit RowCache(std::string family, DeriveKeys derive = nullptr,
                    size_t capacity = kRowCacheRows)
      : family_(std::move(family)), derive_(std::move(derive)), capacity_(capacity) {}

  // The row for `key`; marked to be written at the end of the page.
  absl::StatusOr<Entry*> Get(ViewTxn& txn, absl::string_view key) {
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      absl::StatusOr<std::optional<std::string>> stored = txn.Get(family_, key);
      if (!stored.ok()) return stored.status();
      Slot slot;
      if (stored->has_value()) {
        if (!slot.entry.row.ParseFromString(**stored)) {
          return absl::DataLossError(
              absl::StrCat("views: ", family_, " row ", key, " does not decode"));
        }
        slot.entry.existed = true;
        if (derive_) slot.entry.stored_keys = derive_(key, slot.entry.row);
      }
      it = rows_.emplace(std::string(key), std::move(slot)).first;
    }
    Slot& slot = it->second;
    slot.last_page = page_;
    if (!slot.dirty) {
      slot.dirty = true;
      dirty_.push_back(&*it);
    }
    return &slot.entry;
  }

  // Calls `each(key, entry)` for every row changed this page, then writes it.
  template <typename Each>
  absl::Status Flush(ViewTxn& txn, Each each) {
    for (auto* kv : dirty_) {
      Entry& entry = kv->second.entry;
      if (absl::Status s = each(kv->first, entry); !s.ok()) return s;
      txn.Put(family_, kv->first, entry.row.SerializeAsString());
      entry.existed = true;
      kv->second.dirty = false;
    }
    dirty_.clear();
    ++page_;
    if (rows_.size() > capacity_) Evict();
    return absl::OkStatus();
  }
  absl::Status Flush(ViewTxn& txn) {
    return Flush(txn, [](const std::string&, Entry&) { return absl::OkStatus(); });
  }

  // Points `entry.stored_keys` at `keys` in `family`: deletes the stored
  // keys that are gone, puts `keys` with `value` (only the new ones when
  // `value` never changes, as for index keys).
  static void ReplaceKeys(ViewTxn& txn, absl::string_view family, Entry& entry,
                          std::vector<std::string> keys, absl::string_view value,
                          bool value_changes = true) {
    const absl::flat_hash_set<absl::string_view> kept(keys.begin(), keys.end());
    const absl::flat_hash_set<absl::string_view> had(entry.stored_keys.begin(),
                                                     entry.stored_keys.end());
    for (const std::string& old : entry.stored_keys) {
      if (!kept.contains(old)) txn.Delete(family, old);
    }
    for (const std::string& key : keys) {
      if (value_changes || !had.contains(key)) txn.Put(family, key, std::string(value));
    }
    entry.stored_keys = std::move(keys);
  }

  // Forgets every row (after a page that was not committed, or a rebuild).
  void Clear() {
    rows_.clear();
    dirty_.clear();
  }
  size_t size() const { return rows_.size(); }

 private:
  struct Slot {
    Entry entry;
    uint64_t last_page = 0;
    bool dirty = false;
  };

  // Drops the least recently used half, so eviction costs O(1) per row.
  void Evict() {
    std::vector<uint64_t> pages;
    pages.reserve(rows_.size());
    for (const auto& [key, slot] : rows_) pages.push_back(slot.last_page);
    auto middle = pages.begin() + static_cast<std::ptrdiff_t>(capacity_ / 2);
    std::nth_element(pages.begin(), middle, pages.end(), std::greater<>());
    const uint64_t cutoff = *middle;
    absl::erase_if(rows_, [&](const auto& kv) { return kv.second.last_page <= cutoff; });
  }

  std::string family_;
  DeriveKeys derive_;
  size_t capacity_;
  uint64_t page_ = 1;
  absl::node_hash_map<std::string, Slot> rows_;
  std::vector<typename absl::node_hash_map<std::string, Slot>::value_type*> dirty_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_ROW_CACHE_H_
