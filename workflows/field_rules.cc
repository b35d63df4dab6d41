#include "workflows/field_rules.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "tripdesk/v1/field_rules.pb.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Commands nest a few levels; anything deeper is not a command.
constexpr int kMaxDepth = 16;

absl::Status Invalid(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

std::string Join(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

const v1::FieldRules& RulesOf(const FieldDescriptor& field) {
  return field.options().GetExtension(v1::rules);
}

bool Luhn(absl::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int v = *it - '0';
    if (twice && (v *= 2) > 9) v -= 9;
    sum += v;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// The runs of digits in `text` that single spaces or dashes join, each with
// its separators removed.
std::vector<std::string> DigitRuns(absl::string_view text) {
  std::vector<std::string> runs;
  std::string digits;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '\0';
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if ((c == ' ' || c == '-') && !digits.empty() && i + 1 < text.size() &&
               absl::ascii_isdigit(static_cast<unsigned char>(text[i + 1]))) {
      continue;
    } else {
      if (digits.size() >= 13) runs.push_back(digits);
      digits.clear();
    }
  }
  return runs;
}

// Whether `number` (all digits) starts like a card of a brand whose numbers
// have its length and fit in a phone number's 15 digits.
bool PhoneSizedCardBrand(absl::string_view number) {
  auto starts = [&](absl::string_view p) { return number.substr(0, p.size()) == p; };
  if (number.size() == 15) return starts("34") || starts("37");  // American Express
  if (number.size() == 14) {                                      // Diners Club
    if (starts("36") || starts("38")) return true;
    return number.size() >= 3 && starts("30") && number[2] >= '0' && number[2] <= '5';
  }
  return false;
}

// The code point as people look it up: U+001B.
std::string CodePoint(uint32_t cp) { return absl::StrFormat("U+%04X", cp); }

bool IsBidiControl(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

absl::Status CheckDate(absl::string_view path, absl::string_view value) {
  absl::CivilDay day;
  if (value.size() != 10 || !absl::ParseCivilTime(value, &day) ||
      absl::FormatCivilTime(day) != value) {
    return Invalid(path, absl::StrCat("'", value, "' is not a date (YYYY-MM-DD)"));
  }
  if (value < kEarliestDate || value > kLatestDate) {
    return Invalid(path, absl::StrCat(value, " is outside the dates tripdesk takes, ", kEarliestDate,
                                      " to ", kLatestDate));
  }
  return absl::OkStatus();
}

absl::Status CheckString(absl::string_view path, absl::string_view value,
                         const v1::FieldRules& rules) {
  const size_t max = rules.max_bytes() > 0 ? rules.max_bytes()
                     : rules.multiline()   ? kDefaultMultilineMaxBytes
                                           : kDefaultMaxBytes;
  if (value.size() > max) {
    return Invalid(path, absl::StrFormat("is %d bytes, at most %d allowed", value.size(), max));
  }
  for (size_t i = 0; i < value.size();) {
    const size_t at = i;
    uint32_t cp = 0;
    if (!DecodeUtf8(value, &i, &cp)) return Invalid(path, "is not valid UTF-8");
    const bool c0 = cp < 0x20 || cp == 0x7F;
    const bool c1 = cp >= 0x80 && cp <= 0x9F;
    if ((c0 && !(rules.multiline() && (cp == '\n' || cp == '\r' || cp == '\t'))) || c1) {
      return Invalid(path, absl::StrFormat("holds the control character %s at byte %d; only "
                                           "printable text is accepted%s",
                                           CodePoint(cp), at,
                                           rules.multiline() ? "" : " (and no line breaks)"));
    }
    if (IsBidiControl(cp)) {
      return Invalid(path, absl::StrFormat("holds the bidirectional control %s at byte %d, "
                                           "which can make text display as something else",
                                           CodePoint(cp), at));
    }
  }
  if (rules.phone() ? ContainsCardNumberInPhone(value) : ContainsCardNumber(value)) {
    return Invalid(path,
                   "holds what looks like a card number; card numbers are never stored (a card "
                   "field takes the payment processor's token and the last four digits)");
  }
  if (rules.date() && !value.empty()) return CheckDate(path, value);
  return absl::OkStatus();
}

absl::Status CheckTimestamp(absl::string_view path, const Message& message) {
  const auto* ts = google::protobuf::DynamicCastToGenerated<google::protobuf::Timestamp>(&message);
  if (ts == nullptr) return absl::OkStatus();
  if (ts->seconds() == 0 && ts->nanos() == 0) return absl::OkStatus();  // not given
  static const int64_t kEarliest =
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(1900, 1, 1), absl::UTCTimeZone()));
  static const int64_t kAfterLatest =
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2101, 1, 1), absl::UTCTimeZone()));
  if (ts->nanos() < 0 || ts->nanos() > 999'999'999) {
    return Invalid(path, "has nanoseconds outside 0 to 999,999,999");
  }
  if (ts->seconds() < kEarliest || ts->seconds() >= kAfterLatest) {
    return Invalid(path, absl::StrCat("is outside the instants tripdesk takes, ", kEarliestDate,
                                      "T00:00:00Z to ", kLatestDate, "T23:59:59Z"));
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(absl::string_view path, const FieldDescriptor& field, int value) {
  if (field.enum_type()->FindValueByNumber(value) != nullptr) return absl::OkStatus();
  std::vector<std::string> names;
  for (int i = 0; i < field.enum_type()->value_count(); ++i) {
    if (field.enum_type()->value(i)->number() != 0) names.push_back(field.enum_type()->value(i)->name());
  }
  return Invalid(path, absl::StrCat(value, " is not a ", field.enum_type()->name(), "; one of ",
                                    absl::StrJoin(names, ", ")));
}

// The key a repeated element is told apart by (see FieldRules.unique_by).
std::string ElementKey(const Message& message, const FieldDescriptor& field, int index,
                       absl::string_view unique_by) {
  const Reflection* r = message.GetReflection();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    return r->GetRepeatedString(message, &field, index);
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const Message& element = r->GetRepeatedMessage(message, &field, index);
    const FieldDescriptor* key = element.GetDescriptor()->FindFieldByName(std::string(unique_by));
    if (key != nullptr && key->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !key->is_repeated()) {
      return element.GetReflection()->GetString(element, key);
    }
  }
  return "";
}

absl::Status CheckUnique(absl::string_view path, const Message& message,
                         const FieldDescriptor& field, absl::string_view unique_by) {
  const int n = message.GetReflection()->FieldSize(message, &field);
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < n; ++i) {
    const std::string key = ElementKey(message, field, i, unique_by);
    auto [it, fresh] = seen.try_emplace(key, i);
    if (!fresh) {
      return Invalid(absl::StrCat(path, "[", i, "]"),
                     absl::StrCat("'", key, "' is given twice (also at [", it->second,
                                  "]); give each once",
                                  field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                                      ? " (with a quantity for several)"
                                      : ""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, absl::string_view path, int depth);

absl::Status CheckField(const Message& message, const FieldDescriptor& field,
                        absl::string_view path, int depth) {
  const Reflection* r = message.GetReflection();
  const v1::FieldRules& rules = RulesOf(field);
  const std::string here = Join(path, field.name());
  if (field.is_repeated()) {
    const int n = r->FieldSize(message, &field);
    const int max = rules.max_count() > 0 ? static_cast<int>(rules.max_count()) : kDefaultMaxCount;
    if (n > max) return Invalid(here, absl::StrFormat("has %d entries, at most %d allowed", n, max));
    for (int i = 0; i < n; ++i) {
      const std::string element = absl::StrCat(here, "[", i, "]");
      absl::Status s;
      switch (field.cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          s = CheckString(element, r->GetRepeatedString(message, &field, i), rules);
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          s = CheckEnum(element, field, r->GetRepeatedEnumValue(message, &field, i));
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          s = CheckMessage(r->GetRepeatedMessage(message, &field, i), element, depth + 1);
          break;
        default:
          break;
      }
      if (!s.ok()) return s;
    }
    if (!rules.unique_by().empty()) return CheckUnique(here, message, field, rules.unique_by());
    return absl::OkStatus();
  }
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      return CheckString(here, r->GetStringReference(message, &field, &scratch), rules);
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return CheckEnum(here, field, r->GetEnumValue(message, &field));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (!r->HasField(message, &field)) return absl::OkStatus();
      return CheckMessage(r->GetMessage(message, &field), here, depth + 1);
    default:
      return absl::OkStatus();
  }
}

absl::Status CheckMessage(const Message& message, absl::string_view path, int depth) {
  if (depth > kMaxDepth) return Invalid(path, "is nested too deeply");
  const Reflection* r = message.GetReflection();
  if (!r->GetUnknownFields(message).empty()) {
    return Invalid(path.empty() ? "command" : path,
                   absl::StrCat("holds fields that are not part of ", message.GetTypeName(),
                                " (a client built from newer protos?); they are never stored"));
  }
  if (message.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
    return CheckTimestamp(path, message);
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (absl::Status s = CheckField(message, *field, path, depth); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void FindIn(const Message& message, const std::string& path, int depth,
            std::vector<std::string>& found) {
  if (depth > kMaxDepth) return;
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string here = Join(path, field->name());
    const bool phone = RulesOf(*field).phone();
    auto check = [&](const std::string& at, absl::string_view value) {
      if (phone ? ContainsCardNumberInPhone(value) : ContainsCardNumber(value)) found.push_back(at);
    };
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          check(absl::StrCat(here, "[", i, "]"), r->GetRepeatedString(message, field, i));
        }
      } else {
        std::string scratch;
        check(here, r->GetStringReference(message, field, &scratch));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          FindIn(r->GetRepeatedMessage(message, field, i), absl::StrCat(here, "[", i, "]"),
                 depth + 1, found);
        }
      } else {
        FindIn(r->GetMessage(message, field), here, depth + 1, found);
      }
    }
  }
}

}  // namespace

bool ContainsCardNumber(absl::string_view text) {
  for (const std::string& run : DigitRuns(text)) {
    for (size_t len = 13; len <= 19 && len <= run.size(); ++len) {
      for (size_t start = 0; start + len <= run.size(); ++start) {
        if (Luhn(absl::string_view(run).substr(start, len))) return true;
      }
    }
  }
  return false;
}

bool ContainsCardNumberInPhone(absl::string_view text) {
  for (const std::string& run : DigitRuns(text)) {
    for (size_t len : {14, 15}) {
      for (size_t start = 0; start + len <= run.size(); ++start) {
        const absl::string_view window = absl::string_view(run).substr(start, len);
        if (PhoneSizedCardBrand(window) && Luhn(window)) return true;
      }
    }
  }
  return false;
}

absl::Status CheckFields(const Message& message, absl::string_view path) {
  return CheckMessage(message, path, 0);
}

absl::Status CheckCommandFields(const v1::CaseCommand& command) {
  const Reflection* r = command.GetReflection();
  if (!r->GetUnknownFields(command).empty()) {
    return Invalid("command", "names a workflow this server does not know");
  }
  const FieldDescriptor* workflow =
      r->GetOneofFieldDescriptor(command, command.GetDescriptor()->oneof_decl(0));
  if (workflow == nullptr) return Invalid("command", "no workflow command is set");
  const Message& inner = r->GetMessage(command, workflow);
  const Reflection* ir = inner.GetReflection();
  if (!ir->GetUnknownFields(inner).empty()) {
    return Invalid(absl::StrCat("command.", workflow->name()),
                   "names a command this server does not know");
  }
  const Descriptor* d = inner.GetDescriptor();
  const FieldDescriptor* which =
      d->oneof_decl_count() > 0 ? ir->GetOneofFieldDescriptor(inner, d->oneof_decl(0)) : nullptr;
  if (which == nullptr) {
    return Invalid(absl::StrCat("command.", workflow->name()), "no command is set");
  }
  return CheckMessage(ir->GetMessage(inner, which), which->name(), 1);
}

absl::Status CheckRequestId(absl::string_view field, absl::string_view value) {
  if (value.size() > 128) {
    return Invalid(field, absl::StrFormat("is %d bytes, at most 128 allowed", value.size()));
  }
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7F) {
      return Invalid(field, "may hold only visible ASCII characters (no spaces or controls)");
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FindCardNumbers(const Message& message, absl::string_view path) {
  std::vector<std::string> found;
  FindIn(message, std::string(path), 0, found);
  return found;
}

}  // namespace tripdesk::workflows
