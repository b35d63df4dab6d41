// WebSessions: the dashboard's sign-ins. A browser posts its bearer token
// once; the server keeps it in memory under a random session id sent back
// as an HttpOnly, SameSite=Strict cookie, so the token is never in a URL,
// in the page's storage or in the browser's history. Each session has its
// own random CSRF token, which every state-changing request must echo in a
// header: a page of another site can make the browser send the cookie but
// cannot read the CSRF token.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_WEB_SESSIONS_H_
#define TRIPDESK_SERVICES_WEB_SESSIONS_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tripdesk::services {

struct WebSession {
  std::string token;  // the bearer token calls are made with
  std::string csrf;
  std::string subject;
  std::vector<std::string> roles;
  absl::Time expires;
};

class WebSessions {
 public:
  // Sessions kept at most; past it the one expiring first is dropped.
  explicit WebSessions(size_t max_sessions = 10000) : max_sessions_(max_sessions) {}

  // A new session; its id (256 random bits, hex).
  std::string Create(WebSession session);
  // The session under `id` if it has not expired.
  std::optional<WebSession> Find(absl::string_view id, absl::Time now) const;
  void End(absl::string_view id);

 private:
  const size_t max_sessions_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, WebSession> sessions_;  // guarded by mu_
};

// 32 random bytes from OpenSSL's generator, as 64 hex digits.
std::string RandomHexToken();
// Compares in time independent of where the strings differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_WEB_SESSIONS_H_
