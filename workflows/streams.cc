#include "workflows/streams.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tripdesk::workflows {
namespace {

constexpr absl::string_view kCase = "case-";
constexpr absl::string_view kUnit = "unit-";
constexpr absl::string_view kReference = "ref-";
constexpr absl::string_view kAsset = "asset-";
constexpr absl::string_view kAccount = "account-";

}  // namespace

std::string CaseStream(absl::string_view case_id) { return absl::StrCat(kCase, case_id); }

absl::string_view CaseIdOfStream(absl::string_view stream) {
  return absl::StartsWith(stream, kCase) ? stream.substr(kCase.size()) : absl::string_view();
}

bool IsCaseStream(absl::string_view stream) { return !CaseIdOfStream(stream).empty(); }

std::string UnitStream(absl::string_view vehicle_number) {
  return absl::StrCat(kUnit, vehicle_number);
}

std::string ReferenceStream(absl::string_view kind, absl::string_view value) {
  return absl::StrCat(kReference, kind, "-", value);
}

std::string AssetStream(absl::string_view asset_id) { return absl::StrCat(kAsset, asset_id); }

std::string AccountStream(absl::string_view account_id) {
  return absl::StrCat(kAccount, account_id);
}

std::string StreamNameHint(absl::string_view stream) {
  if (IsCaseStream(stream) || absl::StartsWith(stream, kUnit) ||
      absl::StartsWith(stream, kReference) || absl::StartsWith(stream, kAsset) ||
      absl::StartsWith(stream, kAccount)) {
    return "";
  }
  return absl::StrCat("streams are named case-<case id> (", CaseStream(stream), " for case ",
                      stream, "), unit-<vehicle number> (an RV unit), asset-<asset id> (a fleet "
                      "asset), account-<account id> (a fleet account) or ref-<kind>-<value> (a "
                      "unique reference)");
}

absl::Status CheckCaseId(absl::string_view case_id) {
  if (case_id.empty()) return absl::InvalidArgumentError("case_id: is required");
  if (case_id.size() > 64 || !std::all_of(case_id.begin(), case_id.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      })) {
    return absl::InvalidArgumentError("case_id: must be 1 to 64 letters, digits, '-' or '_'");
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::workflows
