// How the tools (tripdesk, tripdesk-load) present themselves to tripdeskd:
// a bearer token and, with TLS, the CA to trust and a client certificate.
#ifndef TRIPDESK_TOOLS_CLIENT_CREDENTIALS_H_
#define TRIPDESK_TOOLS_CLIENT_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tripdesk::tools {

// The token: `token` if given, else $TRIPDESK_TOKEN, else the development
// token for `role` under `dev_dir` (written by tripdeskd on loopback).
absl::StatusOr<std::string> TokenFor(const std::string& token, const std::string& role,
                                     const std::string& dev_dir);

// A development token for `subject` with `roles`, signed with the key in
// `dev_dir` (load generation against a loopback server).
absl::StatusOr<std::string> MintDevToken(const std::string& dev_dir, const std::string& subject,
                                         const std::vector<std::string>& roles,
                                         const std::string& location = "");

struct TlsFiles {
  std::string ca_file;    // empty: plaintext
  std::string cert_file;  // client certificate (mTLS), with key_file
  std::string key_file;
  std::string server_name;  // overrides the name checked in the server's certificate
};

// A channel to `address`, TLS when `tls.ca_file` is set.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& address,
                                                           const TlsFiles& tls,
                                                           grpc::ChannelArguments args = {});

}  // namespace tripdesk::tools

#endif  // TRIPDESK_TOOLS_CLIENT_CREDENTIALS_H_
