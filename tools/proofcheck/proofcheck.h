// The auditor's own checks, written apart from the server's code and
// depending on nothing but OpenSSL and the protos, so an auditor can read
// (and audit) all of it: a signed tree head against the log's public key,
// RFC 9162 inclusion and consistency proofs, and a record's chain hash and
// leaf recomputed from its fields.
#ifndef TRIPDESK_TOOLS_PROOFCHECK_PROOFCHECK_H_
#define TRIPDESK_TOOLS_PROOFCHECK_PROOFCHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/log.pb.h"

namespace tripdesk::proofcheck {

// SHA-256(0x00 ‖ data) and SHA-256(0x01 ‖ left ‖ right), RFC 9162 2.1.1.
std::string LeafHash(const std::string& data);
std::string NodeHash(const std::string& left, const std::string& right);

// RFC 9162 2.1.3.2: whether `proof` places `leaf_hash` at `index` in the
// tree of `size` whose root is `root`.
bool VerifyInclusion(uint64_t index, uint64_t size, const std::string& leaf_hash,
                     const std::vector<std::string>& proof, const std::string& root);

// RFC 9162 2.1.4.2: whether `proof` shows the tree of `new_size` (root
// `new_root`) extends the tree of `old_size` (root `old_root`).
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::string& old_root,
                       const std::string& new_root, const std::vector<std::string>& proof);

// The most chunk roots a kept head holds (GetTreeChunkRoots answers no
// more), and the chunk size that keeps a tree of `size` leaves within it:
// 1 up to 65,536 leaves, then the smallest power of two that fits.
inline constexpr uint64_t kMaxChunkRoots = 65536;
uint64_t ChunkSizeFor(uint64_t size);

// The root of a tree from its chunk roots in order: RFC 9162's split of
// the leaves falls on chunk boundaries, so the chunks fold as leaves do.
// The empty tree's root for no chunks.
std::string RootFromChunks(const std::vector<std::string>& roots);

// The record's chain hash from its fields and its stream's previous hash
// (32 zero bytes for a stream's first record), "tripdesk-record-v1".
std::string RecordHash(const std::string& previous_hash, const v1::RecordEnvelope& record);

// The bytes a tree head's signature covers: "tripdesk-tree-head-v1\n", the
// tree size and the time in Unix microseconds (8-byte big-endian each), the
// root hash.
std::string TreeHeadBytes(const v1::SignedTreeHead& head);

// The key id of a public key: hex SHA-256 of its DER SubjectPublicKeyInfo.
// Empty when `public_key_pem` is not an Ed25519 public key.
std::string KeyId(const std::string& public_key_pem);

// Empty when `head` is signed by the Ed25519 key `public_key_pem`, else why not.
std::string CheckTreeHeadSignature(const v1::SignedTreeHead& head,
                                   const std::string& public_key_pem);

std::string Hex(const std::string& bytes);

// A case's records against a signed head, offline: the head's signature with
// `public_key_pem` (the auditor's kept key, or the bundle's own when empty),
// each record's chain hash from its fields and its predecessor, and each
// leaf's inclusion proof. Empty when all hold, else the first failure,
// naming its position; `checked` counts the records that held.
std::string CheckCaseBundle(const v1::CaseProofBundle& bundle, const std::string& public_key_pem,
                            int& checked);

}  // namespace tripdesk::proofcheck

#endif  // TRIPDESK_TOOLS_PROOFCHECK_PROOFCHECK_H_
