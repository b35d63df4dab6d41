// tripdeskd: the tripdesk case server.
#include <csignal>
#include <cstdlib>
#include <pthread.h>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include <fstream>
#include <iterator>

#include "services/embedded_reference.h"
#include "services/server.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, data_dir, "./data",
          "data directory: the event log in <dir>/log, the views in <dir>/views");
ABSL_FLAG(std::string, reference_data, "",
          "reference data files, comma-separated, read as one (text-format "
          "tripdesk.v1.ReferenceData); empty: the sample compiled in from "
          "deploy/reference.textproto and deploy/service_levels.textproto");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address, host:port");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "HTTP listen address for the dashboard, the JSON API, /metrics, /healthz and /readyz "
          "(TLS with --tls_cert_file, like gRPC); empty: no HTTP listener");
ABSL_FLAG(uint64_t, http_max_live_pages, 64,
          "dashboard pages with live updates open at once (each holds an HTTP thread)");
ABSL_FLAG(uint32_t, ready_max_view_lag_seconds, 5,
          "/readyz fails while the views are further behind the log than this");
ABSL_FLAG(uint32_t, partition, 0, "partition id of this node's log");
ABSL_FLAG(uint64_t, max_batch_events, 1024,
          "most events the writer commits in one synced batch");
ABSL_FLAG(uint64_t, max_queued_appends, 8192,
          "appends waiting for the writer before RESOURCE_EXHAUSTED");
ABSL_FLAG(uint64_t, head_cache_entries, 50000, "stream heads cached in memory");
ABSL_FLAG(uint64_t, block_cache_mb, 64, "RocksDB block cache, MiB");
ABSL_FLAG(uint64_t, write_buffer_mb, 32, "RocksDB write buffer per column family, MiB");
ABSL_FLAG(uint32_t, views_linger_ms, 10,
          "how long the views gather more of the log before applying it when no reader waits "
          "for a position (0: apply at once); longer costs less CPU per event under load");
ABSL_FLAG(uint64_t, drain_seconds, 10, "on SIGTERM, how long in-flight calls may finish");
ABSL_FLAG(bool, enable_raw_append, false,
          "accept EventLog.Append (tests only: bypasses the workflows)");
ABSL_FLAG(std::string, tls_cert_file, "", "TLS certificate chain (PEM); empty: plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "TLS private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "require client certificates signed by this CA (PEM): mutual TLS");
ABSL_FLAG(bool, allow_plaintext_non_loopback, false,
          "serve plaintext on a non-loopback address (logged as a warning)");
ABSL_FLAG(std::string, jwt_hs256_key_file, "", "HS256 secret for bearer tokens (>= 32 bytes)");
ABSL_FLAG(std::string, jwt_rs256_public_key_file, "", "RS256 public key for bearer tokens (PEM)");
ABSL_FLAG(std::string, jwt_issuer, "tripdesk", "the tokens' required iss");
ABSL_FLAG(std::string, jwt_audience, "tripdesk", "the tokens' required aud");
ABSL_FLAG(int64_t, jwt_clock_skew_seconds, 60, "leeway on exp and nbf");
ABSL_FLAG(double, rate_limit_per_second, 500,
          "calls a second per authenticated subject (bursts to twice that); 0: no limit");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20, "largest request or reply, bytes");
ABSL_FLAG(bool, enable_test_clock, false,
          "tests and demos, loopback only: a business clock an admin sets and advances through "
          "ClockService (tripdesk clock ...) instead of the system clock");
ABSL_FLAG(std::string, test_clock_start, "",
          "tests only, loopback only: decisions and records see time start at this RFC 3339 "
          "instant (and run at the real rate) instead of the system clock");
ABSL_FLAG(std::string, log_signing_key_file, "",
          "the log's Ed25519 signing key (PEM), outside the data directory; empty on loopback: "
          "a development key beside it (<data_dir>-signing/log-ed25519.pem)");
ABSL_FLAG(std::string, tree_head_file, "",
          "where the latest signed tree head is kept and checked at start-up (default: beside "
          "the signing key)");
ABSL_FLAG(int64_t, tree_head_interval_seconds, 60, "how often the log's tree head is signed");
ABSL_FLAG(double, unauthenticated_rate_limit_per_second, 20,
          "calls without a valid token a second per peer address (bursts to twice that); past "
          "it the address is refused before its token is read; 0: no limit");
ABSL_FLAG(double, denial_log_lines_per_second, 10,
          "refused calls written to the log a second (bursts to twice that); the rest are "
          "counted (tripdesk admin denials) but not logged");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("tripdeskd: the tripdesk case server");
  // Debian's abseil is built with its debug checks on: every absl::Mutex
  // lock (gRPC takes many per call) would update a lock graph to look for
  // deadlocks, ~2% of the CPU under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  auto log = spdlog::default_logger()->clone("tripdeskd");

  // Block the stop signals in every thread; main waits for them below. An
  // inherited SIG_IGN would discard them before sigwait sees them.
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  tripdesk::services::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.http.listen = absl::GetFlag(FLAGS_http_listen);
  options.http.max_live_pages = absl::GetFlag(FLAGS_http_max_live_pages);
  options.ready_max_view_lag = absl::Seconds(absl::GetFlag(FLAGS_ready_max_view_lag_seconds));
  const std::string reference_path = absl::GetFlag(FLAGS_reference_data);
  std::string reference_text = tripdesk::services::EmbeddedReferenceData();
  if (!reference_path.empty()) {
    // Several files read as one (the desk's facts, its service levels...).
    reference_text.clear();
    const std::vector<std::string> files = absl::StrSplit(reference_path, ',', absl::SkipEmpty());
    for (const std::string& file : files) {
      std::ifstream in(file);
      if (!in) {
        log->critical("cannot start: reference data file '{}' cannot be read", file);
        return EXIT_FAILURE;
      }
      reference_text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      reference_text += "\n";
    }
  }
  auto reference = tripdesk::workflows::ReferenceData::FromTextProto(reference_text);
  if (!reference.ok()) {
    log->critical("cannot start: {} ({})", std::string(reference.status().message()),
                  reference_path.empty() ? "embedded sample" : reference_path);
    return EXIT_FAILURE;
  }
  options.reference = *std::move(reference);
  options.store.partition = absl::GetFlag(FLAGS_partition);
  options.store.max_batch_events = absl::GetFlag(FLAGS_max_batch_events);
  options.store.max_queued_appends = absl::GetFlag(FLAGS_max_queued_appends);
  options.store.head_cache_entries = absl::GetFlag(FLAGS_head_cache_entries);
  options.store.block_cache_bytes = absl::GetFlag(FLAGS_block_cache_mb) << 20;
  options.store.write_buffer_bytes = absl::GetFlag(FLAGS_write_buffer_mb) << 20;
  options.views_linger = absl::Milliseconds(absl::GetFlag(FLAGS_views_linger_ms));
  options.event_log.enable_raw_append = absl::GetFlag(FLAGS_enable_raw_append);
  options.drain_timeout = absl::Seconds(absl::GetFlag(FLAGS_drain_seconds));
  options.log_signing_key_file = absl::GetFlag(FLAGS_log_signing_key_file);
  options.tree_head_file = absl::GetFlag(FLAGS_tree_head_file);
  options.tree_head_interval = absl::Seconds(absl::GetFlag(FLAGS_tree_head_interval_seconds));
  tripdesk::services::SecurityOptions& security = options.security;
  security.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  security.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  security.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  security.allow_plaintext_non_loopback = absl::GetFlag(FLAGS_allow_plaintext_non_loopback);
  security.jwt_hs256_key_file = absl::GetFlag(FLAGS_jwt_hs256_key_file);
  security.jwt_rs256_public_key_file = absl::GetFlag(FLAGS_jwt_rs256_public_key_file);
  security.jwt_issuer = absl::GetFlag(FLAGS_jwt_issuer);
  security.jwt_audience = absl::GetFlag(FLAGS_jwt_audience);
  security.jwt_clock_skew = absl::Seconds(absl::GetFlag(FLAGS_jwt_clock_skew_seconds));
  security.calls_per_second = absl::GetFlag(FLAGS_rate_limit_per_second);
  security.burst = 2 * security.calls_per_second;
  security.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  security.unauthenticated_per_second = absl::GetFlag(FLAGS_unauthenticated_rate_limit_per_second);
  security.denial_log_lines_per_second = absl::GetFlag(FLAGS_denial_log_lines_per_second);

  options.enable_test_clock = absl::GetFlag(FLAGS_enable_test_clock);
  if (const std::string start = absl::GetFlag(FLAGS_test_clock_start); !start.empty()) {
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, start, &at, &error)) {
      log->critical("cannot start: --test_clock_start '{}' is not an RFC 3339 time: {}", start, error);
      return EXIT_FAILURE;
    }
    options.test_clock_start = at;
    log->warn("test clock: decisions and records see time from {}", start);
  }
  auto server = tripdesk::services::TripdeskServer::Start(options);
  if (!server.ok()) {
    log->critical("cannot start: {}", server.status().ToString());
    return EXIT_FAILURE;
  }
  if ((*server)->http_port() > 0) {
    log->info("dashboard and /metrics on http{}://{}:{}/",
              security.tls_cert_file.empty() ? "" : "s",
              options.http.listen.substr(0, options.http.listen.rfind(':')), (*server)->http_port());
  }
  log->info("serving on port {} with data in {}{}{}", (*server)->port(), options.data_dir,
            security.tls_cert_file.empty() ? " (plaintext)" : " (TLS)",
            options.event_log.enable_raw_append ? " (raw appends enabled)" : "");

  int signal = 0;
  sigwait(&stop_signals, &signal);
  log->info("signal {} received: draining calls and closing the store", signal);
  (*server)->Shutdown();
  log->info("stopped cleanly");
  return EXIT_SUCCESS;
}
