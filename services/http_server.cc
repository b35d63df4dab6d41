#include "services/http_server.h"

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/dashboard_assets.h"
#include "spdlog/spdlog.h"
#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::services {
namespace {

constexpr char kSessionCookie[] = "tripdesk_session";
constexpr char kCsrfHeader[] = "X-CSRF-Token";
constexpr char kApiPrefix[] = "/api/v1/";
constexpr char kDownloadPrefix[] = "/api/download/";
// How long one API call may take before the gateway gives up on it.
constexpr absl::Duration kApiDeadline = absl::Seconds(30);

// gRPC's codes as HTTP statuses, as Google's APIs map them.
int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

std::string JsonString(absl::string_view s) {
  google::protobuf::Value value;
  value.set_string_value(std::string(s));
  return ToJson(value);
}

std::string ErrorJson(const absl::Status& status) {
  return absl::StrCat("{\"code\":", JsonString(absl::StatusCodeToString(status.code())),
                      ",\"message\":", JsonString(status.message()), "}");
}

void Fail(httplib::Response& res, const absl::Status& status) {
  res.status = HttpStatusOf(status.code());
  res.set_content(ErrorJson(status), "application/json");
}

// Pages and API answers are never cached, framed or sniffed; scripts come
// only from the server itself.
void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-store");
}

std::string CookieValue(const httplib::Request& req, absl::string_view name) {
  for (absl::string_view cookie : absl::StrSplit(req.get_header_value("Cookie"), ';')) {
    cookie = absl::StripAsciiWhitespace(cookie);
    if (absl::ConsumePrefix(&cookie, name) && absl::ConsumePrefix(&cookie, "=")) {
      return std::string(cookie);
    }
  }
  return "";
}

absl::StatusOr<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http_listen '", listen, "' is not host:port (e.g. 127.0.0.1:8080)"));
  }
  std::string host = listen.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) host = host.substr(1, host.size() - 2);
  return std::make_pair(host, port);
}

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

// Whether the browser says the request comes from a page of another site.
bool CrossSite(const httplib::Request& req) {
  const std::string origin = req.get_header_value("Origin");
  return req.get_header_value("Sec-Fetch-Site") == "cross-site" ||
         (!origin.empty() && !absl::EndsWith(origin, "//" + req.get_header_value("Host")));
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpOptions& options,
                                                              const SecurityOptions& security,
                                                              Backends backends) {
  absl::StatusOr<std::pair<std::string, int>> address = ParseListen(options.listen);
  if (!address.ok()) return address.status();
  const bool tls = !security.tls_cert_file.empty();
  if (!tls && !IsLoopback(options.listen) && !security.allow_plaintext_non_loopback) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve HTTP in plaintext on ", options.listen,
        ": bearer tokens and personal data would cross the network unencrypted; pass "
        "--tls_cert_file and --tls_key_file, listen on loopback (--http_listen=127.0.0.1:8080), "
        "or set --allow_plaintext_non_loopback behind a TLS-terminating proxy"));
  }
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->options_ = options;
  server->backends_ = std::move(backends);
  server->tls_ = tls;
  if (tls) {
    for (const std::string& file : {security.tls_cert_file, security.tls_key_file}) {
      if (!Readable(file)) {
        return absl::InvalidArgumentError(absl::StrCat("cannot read TLS file '", file, "'"));
      }
    }
    auto https = std::make_unique<httplib::SSLServer>(
        security.tls_cert_file.c_str(), security.tls_key_file.c_str(),
        security.tls_client_ca_file.empty() ? nullptr : security.tls_client_ca_file.c_str());
    if (!https->is_valid()) {
      return absl::InvalidArgumentError(
          "the TLS certificate or key cannot be used for HTTPS (see --tls_cert_file, "
          "--tls_key_file)");
    }
    server->http_ = std::move(https);
  } else {
    server->http_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *server->http_;
  // httplib gives a connection a thread for its whole life: a live page
  // holds one for its stream and one for the keep-alive connection its
  // reads come on.
  const size_t threads = options.threads + 2 * options.max_live_pages;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(static_cast<size_t>(security.max_message_bytes));
  http.set_keep_alive_timeout(5);
  http.set_keep_alive_max_count(1000);  // a live page reads every second
  http.set_read_timeout(10, 0);
  server->Route();
  server->port_ = address->second == 0 ? http.bind_to_any_port(address->first)
                                        : (http.bind_to_port(address->first, address->second)
                                               ? address->second
                                               : -1);
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for HTTP on '", options.listen, "': the address is malformed or in use"));
  }
  HttpServer* raw = server.get();
  server->listener_ = std::thread([raw] { raw->http_->listen_after_bind(); });
  // httplib's stop() is a no-op until its loop runs: a Stop right after
  // Start would otherwise wait for ever.
  for (int i = 0; i < 5000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  stopping_ = true;
  if (http_ != nullptr) http_->stop();
  if (listener_.joinable()) listener_.join();
}

void HttpServer::Route() {
  RouteOperator();
  RouteDashboard();
  RouteSessions();
  RouteApi();
  RouteLive();
  // Every answer: the security headers, and counted by route.
  ServerMetrics* metrics = backends_.metrics;
  http_->set_post_routing_handler([metrics](const httplib::Request& req, httplib::Response& res) {
    SecurityHeaders(res);
    if (metrics == nullptr) return;
    absl::string_view route = req.path;
    if (absl::StartsWith(route, "/api/")) {
      route = absl::StartsWith(route, kApiPrefix) ? "/api/v1" : route.substr(0, route.find('/', 5));
    } else if (route != "/metrics" && route != "/healthz" && route != "/readyz") {
      route = "/dashboard";
    }
    metrics->HttpServed(route, res.status);
  });
}

void HttpServer::RouteOperator() {
  httplib::Server& http = *http_;
  ServerMetrics* metrics = backends_.metrics;
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const absl::Status ready = backends_.ready ? backends_.ready() : absl::OkStatus();
    res.status = ready.ok() ? 200 : 503;
    res.set_content(ready.ok() ? std::string("ready\n") : absl::StrCat(ready.message(), "\n"),
                    "text/plain");
  });
  http.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Scrape(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

void HttpServer::RouteDashboard() {
  httplib::Server& http = *http_;
  // The dashboard: one page, its script and styles.
  http.Get(R"(/(|index\.html|assets/[a-z0-9_.\-]+))", [](const httplib::Request& req,
                                                         httplib::Response& res) {
    const DashboardAsset* asset = FindDashboardAsset(req.path == "/" ? "/index.html" : req.path);
    if (asset == nullptr) {
      res.status = 404;
      return;
    }
    res.set_content(asset->content.data(), asset->content.size(), asset->content_type);
  });
}

void HttpServer::RouteSessions() {
  httplib::Server& http = *http_;
  http.Post("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    // Another site may not sign a browser in (as someone else).
    if (CrossSite(req)) {
      Fail(res, absl::PermissionDeniedError("cross-site sign-in refused: sign in on the dashboard"));
      return;
    }
    google::protobuf::Struct body;
    if (!google::protobuf::util::JsonStringToMessage(req.body, &body).ok() ||
        !body.fields().contains("token") || body.fields().at("token").string_value().empty()) {
      Fail(res, absl::InvalidArgumentError("sign in with {\"token\": \"<bearer token>\"}"));
      return;
    }
    const std::string token = body.fields().at("token").string_value();
    // The token is checked by a call any role may make, with the same
    // per-address limit on failures as every other call.
    JsonCall check{"tripdesk.v1.ClockService/GetTime", "", token, req.remote_addr,
                   absl::Now() + kApiDeadline};
    absl::Status admitted = backends_.gateway->Invoke(check, [](const auto&) { return true; });
    absl::StatusOr<JwtClaims> claims =
        admitted.ok() ? backends_.auth->Claims(token) : absl::StatusOr<JwtClaims>(admitted);
    if (!claims.ok()) {
      Fail(res, claims.status());
      return;
    }
    WebSession session{token, RandomHexToken(), claims->subject, claims->roles,
                       std::min(claims->expires, absl::Now() + options_.session_lifetime)};
    const std::string csrf = session.csrf;
    const absl::Time expires = session.expires;
    const std::string id = sessions_.Create(std::move(session));
    res.set_header("Set-Cookie",
                   absl::StrCat(kSessionCookie, "=", id, "; Path=/; HttpOnly; SameSite=Strict",
                                tls_ ? "; Secure" : "", "; Max-Age=",
                                absl::ToInt64Seconds(expires - absl::Now())));
    res.set_content(absl::StrCat("{\"subject\":", JsonString(claims->subject), ",\"roles\":[",
                                 absl::StrJoin(claims->roles, ",",
                                               [](std::string* out, const std::string& r) {
                                                 out->append(JsonString(r));
                                               }),
                                 "],\"csrfToken\":", JsonString(csrf), ",\"expires\":",
                                 JsonString(absl::FormatTime(absl::RFC3339_sec, expires,
                                                             absl::UTCTimeZone())),
                                 "}"),
                    "application/json");
  });
  http.Get("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<WebSession> session = sessions_.Find(CookieValue(req, kSessionCookie), absl::Now());
    if (!session.has_value()) {
      Fail(res, absl::UnauthenticatedError("not signed in"));
      return;
    }
    res.set_content(absl::StrCat("{\"subject\":", JsonString(session->subject), ",\"roles\":[",
                                 absl::StrJoin(session->roles, ",",
                                               [](std::string* out, const std::string& r) {
                                                 out->append(JsonString(r));
                                               }),
                                 "],\"csrfToken\":", JsonString(session->csrf), "}"),
                    "application/json");
  });
  http.Delete("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<Caller> caller = CallerOf(req, /*changes_state=*/true);
    if (!caller.ok()) {
      Fail(res, caller.status());
      return;
    }
    sessions_.End(caller->session);
    res.set_header("Set-Cookie", absl::StrCat(kSessionCookie, "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    res.set_content("{}", "application/json");
  });
}

void HttpServer::RouteApi() {
  httplib::Server& http = *http_;
  // Any RPC; every one is a POST, as each may change state as far as the
  // CSRF check is concerned.
  http.Post(R"(/api/v1/(tripdesk\.v1\.[A-Za-z]+/[A-Za-z]+))",
            [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<NamedCall> named = NamedCallOf(req, res);
    if (!named.has_value()) return;
    const JsonCall& call = named->call;
    if (!named->method->server_streaming()) {
      std::string json;
      absl::Status status = backends_.gateway->Invoke(call, [&json](const auto& reply) {
        json = ToJson(reply);
        return true;
      });
      if (!status.ok()) {
        Fail(res, status);
      } else {
        res.set_content(json, "application/json");
      }
      return;
    }
    // A stream: one JSON message a line. Its HTTP status waits for the
    // first message, so a refusal is a 4xx; a failure after it ends the
    // stream with {"error": ...}.
    absl::StatusOr<std::unique_ptr<JsonGateway::Stream>> started = backends_.gateway->Start(call);
    if (!started.ok()) {
      Fail(res, started.status());
      return;
    }
    std::shared_ptr<JsonGateway::Stream> stream = *std::move(started);
    const google::protobuf::Message* first = stream->Next();
    if (first == nullptr) {
      if (absl::Status status = stream->Finish(); !status.ok()) {
        Fail(res, status);
      } else {
        res.set_content("", "application/x-ndjson");
      }
      return;
    }
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [stream, line = ToJson(*first) + "\n"](size_t, httplib::DataSink& sink) mutable {
          bool open = sink.write(line.data(), line.size());
          while (open) {
            const google::protobuf::Message* next = stream->Next();
            if (next == nullptr) break;
            line = ToJson(*next) + "\n";
            open = sink.write(line.data(), line.size());
          }
          if (absl::Status status = stream->Finish(); open && !status.ok()) {
            line = absl::StrCat("{\"error\":", ErrorJson(status), "}\n");
            sink.write(line.data(), line.size());
          }
          sink.done();
          return true;
        });
  });

  // An export's bytes (ExportChunk streams) as a file to save.
  http.Post(R"(/api/download/(tripdesk\.v1\.[A-Za-z]+/[A-Za-z]+))",
            [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<NamedCall> named = NamedCallOf(req, res);
    if (!named.has_value()) return;
    if (named->method->output_type() != v1::ExportChunk::descriptor()) {
      Fail(res, absl::InvalidArgumentError(absl::StrCat(named->call.method, " is not an export")));
      return;
    }
    std::string file;
    absl::Status status = backends_.gateway->Invoke(named->call, [&file](const auto& chunk) {
      file += static_cast<const v1::ExportChunk&>(chunk).data();
      return true;
    });
    if (!status.ok()) {
      Fail(res, status);
      return;
    }
    // CSV files start with their header row; the rest are JSON lines.
    const bool csv = !absl::StartsWith(file, "{");
    const std::string name = absl::AsciiStrToLower(absl::StripPrefix(named->method->name(), "Export"));
    res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"", name,
                                                       csv ? ".csv" : ".jsonl", "\""));
    res.set_content(file, csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
  });
}

void HttpServer::RouteLive() {
  httplib::Server& http = *http_;
  // Live pages: the cases the log changes, as server-sent events.
  http.Get("/api/live", [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<Caller> caller = CallerOf(req, /*changes_state=*/false);
    if (!caller.ok()) {
      Fail(res, caller.status());
      return;
    }
    if (live_pages_.fetch_add(1) >= options_.max_live_pages) {
      live_pages_.fetch_sub(1);
      Fail(res, absl::UnavailableError(absl::StrCat(
                    options_.max_live_pages,
                    " live pages are open (--http_max_live_pages): close one or refresh by hand")));
      return;
    }
    v1::WatchCasesRequest watch;
    watch.set_case_id(req.get_param_value("case_id"));
    JsonCall call{"tripdesk.v1.CaseService/WatchCases", ToJson(watch), caller->token,
                  req.remote_addr, absl::InfiniteFuture()};
    // The watch's first (empty) batch says it was admitted: a refusal is
    // still an HTTP error, not an event.
    absl::StatusOr<std::unique_ptr<JsonGateway::Stream>> started = backends_.gateway->Start(call);
    std::shared_ptr<JsonGateway::Stream> stream;
    if (started.ok()) stream = *std::move(started);
    if (stream == nullptr || stream->Next() == nullptr) {
      live_pages_.fetch_sub(1);
      absl::Status refused = stream == nullptr ? started.status() : stream->Finish();
      Fail(res, refused.ok() ? absl::UnavailableError("the watch ended at once; retry") : refused);
      return;
    }
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, stream](size_t, httplib::DataSink& sink) {
          const std::string hello = "retry: 2000\n: live\n\n";
          bool open = sink.write(hello.data(), hello.size());
          while (open && !stopping_) {
            const google::protobuf::Message* next = stream->Next();
            if (next == nullptr) break;
            const auto& batch = static_cast<const v1::CaseChanges&>(*next);
            const std::string event = absl::StrCat("id: ", batch.position(),
                                                   "\nevent: changes\ndata: ", ToJson(batch), "\n\n");
            open = sink.write(event.data(), event.size());
          }
          if (absl::Status status = stream->Finish();
              open && !status.ok() && status.code() != absl::StatusCode::kCancelled) {
            const std::string event = absl::StrCat("event: failed\ndata: ", ErrorJson(status), "\n\n");
            sink.write(event.data(), event.size());
          }
          sink.done();
          return true;
        },
        [this](bool) { live_pages_.fetch_sub(1); });
  });
}

absl::StatusOr<HttpServer::Caller> HttpServer::CallerOf(const httplib::Request& req,
                                                       bool changes_state) {
  const std::string authorization = req.get_header_value("Authorization");
  if (!authorization.empty()) {
    absl::string_view token = authorization;
    if (!absl::ConsumePrefix(&token, "Bearer ") && !absl::ConsumePrefix(&token, "bearer ")) {
      return absl::UnauthenticatedError("the Authorization header must be 'Bearer <token>'");
    }
    return Caller{std::string(token), ""};
  }
  const std::string id = CookieValue(req, kSessionCookie);
  if (id.empty()) {
    return absl::UnauthenticatedError(
        "not signed in: sign in on the dashboard, or send 'Authorization: Bearer <token>'");
  }
  std::optional<WebSession> session = sessions_.Find(id, absl::Now());
  if (!session.has_value()) {
    return absl::UnauthenticatedError("the session has ended or expired: sign in again");
  }
  // A page of another site can make the browser send the cookie, but it
  // can neither read the CSRF token nor set this header.
  if (changes_state && (CrossSite(req) || !ConstantTimeEquals(req.get_header_value(kCsrfHeader),
                                                          session->csrf))) {
    return absl::PermissionDeniedError(
        "cross-site request refused: a signed-in page sends its X-CSRF-Token header (sign in "
        "again if this page is old)");
  }
  return Caller{session->token, id};
}

std::optional<HttpServer::NamedCall> HttpServer::NamedCallOf(const httplib::Request& req,
                                                          httplib::Response& res) {
  absl::StatusOr<Caller> caller = CallerOf(req, /*changes_state=*/true);
  if (!caller.ok()) {
    Fail(res, caller.status());
    return std::nullopt;
  }
  const std::string method = req.matches[1];
  absl::StatusOr<const google::protobuf::MethodDescriptor*> found = JsonGateway::Find(method);
  if (!found.ok()) {
    Fail(res, found.status());
    return std::nullopt;
  }
  return NamedCall{{method, req.body, caller->token, req.remote_addr, absl::Now() + kApiDeadline},
                   *found};
}

}  // namespace tripdesk::services
