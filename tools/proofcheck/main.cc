// tripdesk-proofcheck: checks a case proof bundle (tripdesk audit bundle)
// offline, with nothing but OpenSSL and the protos, so an auditor can read
// all the code they rely on. Exit 0: every record is in the signed log;
// 3: a check failed (what and where on stdout); 2: usage.
//
// Usage: tripdesk-proofcheck BUNDLE [PUBLIC_KEY_PEM]
//   PUBLIC_KEY_PEM: the key the auditor kept (default: the bundle's own).
#include <fstream>
#include <iostream>
#include <sstream>

#include <google/protobuf/text_format.h>

#include "tools/proofcheck/proofcheck.h"

namespace {

bool ReadFile(const char* path, std::string& out) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  out = text.str();
  return static_cast<bool>(in);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: tripdesk-proofcheck BUNDLE [PUBLIC_KEY_PEM]\n";
    return 2;
  }
  std::string text;
  tripdesk::v1::CaseProofBundle bundle;
  if (!ReadFile(argv[1], text) || !google::protobuf::TextFormat::ParseFromString(text, &bundle)) {
    std::cerr << argv[1] << " is not a case proof bundle (tripdesk audit bundle writes one)\n";
    return 2;
  }
  std::string key;
  if (argc == 3 && !ReadFile(argv[2], key)) {
    std::cerr << "cannot read " << argv[2] << "\n";
    return 2;
  }
  int checked = 0;
  const std::string why = tripdesk::proofcheck::CheckCaseBundle(bundle, key, checked);
  if (!why.empty()) {
    std::cout << "FAILED: case " << bundle.case_id() << ": " << why << "\n";
    return 3;
  }
  std::cout << "OK: case " << bundle.case_id() << ": " << checked
            << " records, each chain hash recomputed and proven in the signed tree of "
            << bundle.head().head().tree_size() << " records (key "
            << bundle.head().head().key_id().substr(0, 16) << ")\n";
  return 0;
}
