// Text as ListCases compares it: lower case, accents folded ("Zoë Müller"
// and "ZOE MULLER" match), split into words for the name index.
#ifndef TRIPDESK_PROJECTIONS_SEARCH_TEXT_H_
#define TRIPDESK_PROJECTIONS_SEARCH_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tripdesk::projections {

// Lower-cased, Latin letters with accents folded to their base letters
// (ß to ss, æ to ae); other characters kept as they are.
std::string FoldForSearch(absl::string_view text);
// The folded text's words (runs of letters and digits).
std::vector<std::string> SearchWords(absl::string_view text);

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_SEARCH_TEXT_H_
