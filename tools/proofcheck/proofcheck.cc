#include "tools/proofcheck/proofcheck.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace tripdesk::proofcheck {
namespace {

std::string Sha256(const std::string& input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

void AppendU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendField(std::string& out, const std::string& field) {
  AppendU64(out, field.size());
  out += field;
}

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Key ReadPublicKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  Key key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr, &EVP_PKEY_free);
  if (key && EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) key.reset();
  return key;
}

}  // namespace

std::string LeafHash(const std::string& data) { return Sha256(std::string(1, '\x00') + data); }

std::string NodeHash(const std::string& left, const std::string& right) {
  return Sha256(std::string(1, '\x01') + left + right);
}

uint64_t ChunkSizeFor(uint64_t size) {
  uint64_t chunk = 1;
  while ((size + chunk - 1) / chunk > kMaxChunkRoots) chunk <<= 1;
  return chunk;
}

namespace {

std::string FoldChunks(const std::vector<std::string>& roots, size_t begin, size_t end) {
  if (end - begin == 1) return roots[begin];
  size_t k = 1;
  while (k << 1 < end - begin) k <<= 1;  // the largest power of two below the count
  return NodeHash(FoldChunks(roots, begin, begin + k), FoldChunks(roots, begin + k, end));
}

}  // namespace

std::string RootFromChunks(const std::vector<std::string>& roots) {
  if (roots.empty()) return Sha256("");
  return FoldChunks(roots, 0, roots.size());
}

bool VerifyInclusion(uint64_t index, uint64_t size, const std::string& leaf_hash,
                     const std::vector<std::string>& proof, const std::string& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  std::string r = leaf_hash;
  for (const std::string& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::string& old_root,
                       const std::string& new_root, const std::vector<std::string>& proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();  // the empty tree is a prefix of every tree
  if (proof.empty()) return false;
  std::vector<std::string> path = proof;
  // A power-of-two old tree is a node of the new one: the proof leaves it out.
  if ((old_size & (old_size - 1)) == 0) path.insert(path.begin(), old_root);
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0];
  std::string sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

std::string RecordHash(const std::string& previous_hash, const v1::RecordEnvelope& record) {
  std::string input = "tripdesk-record-v1";
  AppendField(input, previous_hash);
  AppendU64(input, record.partition());
  AppendU64(input, record.position());
  AppendField(input, record.stream());
  AppendU64(input, record.revision());
  AppendField(input, record.event_type());
  AppendField(input, record.payload());
  AppendU64(input, static_cast<uint64_t>(record.recorded_at().seconds()));
  AppendU64(input, static_cast<uint64_t>(record.recorded_at().nanos()));
  AppendField(input, record.actor_id());
  AppendField(input, record.actor_role());
  AppendField(input, record.command_id());
  AppendField(input, record.correlation_id());
  return Sha256(input);
}

std::string TreeHeadBytes(const v1::SignedTreeHead& head) {
  std::string out = "tripdesk-tree-head-v1\n";
  AppendU64(out, head.tree_size());
  const int64_t micros =
      head.timestamp().seconds() * 1000000 + head.timestamp().nanos() / 1000;
  AppendU64(out, static_cast<uint64_t>(micros));
  out += head.root_hash();
  return out;
}

std::string KeyId(const std::string& public_key_pem) {
  Key key = ReadPublicKey(public_key_pem);
  if (!key) return "";
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) return "";
  const std::string id = Hex(Sha256(std::string(reinterpret_cast<char*>(der), len)));
  OPENSSL_free(der);
  return id;
}

std::string CheckTreeHeadSignature(const v1::SignedTreeHead& head,
                                   const std::string& public_key_pem) {
  Key key = ReadPublicKey(public_key_pem);
  if (!key) return "the log's public key is not an Ed25519 public key in PEM";
  if (!head.key_id().empty() && head.key_id() != KeyId(public_key_pem)) {
    return "the head names key " + head.key_id() + ", not the log's key " + KeyId(public_key_pem);
  }
  if (head.root_hash().size() != 32) return "the head's root hash is not 32 bytes";
  const std::string message = TreeHeadBytes(head);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return "the signature cannot be checked (OpenSSL)";
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(head.signature().data()),
      head.signature().size(), reinterpret_cast<const unsigned char*>(message.data()),
      message.size());
  return ok == 1 ? "" : "the signature does not verify with the log's public key";
}

std::string CheckCaseBundle(const v1::CaseProofBundle& bundle, const std::string& public_key_pem,
                            int& checked) {
  const v1::SignedTreeHead& head = bundle.head().head();
  const std::string& key = public_key_pem.empty() ? bundle.head().public_key_pem() : public_key_pem;
  if (std::string why = CheckTreeHeadSignature(head, key); !why.empty()) return "the head: " + why;
  std::string previous(32, '\0');
  uint64_t revision = 0;
  for (const v1::InclusionProof& proof : bundle.records()) {
    const v1::RecordEnvelope& r = proof.record();
    const std::string where = "position " + std::to_string(r.position()) + " (" + r.stream() +
                              " revision " + std::to_string(r.revision()) + ")";
    if (r.revision() != revision) {
      return where + ": expected revision " + std::to_string(revision) + " of the case";
    }
    const std::string hash = RecordHash(previous, r);
    if (hash != r.hash()) return where + ": its fields do not give its chain hash";
    if (proof.tree_size() != head.tree_size() || proof.leaf_index() + 1 != r.position() ||
        !VerifyInclusion(proof.leaf_index(), head.tree_size(), LeafHash(hash),
                         std::vector<std::string>(proof.hashes().begin(), proof.hashes().end()),
                         head.root_hash())) {
      return where + " is not in the signed tree of " + std::to_string(head.tree_size()) + " records";
    }
    previous = hash;
    ++revision;
    ++checked;
  }
  return "";
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace tripdesk::proofcheck
