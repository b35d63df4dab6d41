#include "projections/search_text.h"

#include "absl/strings/ascii.h"

namespace tripdesk::projections {
namespace {

// U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A) folded
// to lower-case ASCII: generated from Unicode's NFKD decompositions, with
// the letters that have none (ß, æ, ø, ł, ...) spelled as people type them.
constexpr const char* kFolded[] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",
    "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",
    "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c",
    "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",
    "o", "u", "u", "u", "u", "y", "th", "y",
    "a", "a", "a", "a", "a", "a", "c", "c",
    "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e", "e", "e", "e", "e", "e",
    "e", "e", "e", "e", "g", "g", "g", "g",
    "g", "g", "g", "g", "h", "h", "h", "h",
    "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k",
    "k", "l", "l", "l", "l", "l", "l", "l",
    "l", "l", "l", "n", "n", "n", "n", "n",
    "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r",
    "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t", "t", "t", "t", "t", "t",
    "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u", "u", "w", "w", "y", "y",
    "y", "z", "z", "z", "z", "z", "z", "s",
};
constexpr uint32_t kFirst = 0xC0;
constexpr uint32_t kLast = kFirst + sizeof(kFolded) / sizeof(kFolded[0]) - 1;

}  // namespace

std::string FoldForSearch(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out.push_back(absl::ascii_tolower(c));
      ++i;
      continue;
    }
    // A two-byte UTF-8 sequence in the folded range; anything else is kept.
    if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      const uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      if (cp >= kFirst && cp <= kLast) {
        out += kFolded[cp - kFirst];
        i += 2;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
    ++i;
  }
  return out;
}

std::vector<std::string> SearchWords(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : FoldForSearch(text)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(ch)) || static_cast<unsigned char>(ch) >= 0x80) {
      word.push_back(ch);
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace tripdesk::projections
