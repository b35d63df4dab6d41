#include "services/web_sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/escaping.h"

namespace tripdesk::services {

std::string RandomHexToken() {
  unsigned char bytes[32];
  // Without randomness a session id could be guessed: better to stop.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string WebSessions::Create(WebSession session) {
  std::string id = RandomHexToken();
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = absl::Now();
  absl::erase_if(sessions_, [&](const auto& entry) { return entry.second.expires < now; });
  if (sessions_.size() >= max_sessions_) {
    auto first = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    sessions_.erase(first);
  }
  sessions_.emplace(id, std::move(session));
  return id;
}

std::optional<WebSession> WebSessions::Find(absl::string_view id, absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.expires < now) return std::nullopt;
  return it->second;
}

void WebSessions::End(absl::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

}  // namespace tripdesk::services
