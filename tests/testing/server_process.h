// Runs the real tripdeskd binary on a free loopback port with its own data
// directory, for integration tests.
#ifndef TRIPDESK_TESTS_TESTING_SERVER_PROCESS_H_
#define TRIPDESK_TESTS_TESTING_SERVER_PROCESS_H_

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iterator>

#include "absl/time/clock.h"
#include "services/jwt.h"
#include "tripdesk/v1/log.grpc.pb.h"

namespace tripdesk::testing {

// A port the kernel just handed out on 127.0.0.1 and that is free now.
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class ServerProcess {
 public:
  ServerProcess(std::string data_dir, std::vector<std::string> extra_flags = {})
      : port_(FreeLoopbackPort()), data_dir_(data_dir) {
    std::vector<std::string> args = {TRIPDESK_TRIPDESKD,
                                     "--data_dir=" + data_dir,
                                     "--listen=127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // A bearer token for `subject` acting as `role`, signed with the
  // development key the server made in its data directory.
  std::string Token(const std::string& subject, const std::string& role) const {
    std::ifstream in(data_dir_ + "/dev/jwt-hs256.key");
    const std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return services::SignHs256Jwt(secret, "tripdesk", "tripdesk", subject, {role}, absl::Now(),
                                  absl::Hours(1));
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
                 const std::string& role) const {
    context.AddMetadata("authorization", "Bearer " + Token(subject, role));
  }

  std::shared_ptr<grpc::Channel> Connect(
      std::chrono::seconds timeout = std::chrono::seconds(20),
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials(),
      const grpc::ChannelArguments& args = {}) const {
    auto channel = grpc::CreateCustomChannel(address(), credentials, args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + timeout)) {
      return nullptr;
    }
    return channel;
  }

  // Sends SIGTERM and returns the exit status as waitpid reports it.
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  // Waits for the process to end by itself; its waitpid status.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  int port_;
  std::string data_dir_;
  pid_t pid_ = -1;
};

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_SERVER_PROCESS_H_
