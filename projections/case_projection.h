// The case view: every case's folded state (the same fold the command path
// uses) and the indexes ListCases reads.
#ifndef TRIPDESK_PROJECTIONS_CASE_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_CASE_PROJECTION_H_

#include <string>
#include <vector>

#include "projections/projection.h"
#include "projections/row_cache.h"
#include "workflows/registry.h"

namespace tripdesk::projections {

inline constexpr char kCaseStateFamily[] = "case_state";
inline constexpr char kCaseIndexFamily[] = "case_index";
// Every note of every case: <case id>\0<inverted note number, 8 bytes>, so
// a prefix scan lists one case's notes newest first.
inline constexpr char kCaseNotesFamily[] = "case_notes";
// A customer's CRM timeline: <customer key>\0<inverted time><inverted
// position> -> CustomerTimelineEntry, newest first.
inline constexpr char kCustomerTimelineFamily[] = "customer_timeline";

// The key a customer's records are filed under: their email folded, else
// the digits of their phone; empty for neither.
std::string CustomerKey(const v1::Person& customer);
std::string CustomerTimelinePrefix(absl::string_view customer_key);

std::string CaseNotesPrefix(absl::string_view case_id);
std::string CaseNoteKey(absl::string_view case_id, uint64_t number);

// Index keys. Listings, most recently updated first:
// <kind>|<value>\0<inverted updated-at, 8 bytes>|<case id> for u (all),
// s (state), w (workflow), q (queue), a (assigned agent). Search, by case
// id within a value (the key changes only when the value does):
// <kind>|<value>\0|<case id> for p (priority), n (a word of the customer's
// name, or the email), c (client company), r (an external reference or the
// ticket), d (destination), t (tag), f (the trip's first day, so a range
// scan lists a date range). Text values are folded (search_text.h).
std::string CaseIndexPrefix(char kind, absl::string_view value);
std::vector<std::string> CaseIndexKeys(const v1::CaseView& view);
// The case id at the end of an index key.
absl::string_view CaseIdOfIndexKey(absl::string_view key);

class CaseProjection final : public Projection {
 public:
  explicit CaseProjection(const workflows::WorkflowRegistry& registry)
      : registry_(registry),
        states_(kCaseStateFamily, [this](absl::string_view, const v1::CaseState& state) {
          return CaseIndexKeys(registry_.View(state));
        }) {}
  std::string name() const override { return "cases"; }
  int version() const override { return 5; }
  std::vector<std::string> families() const override {
    return {kCaseStateFamily, kCaseIndexFamily, kCaseNotesFamily, kCustomerTimelineFamily};
  }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override;
  absl::Status Flush(ViewTxn& txn) override;
  void Discard() override { states_.Clear(); }

 private:
  const workflows::WorkflowRegistry& registry_;
  RowCache<v1::CaseState> states_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_CASE_PROJECTION_H_
