#include "workflows/templates.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tripdesk::workflows {
namespace {

// Calls `on_text` and `on_name` for the pieces of `text` in order.
template <typename OnText, typename OnName>
absl::Status Scan(absl::string_view text, OnText on_text, OnName on_name) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == absl::string_view::npos) {
      on_text(text.substr(pos));
      break;
    }
    on_text(text.substr(pos, open - pos));
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("template: '{{' at offset ", open, " is never closed"));
    }
    const absl::string_view name = absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("template: empty placeholder at offset ", open));
    }
    if (absl::Status s = on_name(name); !s.ok()) return s;
    pos = close + 2;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TemplatePlaceholders(absl::string_view text) {
  std::vector<std::string> names;
  absl::Status s = Scan(
      text, [](absl::string_view) {},
      [&](absl::string_view name) {
        names.emplace_back(name);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return names;
}

absl::StatusOr<std::string> RenderTemplate(absl::string_view text, const TemplateValues& values) {
  std::string out;
  absl::Status s = Scan(
      text, [&](absl::string_view piece) { absl::StrAppend(&out, piece); },
      [&](absl::string_view name) {
        auto it = values.find(name);
        if (it == values.end()) {
          return absl::FailedPreconditionError(
              absl::StrCat("template placeholder {{", name, "}} has no value"));
        }
        absl::StrAppend(&out, it->second);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

}  // namespace tripdesk::workflows
