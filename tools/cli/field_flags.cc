#include "tools/cli/field_flags.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "workflows/money.h"

namespace tripdesk::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Bad(absl::string_view word, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(word, ": ", problem));
}

absl::Status SetScalar(absl::string_view word, Message& message, const FieldDescriptor* field,
                       const std::string& value) {
  const Reflection* r = message.GetReflection();
  if (field->is_repeated()) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      // One element per flag, in protobuf's JSON: --options='{"code":"SLI"}'.
      Message* element = r->AddMessage(&message, field);
      if (!google::protobuf::util::JsonStringToMessage(value, element).ok()) {
        r->RemoveLast(&message, field);
        return Bad(word, absl::StrCat("expects one ", field->message_type()->name(),
                                      " as JSON, e.g. '{\"code\":\"SLI\"}'"));
      }
      return absl::OkStatus();
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      return Bad(word, "only repeated strings and messages can be set from the command line");
    }
    r->AddString(&message, field, value);
    return absl::OkStatus();
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(&message, field, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b = false;
      if (!absl::SimpleAtob(value, &b)) return Bad(word, "expects true or false");
      r->SetBool(&message, field, b);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return Bad(word, "expects an integer");
      r->SetInt32(&message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return Bad(word, "expects an integer");
      r->SetInt64(&message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return Bad(word, "expects a non-negative integer");
      r->SetUInt32(&message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return Bad(word, "expects a non-negative integer");
      r->SetUInt64(&message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const std::string upper = absl::AsciiStrToUpper(value);
      const google::protobuf::EnumDescriptor* e = field->enum_type();
      for (int i = 0; i < e->value_count(); ++i) {
        const std::string& name = e->value(i)->name();
        if (name == upper || absl::EndsWith(name, absl::StrCat("_", upper))) {
          r->SetEnumValue(&message, field, e->value(i)->number());
          return absl::OkStatus();
        }
      }
      return Bad(word, absl::StrCat("not a value of ", e->name()));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (field->message_type()->full_name() == "google.protobuf.Timestamp") {
        google::protobuf::Timestamp ts;
        if (!google::protobuf::util::TimeUtil::FromString(value, &ts)) {
          return Bad(word, "expects an RFC 3339 time such as 2026-12-01T09:00:00Z");
        }
        r->MutableMessage(&message, field)->CopyFrom(ts);
        return absl::OkStatus();
      }
      if (field->message_type()->full_name() == "tripdesk.v1.Money") {
        absl::StatusOr<v1::Money> money = workflows::ParseMoney(value);
        if (!money.ok()) return Bad(word, money.status().message());
        r->MutableMessage(&message, field)->CopyFrom(*money);
        return absl::OkStatus();
      }
      if (value.empty()) {  // --send_confirmation_email= sets an empty message
        r->MutableMessage(&message, field);
        return absl::OkStatus();
      }
      return Bad(word, "is a message: set its fields with dots, e.g. --amount.currency=USD");
    }
    default:
      return Bad(word, "cannot be set from the command line");
  }
}

void CollectPaths(const Descriptor& d, const std::string& prefix, std::vector<std::string>& out,
                  int depth) {
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor* f = d.field(i);
    const std::string path = absl::StrCat(prefix, f->name());
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() &&
        f->message_type()->full_name() != "google.protobuf.Timestamp" &&
        f->message_type()->full_name() != "tripdesk.v1.Money" && depth < 4) {
      CollectPaths(*f->message_type(), absl::StrCat(path, "."), out, depth + 1);
    } else {
      out.push_back(path);
    }
  }
}

}  // namespace

absl::Status SetFields(const std::vector<std::string>& words, Message& message) {
  for (const std::string& word : words) {
    if (!absl::StartsWith(word, "--")) return Bad(word, "expected --field=value");
    const size_t eq = word.find('=');
    const std::string path = word.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const std::string value = eq == std::string::npos ? "true" : word.substr(eq + 1);
    Message* target = &message;
    const std::vector<std::string> parts = absl::StrSplit(path, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      const FieldDescriptor* field = target->GetDescriptor()->FindFieldByName(parts[i]);
      if (field == nullptr) {
        return Bad(word, absl::StrCat("no field '", parts[i], "' in ",
                                      target->GetDescriptor()->name()));
      }
      if (i + 1 == parts.size()) {
        if (absl::Status s = SetScalar(word, *target, field, value); !s.ok()) return s;
      } else {
        if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) {
          return Bad(word, absl::StrCat("'", parts[i], "' has no fields"));
        }
        target = target->GetReflection()->MutableMessage(target, field);
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FieldPaths(const Descriptor& descriptor) {
  std::vector<std::string> out;
  CollectPaths(descriptor, "", out, 0);
  return out;
}

}  // namespace tripdesk::cli
