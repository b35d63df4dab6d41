// Signed tree heads: the log's Merkle root at a size and a time, signed with
// the log's Ed25519 key (OpenSSL), at an interval and on demand. The key
// lives outside the data directory; so does the file holding the latest
// head, which the server checks the log against at start-up: a log
// rewritten or cut behind its back no longer yields the root it signed.
#ifndef TRIPDESK_SERVICES_TREE_HEADS_H_
#define TRIPDESK_SERVICES_TREE_HEADS_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "tripdesk/v1/audit.pb.h"

namespace tripdesk::services {

class TreeHeadSigner {
 public:
  // The Ed25519 private key (PEM, PKCS#8) at `path`.
  static absl::StatusOr<std::unique_ptr<TreeHeadSigner>> Load(const std::string& path);
  // As Load, creating a new key there first (mode 0600) when none exists.
  static absl::StatusOr<std::unique_ptr<TreeHeadSigner>> LoadOrCreate(const std::string& path);
  ~TreeHeadSigner();

  v1::SignedTreeHead Sign(uint64_t tree_size, const std::string& root, absl::Time at) const;
  const std::string& public_key_pem() const { return public_key_pem_; }
  const std::string& key_id() const { return key_id_; }

 private:
  struct Key;
  TreeHeadSigner() = default;
  std::unique_ptr<Key> key_;
  std::string public_key_pem_;
  std::string key_id_;
};

class TreeHeads {
 public:
  // `head_file`: where the latest signed head is kept (text format).
  TreeHeads(eventstore::EventStore* store, std::unique_ptr<TreeHeadSigner> signer,
            std::string head_file);
  ~TreeHeads();

  // The log against the head in `head_file`, if any: signed by this key,
  // no longer than the log, and the same root at its size. FAILED_PRECONDITION
  // naming the first difference and what to do otherwise.
  absl::Status CheckAtStartUp();

  // Signs the log as it is now and keeps the head.
  absl::StatusOr<v1::SignedTreeHead> SignNow();
  // The latest signed head (signing one if there is none yet).
  absl::StatusOr<v1::SignedTreeHead> Latest();

  // Signs every `interval` while the log grows, until destroyed.
  void Start(absl::Duration interval);

  const TreeHeadSigner& signer() const { return *signer_; }

 private:
  absl::Status Keep(const v1::SignedTreeHead& head);

  eventstore::EventStore* store_;
  std::unique_ptr<TreeHeadSigner> signer_;
  const std::string head_file_;
  std::mutex mu_;
  std::optional<v1::SignedTreeHead> latest_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread periodic_;
};

// Where the development signing key goes when none is given: beside the
// data directory, not in it ("./data" -> "./data-signing/log-ed25519.pem").
std::string DevelopmentSigningKeyPath(const std::string& data_dir);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_TREE_HEADS_H_
