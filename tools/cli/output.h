// How the tripdesk CLI prints: aligned tables for people, JSON (protobuf's
// JSON mapping) for scripts, and errors as "CODE: message" on stderr.
#ifndef TRIPDESK_TOOLS_CLI_OUTPUT_H_
#define TRIPDESK_TOOLS_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>

namespace tripdesk::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// One message as a single JSON line.
std::string ToJsonLine(const google::protobuf::Message& message);

// Prints `status` to stderr and returns the process exit code (0 when OK).
int Fail(const grpc::Status& status);

std::string HexPrefix(const std::string& bytes, size_t chars);

}  // namespace tripdesk::cli

#endif  // TRIPDESK_TOOLS_CLI_OUTPUT_H_
