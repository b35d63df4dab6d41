#include "services/tree_heads.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <google/protobuf/text_format.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/proofcheck/proofcheck.h"
#include "workflows/validation.h"

namespace tripdesk::services {

struct TreeHeadSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

std::string PublicPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Written whole or not at all: a temporary file, fsync'd, renamed.
absl::Status WriteDurably(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

std::string Hex(const std::string& bytes) { return proofcheck::Hex(bytes); }

}  // namespace

TreeHeadSigner::~TreeHeadSigner() = default;

absl::StatusOr<std::unique_ptr<TreeHeadSigner>> TreeHeadSigner::Load(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("log signing key '", path, "' cannot be read"));
  }
  EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (pkey == nullptr || EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return absl::FailedPreconditionError(absl::StrCat(
        "log signing key '", path,
        "' is not an Ed25519 private key in PEM (make one with: openssl genpkey -algorithm "
        "ed25519 -out ",
        path, ")"));
  }
  std::unique_ptr<TreeHeadSigner> signer(new TreeHeadSigner());
  signer->key_ = std::make_unique<Key>();
  signer->key_->pkey = pkey;
  signer->public_key_pem_ = PublicPem(pkey);
  signer->key_id_ = proofcheck::KeyId(signer->public_key_pem_);
  return signer;
}

absl::StatusOr<std::unique_ptr<TreeHeadSigner>> TreeHeadSigner::LoadOrCreate(
    const std::string& path) {
  if (!std::filesystem::exists(path)) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    EVP_PKEY* pkey = nullptr;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &pkey) != 1) {
      return absl::InternalError("cannot generate an Ed25519 key (OpenSSL)");
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr);
    EVP_PKEY_free(pkey);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (absl::Status s = WriteDurably(path, std::string(data, static_cast<size_t>(len)), 0600);
        !s.ok()) {
      return s;
    }
  }
  return Load(path);
}

v1::SignedTreeHead TreeHeadSigner::Sign(uint64_t tree_size, const std::string& root,
                                        absl::Time at) const {
  v1::SignedTreeHead head;
  head.set_tree_size(tree_size);
  head.set_root_hash(root);
  *head.mutable_timestamp() = workflows::ToProto(at);
  head.set_key_id(key_id_);
  const std::string message = proofcheck::TreeHeadBytes(head);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t len = 64;
  std::string signature(len, '\0');
  EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey);
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                 reinterpret_cast<const unsigned char*>(message.data()), message.size());
  signature.resize(len);
  head.set_signature(std::move(signature));
  return head;
}

TreeHeads::TreeHeads(eventstore::EventStore* store, std::unique_ptr<TreeHeadSigner> signer,
                     std::string head_file)
    : store_(store), signer_(std::move(signer)), head_file_(std::move(head_file)) {}

TreeHeads::~TreeHeads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (periodic_.joinable()) periodic_.join();
}

absl::Status TreeHeads::CheckAtStartUp() {
  std::ifstream in(head_file_);
  if (!in) return absl::OkStatus();  // no head signed yet
  std::stringstream text;
  text << in.rdbuf();
  v1::SignedTreeHead kept;
  const std::string fix = absl::StrCat(
      "; if the log was restored on purpose, move ", head_file_,
      " aside and start again (auditors' kept heads still show the difference), otherwise "
      "restore the log from a backup and run tripdesk audit verify");
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &kept)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the kept tree head ", head_file_, " does not parse", fix));
  }
  if (kept.key_id() != signer_->key_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the kept tree head ", head_file_, " was signed by key ", kept.key_id().substr(0, 16),
        ", not by this server's key ", signer_->key_id().substr(0, 16),
        ": if the key was rotated on purpose, move ", head_file_,
        " aside and start again (docs/audit.md, Rotating the key); otherwise start with the key "
        "that signed it"));
  }
  if (std::string why = proofcheck::CheckTreeHeadSignature(kept, signer_->public_key_pem());
      !why.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the kept tree head ", head_file_, ": ", why, fix));
  }
  if (kept.tree_size() > store_->LastPosition()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the log has %d records but its signed head %s covers %d: records were removed%s",
        store_->LastPosition(), head_file_, kept.tree_size(), fix));
  }
  absl::StatusOr<std::string> root = store_->TreeRoot(kept.tree_size());
  if (!root.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the log's tree at the signed size cannot be read: ", root.status().message(), fix));
  }
  if (*root != kept.root_hash()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the log's first %d records no longer have the root %s signed in %s (now %s): the log "
        "was changed%s",
        kept.tree_size(), Hex(kept.root_hash()), head_file_, Hex(*root), fix));
  }
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = kept;
  return absl::OkStatus();
}

absl::Status TreeHeads::Keep(const v1::SignedTreeHead& head) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(head, &text);
  return WriteDurably(head_file_, text, 0644);
}

absl::StatusOr<v1::SignedTreeHead> TreeHeads::SignNow() {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t size = store_->LastPosition();
  if (latest_.has_value() && latest_->tree_size() == size) return *latest_;
  absl::StatusOr<std::string> root = store_->TreeRoot(size);
  if (!root.ok()) return root.status();
  v1::SignedTreeHead head = signer_->Sign(size, *root, absl::Now());
  if (absl::Status s = Keep(head); !s.ok()) return s;
  latest_ = head;
  return head;
}

absl::StatusOr<v1::SignedTreeHead> TreeHeads::Latest() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (latest_.has_value()) return *latest_;
  }
  return SignNow();
}

void TreeHeads::Start(absl::Duration interval) {
  periodic_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(interval), [&] { return stopping_; })) {
      lock.unlock();
      (void)SignNow();  // a failure is retried at the next interval
      lock.lock();
    }
  });
}

std::string DevelopmentSigningKeyPath(const std::string& data_dir) {
  std::filesystem::path dir(data_dir);
  if (dir.filename().empty()) dir = dir.parent_path();
  return (dir.parent_path() / (dir.filename().string() + "-signing") / "log-ed25519.pem").string();
}

}  // namespace tripdesk::services
