// A Merkle tree over the log, hashed as RFC 9162 (Certificate Transparency
// v2) hashes it: leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖
// right), a tree of n leaves split at the largest power of two below n.
// Leaf i is the record at position i + 1; its data is the record's chain
// hash (record_hash.h), which commits to every field of the record.
//
// The writer keeps the tree's right edge (a Frontier) and stores every
// perfect subtree's root as it completes, so a root, an inclusion proof or a
// consistency proof costs O(log n) reads of stored nodes, never a scan.
#ifndef TRIPDESK_EVENTSTORE_MERKLE_TREE_H_
#define TRIPDESK_EVENTSTORE_MERKLE_TREE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tripdesk::eventstore::merkle {

std::string LeafHash(absl::string_view data);
std::string NodeHash(absl::string_view left, absl::string_view right);
// The root of the empty tree: SHA-256 of nothing.
const std::string& EmptyRoot();

// The roots of stored perfect subtrees: level L, index i covers leaves
// [i·2^L, (i+1)·2^L). NOT_FOUND or DATA_LOSS when one is missing.
using NodeReader = std::function<absl::StatusOr<std::string>(int level, uint64_t index)>;

// The right edge of a tree: one perfect subtree root per set bit of its size.
class Frontier {
 public:
  uint64_t size() const { return size_; }

  // Adds the next leaf; `completed(level, index, hash)` is called for every
  // perfect subtree it completes, the leaf itself (level 0) first.
  void Append(const std::string& leaf_hash,
              const std::function<void(int, uint64_t, const std::string&)>& completed);

  std::string Root() const;

  // The frontier of a tree of `size` leaves, from its stored nodes.
  static absl::StatusOr<Frontier> Load(uint64_t size, const NodeReader& nodes);

 private:
  uint64_t size_ = 0;
  std::vector<std::string> levels_;  // levels_[L] set when bit L of size_ is
};

// The root of leaves [begin, end) of a tree whose perfect subtrees are
// stored (the RFC's MTH of D[begin:end]).
absl::StatusOr<std::string> SubtreeRoot(const NodeReader& nodes, uint64_t begin, uint64_t end);

// The roots of leaves [i·chunk, min((i + 1)·chunk, size)) for every i, in
// order (`chunk` a power of two): what an auditor keeps beside a head to
// name the first leaf a rewritten log changed, and what folds back into
// the tree's root (RFC 9162's split falls on chunk boundaries).
absl::StatusOr<std::vector<std::string>> ChunkRoots(const NodeReader& nodes, uint64_t size,
                                                    uint64_t chunk);

// RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of `size`.
absl::StatusOr<std::vector<std::string>> InclusionProof(const NodeReader& nodes, uint64_t index,
                                                        uint64_t size);

// RFC 9162 2.1.4.1: the proof that the tree of `new_size` extends the tree
// of `old_size`.
absl::StatusOr<std::vector<std::string>> ConsistencyProof(const NodeReader& nodes,
                                                          uint64_t old_size, uint64_t new_size);

}  // namespace tripdesk::eventstore::merkle

#endif  // TRIPDESK_EVENTSTORE_MERKLE_TREE_H_
