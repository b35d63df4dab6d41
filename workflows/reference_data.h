// ReferenceData: the business facts the workflows look up (vendors and
// their manual reservation codes, the fee schedule, email templates),
// parsed from protobuf text format and checked as a whole before use.
//
// Immutable after construction; thread-safe to share.
#ifndef TRIPDESK_WORKFLOWS_REFERENCE_DATA_H_
#define TRIPDESK_WORKFLOWS_REFERENCE_DATA_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tripdesk/v1/reference.pb.h"

namespace tripdesk::workflows {

class ReferenceData {
 public:
  // INVALID_ARGUMENT names the line and the problem (or the entry).
  static absl::StatusOr<std::shared_ptr<const ReferenceData>> FromTextProto(
      absl::string_view text);
  static absl::StatusOr<std::shared_ptr<const ReferenceData>> FromProto(v1::ReferenceData data);

  const v1::ReferenceData& proto() const { return data_; }

  const v1::Vendor* FindVendor(absl::string_view code) const;
  // "ZI (Avis), ZD (Budget), ..." for messages.
  std::string VendorList() const;
  // The client company's fee, or the default.
  const v1::Money& ServiceFeeFor(absl::string_view client_company) const;
  const v1::EmailTemplate* FindTemplate(absl::string_view id) const;
  // The time zone of an RV location, loaded with the reference data so a
  // decision needs no I/O to know a location's local day; UTC for an
  // unknown code.
  absl::TimeZone RvZone(absl::string_view location) const;

 private:
  explicit ReferenceData(v1::ReferenceData data) : data_(std::move(data)) {}
  v1::ReferenceData data_;
  absl::flat_hash_map<std::string, absl::TimeZone> rv_zones_;
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_REFERENCE_DATA_H_
