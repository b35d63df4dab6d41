// Runs the real tripdeskd binary on a loopback port with its own data
// directory, for integration tests. The server binds port 0 itself and the
// test reads the port it got from its log, so parallel tests never race for
// a port picked in advance. Its output goes to <data_dir>.<n>.log, printed
// when the test fails.
#ifndef TRIPDESK_TESTS_TESTING_SERVER_PROCESS_H_
#define TRIPDESK_TESTS_TESTING_SERVER_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/jwt.h"
#include "tests/testing/reference.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk::testing {

// A waitpid status as words ("exited 0", "killed by signal 11"), so an
// assertion on it says what happened and a crash never reads as exit 0.
inline std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("waitpid status ", status);
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `command` through the shell; its output (stdout and stderr) and its
// exit described as DescribeExit does.
struct CommandResult {
  std::string exit;
  std::string output;
};
inline CommandResult RunCommand(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  CommandResult result;
  if (pipe == nullptr) return {"popen failed", ""};
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) result.output.append(buffer, n);
  result.exit = DescribeExit(pclose(pipe));
  return result;
}

// The port of "dashboard and /metrics on http://127.0.0.1:N/" in a log.
inline int HttpPortIn(const std::string& log) {
  const std::string kDashboard = "dashboard and /metrics on http";
  const size_t at = log.find(kDashboard);
  if (at == std::string::npos) return 0;
  const size_t end = log.find('/', log.find("://", at) + 3);
  const size_t colon = log.rfind(':', end);
  int port = 0;
  for (size_t i = colon + 1; i < end && absl::ascii_isdigit(log[i]); ++i) port = port * 10 + (log[i] - '0');
  return port;
}

class ServerProcess {
 public:
  // `env`: NAME=value pairs set for the server only (an LD_PRELOAD shim).
  ServerProcess(std::string data_dir, std::vector<std::string> extra_flags = {},
                std::vector<std::string> env = {})
      : data_dir_(data_dir), log_path_(absl::StrCat(data_dir, ".", NextRun(), ".log")) {
    std::vector<std::string> args = {TRIPDESK_TRIPDESKD, "--data_dir=" + data_dir,
                                     "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0"};
    // The shipped reference data without its service levels, unless the
    // test names its own: a workflow's records stay its own.
    if (std::none_of(extra_flags.begin(), extra_flags.end(), [](const std::string& f) {
          return f.rfind("--reference_data", 0) == 0;
        })) {
      args.push_back(ReferenceDataFlag(false));
    }
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    pid_ = fork();
    if (pid_ == 0) {
      const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
      if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        close(log);
      }
      for (std::string& e : env) putenv(e.data());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    // Until it says where it listens, or exits (a refused start).
    const std::string kServing = "serving on port ";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = Log();
      if (const size_t at = log.find(kServing); at != std::string::npos) {
        int port = 0;
        for (size_t i = at + kServing.size(); i < log.size() && absl::ascii_isdigit(log[i]); ++i) {
          port = port * 10 + (log[i] - '0');
        }
        if (port > 0) {
          port_ = port;
          http_port_ = HttpPortIn(log);
          return;
        }
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = status;
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (::testing::Test::HasFailure()) {
      std::cerr << "---- tripdeskd's log (" << log_path_ << ") ----\n" << Log() << "----\n";
    }
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // 0 when the server never said it was serving.
  int port() const { return port_; }
  // The dashboard's port; 0 without an HTTP listener.
  int http_port() const { return http_port_; }
  // What the server wrote to stdout and stderr so far.
  std::string Log() const { return ReadWholeFile(log_path_); }

  // A bearer token for `subject` acting as `role`, signed with the
  // development key the server made in its data directory.
  // `location`: the token's location claim (where the caller is logged in).
  std::string Token(const std::string& subject, const std::string& role,
                    absl::Duration lifetime = absl::Hours(1), const std::string& location = "") const {
    const std::string secret = ReadWholeFile(data_dir_ + "/dev/jwt-hs256.key");
    return services::SignHs256Jwt(secret, "tripdesk", "tripdesk", subject, {role}, absl::Now(),
                                  lifetime, location);
  }
  // The log's last position, read as an auditor over `channel`.
  uint64_t LastPosition(const std::shared_ptr<grpc::Channel>& channel) const {
    v1::ReadAllRequest request;
    request.set_limit(1);
    v1::ReadAllResponse response;
    grpc::ClientContext context;
    Authorize(context, "ann", "auditor");
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!v1::EventLog::NewStub(channel)->ReadAll(&context, request, &response).ok()) return ~0ull;
    return response.last_position();
  }

  // Sends the call as `subject` in `role`.
  void Authorize(grpc::ClientContext& context, const std::string& subject,
                 const std::string& role, const std::string& location = "") const {
    context.AddMetadata("authorization", "Bearer " + Token(subject, role, absl::Hours(1), location));
  }

  std::shared_ptr<grpc::Channel> Connect(
      std::chrono::seconds timeout = std::chrono::seconds(20),
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials(),
      const grpc::ChannelArguments& args = {}) const {
    if (port_ == 0) return nullptr;
    auto channel = grpc::CreateCustomChannel(address(), credentials, args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + timeout)) {
      return nullptr;
    }
    return channel;
  }

  // Sends SIGTERM and returns the exit status as waitpid reports it.
  int Terminate() {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, SIGTERM);
    return Wait();
  }

  // Waits for the process to end by itself; its waitpid status.
  int Wait() {
    if (pid_ > 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_status_ = status;
      pid_ = -1;
    }
    return exit_status_;
  }

 private:
  // Servers started by this test binary so far: each gets its own log.
  static int NextRun() {
    static std::atomic<int> runs{0};
    return ++runs;
  }

  std::string data_dir_;
  std::string log_path_;
  int port_ = 0;
  int http_port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_SERVER_PROCESS_H_
