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

// Where the walk is: field names and repeated indexes, spelled out only when
// a check fails (a valid command never pays for its paths).
class Path {
 public:
  explicit Path(absl::string_view root) : root_(root) {}
  void Push(const std::string& name, int index = -1) { segments_.push_back({&name, index}); }
  void Pop() { segments_.pop_back(); }
  void SetIndex(int index) { segments_.back().index = index; }
  std::string str() const {
    std::string out(root_);
    for (const Segment& s : segments_) {
      if (!out.empty()) out.push_back('.');
      out += *s.name;
      if (s.index >= 0) absl::StrAppend(&out, "[", s.index, "]");
    }
    return out;
  }

 private:
  struct Segment {
    const std::string* name;
    int index;
  };
  std::string root_;
  std::vector<Segment> segments_;
};

absl::Status Invalid(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}
absl::Status Invalid(const Path& path, absl::string_view problem) {
  return Invalid(path.str(), problem);
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

// Fewer than 13 digits in all: no card number, whatever their order (most
// fields, checked without building runs).
bool TooFewDigits(absl::string_view text) {
  int digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9' && ++digits >= 13) return false;
  }
  return true;
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

// YYYY-MM-DD naming a real day (no 2027-02-30), read by hand: every RV
// command carries several and a parser costs more than the rest together.
bool IsCalendarDate(absl::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  int n[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int lengths[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (int k = 0; k < lengths[f]; ++k) {
      const char c = v[starts[f] + k];
      if (c < '0' || c > '9') return false;
      n[f] = n[f] * 10 + (c - '0');
    }
  }
  const int year = n[0], month = n[1], day = n[2];
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

absl::Status CheckDate(const Path& path, absl::string_view value) {
  if (!IsCalendarDate(value)) {
    return Invalid(path, absl::StrCat("'", value, "' is not a date (YYYY-MM-DD)"));
  }
  if (value < kEarliestDate || value > kLatestDate) {
    return Invalid(path, absl::StrCat(value, " is outside the dates tripdesk takes, ", kEarliestDate,
                                      " to ", kLatestDate));
  }
  return absl::OkStatus();
}

absl::Status ControlCharacter(const Path& path, uint32_t cp, size_t at, bool multiline) {
  return Invalid(path, absl::StrFormat("holds the control character %s at byte %d; only "
                                       "printable text is accepted%s",
                                       CodePoint(cp), at, multiline ? "" : " (and no line breaks)"));
}

absl::Status CheckString(const Path& path, absl::string_view value, const v1::FieldRules& rules) {
  const size_t max = rules.max_bytes() > 0 ? rules.max_bytes()
                     : rules.multiline()   ? kDefaultMultilineMaxBytes
                                           : kDefaultMaxBytes;
  if (value.size() > max) {
    return Invalid(path, absl::StrFormat("is %d bytes, at most %d allowed", value.size(), max));
  }
  for (size_t i = 0; i < value.size();) {
    const size_t at = i;
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {  // ASCII: only the controls to look at
      if ((c < 0x20 && !(rules.multiline() && (c == '\n' || c == '\r' || c == '\t'))) ||
          c == 0x7F) {
        return ControlCharacter(path, c, at, rules.multiline());
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    if (!DecodeUtf8(value, &i, &cp)) return Invalid(path, "is not valid UTF-8");
    if (cp <= 0x9F) return ControlCharacter(path, cp, at, rules.multiline());  // C1
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

absl::Status CheckTimestamp(const Path& path, const Message& message) {
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

absl::Status CheckEnum(const Path& path, const FieldDescriptor& field, int value) {
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

absl::Status CheckUnique(Path& path, const Message& message, const FieldDescriptor& field,
                         absl::string_view unique_by) {
  const int n = message.GetReflection()->FieldSize(message, &field);
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < n; ++i) {
    const std::string key = ElementKey(message, field, i, unique_by);
    auto [it, fresh] = seen.try_emplace(key, i);
    if (!fresh) {
      path.SetIndex(i);
      return Invalid(path, absl::StrCat("'", key, "' is given twice (also at [", it->second,
                                        "]); give each once",
                                        field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                                            ? " (with a quantity for several)"
                                            : ""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, Path& path, int depth);

// Checks one field present in `message`; `path` ends at the field.
absl::Status CheckPresentField(const Message& message, const FieldDescriptor& field, Path& path,
                               int depth) {
  const Reflection* r = message.GetReflection();
  const v1::FieldRules& rules = RulesOf(field);
  if (field.options().deprecated()) {
    return Invalid(path, absl::StrCat("is no longer taken", rules.replaced_by().empty() ? "" : absl::StrCat("; use ", rules.replaced_by()), " (see the field's comment in the protos)"));
  }
  if (field.is_repeated()) {
    const int n = r->FieldSize(message, &field);
    const int max = rules.max_count() > 0 ? static_cast<int>(rules.max_count()) : kDefaultMaxCount;
    if (n > max) return Invalid(path, absl::StrFormat("has %d entries, at most %d allowed", n, max));
    for (int i = 0; i < n; ++i) {
      path.SetIndex(i);
      absl::Status s;
      switch (field.cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string scratch;
          s = CheckString(path, r->GetRepeatedStringReference(message, &field, i, &scratch), rules);
          break;
        }
        case FieldDescriptor::CPPTYPE_ENUM:
          s = CheckEnum(path, field, r->GetRepeatedEnumValue(message, &field, i));
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          s = CheckMessage(r->GetRepeatedMessage(message, &field, i), path, depth + 1);
          break;
        default:
          break;
      }
      if (!s.ok()) return s;
    }
    path.SetIndex(-1);
    if (!rules.unique_by().empty()) return CheckUnique(path, message, field, rules.unique_by());
    return absl::OkStatus();
  }
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      return CheckString(path, r->GetStringReference(message, &field, &scratch), rules);
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return CheckEnum(path, field, r->GetEnumValue(message, &field));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return CheckMessage(r->GetMessage(message, &field), path, depth + 1);
    default:
      return absl::OkStatus();
  }
}

absl::Status CheckMessage(const Message& message, Path& path, int depth) {
  if (depth > kMaxDepth) return Invalid(path, "is nested too deeply");
  const Reflection* r = message.GetReflection();
  if (!r->GetUnknownFields(message).empty()) {
    const std::string where = path.str();
    return Invalid(where.empty() ? "command" : where,
                   absl::StrCat("holds fields that are not part of ", message.GetTypeName(),
                                " (a client built from newer protos?); they are never stored"));
  }
  if (message.GetDescriptor()->well_known_type() == google::protobuf::Descriptor::WELLKNOWNTYPE_TIMESTAMP) {
    return CheckTimestamp(path, message);
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    path.Push(field->name());
    absl::Status s = CheckPresentField(message, *field, path, depth);
    if (!s.ok()) return s;
    path.Pop();
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
  if (TooFewDigits(text)) return false;
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
  if (TooFewDigits(text)) return false;
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
  Path walk(path);
  return CheckMessage(message, walk, 0);
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
  Path walk(which->name());
  return CheckMessage(ir->GetMessage(inner, which), walk, 1);
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
