// RowCache: the rows a projection touches while one page of the log is
// applied, decoded once, changed in memory, and written once at the end of
// the page. A case's sixteen events in one page cost one read and one write
// of its row instead of sixteen of each.
//
// Runner thread only.
#ifndef TRIPDESK_PROJECTIONS_ROW_CACHE_H_
#define TRIPDESK_PROJECTIONS_ROW_CACHE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "projections/view_store.h"

namespace tripdesk::projections {

template <typename Row>
class RowCache {
 public:
  struct Entry {
    Row row;
    bool existed = false;  // stored before this page
    Row original;          // as stored before this page (when existed)
  };

  explicit RowCache(std::string family) : family_(std::move(family)) {}

  // The row for `key`, loaded on first use this page; marked to be written.
  absl::StatusOr<Entry*> Get(ViewTxn& txn, absl::string_view key) {
    auto it = rows_.find(key);
    if (it != rows_.end()) return &it->second;
    absl::StatusOr<std::optional<std::string>> stored = txn.Get(family_, key);
    if (!stored.ok()) return stored.status();
    Entry entry;
    if (stored->has_value()) {
      if (!entry.row.ParseFromString(**stored)) {
        return absl::DataLossError(absl::StrCat("views: ", family_, " row ", key, " does not decode"));
      }
      entry.existed = true;
      entry.original = entry.row;
    }
    return &rows_.emplace(std::string(key), std::move(entry)).first->second;
  }

  // Calls `each(key, entry)` for every row touched, writes it, forgets all.
  template <typename Each>
  absl::Status Flush(ViewTxn& txn, Each each) {
    for (auto& [key, entry] : rows_) {
      if (absl::Status s = each(key, entry); !s.ok()) return s;
      txn.Put(family_, key, entry.row.SerializeAsString());
    }
    rows_.clear();
    return absl::OkStatus();
  }
  absl::Status Flush(ViewTxn& txn) {
    return Flush(txn, [](const std::string&, Entry&) { return absl::OkStatus(); });
  }
  void Clear() { rows_.clear(); }

 private:
  std::string family_;
  absl::flat_hash_map<std::string, Entry> rows_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_ROW_CACHE_H_
