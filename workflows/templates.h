// Email templates: text with {{name}} placeholders filled from a map.
//
// Pure and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_TEMPLATES_H_
#define TRIPDESK_WORKFLOWS_TEMPLATES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tripdesk::workflows {

using TemplateValues = absl::flat_hash_map<std::string, std::string>;

// The placeholder names in `text`, in order; INVALID_ARGUMENT on an
// unclosed or empty one.
absl::StatusOr<std::vector<std::string>> TemplatePlaceholders(absl::string_view text);

// `text` with every {{name}} replaced; FAILED_PRECONDITION when a name has
// no value.
absl::StatusOr<std::string> RenderTemplate(absl::string_view text, const TemplateValues& values);

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_TEMPLATES_H_
