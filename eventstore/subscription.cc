#include "eventstore/subscription.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tripdesk::eventstore {

Subscription::Subscription(EventStore* store, uint64_t from_position,
                           size_t page_size)
    : store_(store), next_(std::max<uint64_t>(from_position, 1)),
      page_size_(page_size) {}

absl::StatusOr<std::optional<Record>> Subscription::Next(absl::Time deadline) {
  while (page_.empty()) {
    absl::StatusOr<std::vector<Record>> page = store_->ReadAll(next_, page_size_);
    if (!page.ok()) return page.status();
    if (!page->empty()) {
      page_.assign(std::make_move_iterator(page->begin()),
                   std::make_move_iterator(page->end()));
      break;
    }
    if (!store_->WaitForPosition(next_, deadline)) return std::nullopt;
  }
  Record record = std::move(page_.front());
  page_.pop_front();
  next_ = record.position() + 1;
  return record;
}

}  // namespace tripdesk::eventstore
