#include "workflows/reference_data.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/text_format.h>

#include "absl/strings/str_cat.h"
#include "workflows/registry.h"
#include "workflows/timekeeping.h"

namespace tripdesk::workflows {
namespace {

class FirstParseError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error.empty()) error = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  std::string error;
};

// Loads every string field named `zone` under `message`; `where` is its
// path ("rv.locations[2]") for the refusal.
absl::Status LoadZones(const google::protobuf::Message& message, const std::string& where,
                       absl::flat_hash_map<std::string, absl::TimeZone>& zones) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = where.empty() ? field->name() : absl::StrCat(where, ".", field->name());
    if (field->type() == FieldDescriptor::TYPE_STRING && !field->is_repeated() &&
        field->name() == "zone") {
      const std::string name = reflection.GetString(message, field);
      absl::TimeZone zone;
      if (!absl::LoadTimeZone(name, &zone)) {
        return InvalidReference(
            where, absl::StrCat("zone '", name, "' is not an IANA time zone this machine knows"));
      }
      zones[name] = zone;
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (!field->is_repeated()) {
        if (absl::Status s = LoadZones(reflection.GetMessage(message, field), path, zones); !s.ok()) {
          return s;
        }
        continue;
      }
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        if (absl::Status s = LoadZones(reflection.GetRepeatedMessage(message, field, i),
                                       absl::StrCat(path, "[", i, "]"), zones);
            !s.ok()) {
          return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InvalidReference(absl::string_view where, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("reference data: ", where, ": ", problem));
}

absl::StatusOr<std::shared_ptr<const ReferenceData>> ReferenceData::FromTextProto(
    absl::string_view text) {
  v1::ReferenceData data;
  google::protobuf::TextFormat::Parser parser;
  FirstParseError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &data)) {
    return absl::InvalidArgumentError(absl::StrCat("reference data: ", errors.error));
  }
  return FromProto(std::move(data));
}

absl::StatusOr<std::shared_ptr<const ReferenceData>> ReferenceData::FromProto(
    v1::ReferenceData data) {
  if (absl::Status s = WorkflowRegistry::Default().CheckReference(data); !s.ok()) return s;
  absl::flat_hash_map<std::string, absl::TimeZone> zones;
  if (absl::Status s = LoadZones(data, "", zones); !s.ok()) return s;
  std::shared_ptr<ReferenceData> out(new ReferenceData(std::move(data)));
  out->zones_ = std::move(zones);
  for (int i = 0; i < out->data_.calendars_size(); ++i) {
    const v1::BusinessCalendar& c = out->data_.calendars(i);
    const std::string where = absl::StrCat("calendars[", i, "]");
    if (c.id().empty()) return InvalidReference(where, "id is empty");
    if (c.zone().empty()) {
      return InvalidReference(where, "zone is empty (an IANA zone, e.g. America/New_York)");
    }
    absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Make(c, out->Zone(c.zone()));
    if (!calendar.ok()) return calendar.status();
    if (!out->calendars_.emplace(c.id(), *std::move(calendar)).second) {
      return InvalidReference(where, absl::StrCat("a second calendar '", c.id(), "'"));
    }
  }
  if (absl::Status s = Timekeeping::CheckPolicies(
          out->data_,
          [](v1::Workflow workflow, const std::string& stage) {
            return WorkflowRegistry::Default().CheckStageName(workflow, stage);
          });
      !s.ok()) {
    return s;
  }
  return out;
}

const BusinessCalendar* ReferenceData::Calendar(absl::string_view id) const {
  auto it = calendars_.find(id);
  return it != calendars_.end() ? &it->second : nullptr;
}

absl::TimeZone ReferenceData::Zone(absl::string_view name) const {
  auto it = zones_.find(name);
  return it != zones_.end() ? it->second : absl::UTCTimeZone();
}

}  // namespace tripdesk::workflows
