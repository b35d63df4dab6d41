#include "eventstore/merkle_tree.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace tripdesk::eventstore::merkle {
namespace {

constexpr size_t kHashBytes = 32;

std::string Sha256(unsigned char prefix, absl::string_view a, absl::string_view b) {
  // One context per thread, reset per hash: the writer hashes twice per record.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), &prefix, 1);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  std::string out(kHashBytes, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

// The largest power of two strictly below n (n > 1).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

absl::Status OutOfRange(absl::string_view what, uint64_t a, uint64_t b) {
  return absl::OutOfRangeError(absl::StrFormat("%s: %d is not within a tree of %d", what, a, b));
}

// PATH(m, D[begin:end]) of RFC 9162 2.1.3.1.
absl::Status AppendPath(const NodeReader& nodes, uint64_t m, uint64_t begin, uint64_t end,
                        std::vector<std::string>& out) {
  const uint64_t n = end - begin;
  if (n <= 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(n);
  if (m < k) {
    if (absl::Status s = AppendPath(nodes, m, begin, begin + k, out); !s.ok()) return s;
    absl::StatusOr<std::string> right = SubtreeRoot(nodes, begin + k, end);
    if (!right.ok()) return right.status();
    out.push_back(*std::move(right));
  } else {
    if (absl::Status s = AppendPath(nodes, m - k, begin + k, end, out); !s.ok()) return s;
    absl::StatusOr<std::string> left = SubtreeRoot(nodes, begin, begin + k);
    if (!left.ok()) return left.status();
    out.push_back(*std::move(left));
  }
  return absl::OkStatus();
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 2.1.4.1.
absl::Status AppendSubproof(const NodeReader& nodes, uint64_t m, uint64_t begin, uint64_t end,
                            bool whole, std::vector<std::string>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (whole) return absl::OkStatus();
    absl::StatusOr<std::string> root = SubtreeRoot(nodes, begin, end);
    if (!root.ok()) return root.status();
    out.push_back(*std::move(root));
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    if (absl::Status s = AppendSubproof(nodes, m, begin, begin + k, whole, out); !s.ok()) return s;
    absl::StatusOr<std::string> right = SubtreeRoot(nodes, begin + k, end);
    if (!right.ok()) return right.status();
    out.push_back(*std::move(right));
  } else {
    if (absl::Status s = AppendSubproof(nodes, m - k, begin + k, end, false, out); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> left = SubtreeRoot(nodes, begin, begin + k);
    if (!left.ok()) return left.status();
    out.push_back(*std::move(left));
  }
  return absl::OkStatus();
}

}  // namespace

std::string LeafHash(absl::string_view data) { return Sha256(0x00, data, ""); }

std::string NodeHash(absl::string_view left, absl::string_view right) {
  return Sha256(0x01, left, right);
}

const std::string& EmptyRoot() {
  static const std::string* const kEmpty = [] {
    auto* out = new std::string(kHashBytes, '\0');
    unsigned int len = 0;
    EVP_Digest("", 0, reinterpret_cast<unsigned char*>(out->data()), &len, EVP_sha256(), nullptr);
    return out;
  }();
  return *kEmpty;
}

void Frontier::Append(const std::string& leaf_hash,
                      const std::function<void(int, uint64_t, const std::string&)>& completed) {
  const uint64_t index = size_;
  std::string carry = leaf_hash;
  completed(0, index, carry);
  int level = 0;
  while ((size_ >> level) & 1) {
    carry = NodeHash(levels_[level], carry);
    levels_[level].clear();
    ++level;
    completed(level, index >> level, carry);
  }
  if (levels_.size() <= static_cast<size_t>(level)) levels_.resize(level + 1);
  levels_[level] = std::move(carry);
  ++size_;
}

std::string Frontier::Root() const {
  if (size_ == 0) return EmptyRoot();
  std::string acc;
  for (size_t level = 0; level < levels_.size(); ++level) {
    if (((size_ >> level) & 1) == 0) continue;
    acc = acc.empty() ? levels_[level] : NodeHash(levels_[level], acc);
  }
  return acc;
}

absl::StatusOr<Frontier> Frontier::Load(uint64_t size, const NodeReader& nodes) {
  Frontier f;
  f.size_ = size;
  f.levels_.resize(64);
  uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    absl::StatusOr<std::string> node = nodes(level, start >> level);
    if (!node.ok()) return node.status();
    f.levels_[level] = *std::move(node);
    start += uint64_t{1} << level;
  }
  return f;
}

absl::StatusOr<std::string> SubtreeRoot(const NodeReader& nodes, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (std::has_single_bit(n) && begin % n == 0) {
    const int level = std::countr_zero(n);
    return nodes(level, begin >> level);
  }
  const uint64_t k = SplitPoint(n);
  absl::StatusOr<std::string> left = SubtreeRoot(nodes, begin, begin + k);
  if (!left.ok()) return left.status();
  absl::StatusOr<std::string> right = SubtreeRoot(nodes, begin + k, end);
  if (!right.ok()) return right.status();
  return NodeHash(*left, *right);
}

absl::StatusOr<std::vector<std::string>> ChunkRoots(const NodeReader& nodes, uint64_t size,
                                                    uint64_t chunk) {
  if (!std::has_single_bit(chunk)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("chunk_size: %d is not a power of two", chunk));
  }
  std::vector<std::string> roots;
  roots.reserve(size / chunk + 1);
  for (uint64_t begin = 0; begin < size; begin += chunk) {
    absl::StatusOr<std::string> root = SubtreeRoot(nodes, begin, std::min(begin + chunk, size));
    if (!root.ok()) return root.status();
    roots.push_back(*std::move(root));
  }
  return roots;
}

absl::StatusOr<std::vector<std::string>> InclusionProof(const NodeReader& nodes, uint64_t index,
                                                        uint64_t size) {
  if (index >= size) return OutOfRange("leaf index", index, size);
  std::vector<std::string> out;
  if (absl::Status s = AppendPath(nodes, index, 0, size, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<std::string>> ConsistencyProof(const NodeReader& nodes,
                                                          uint64_t old_size, uint64_t new_size) {
  if (old_size > new_size) return OutOfRange("old tree size", old_size, new_size);
  std::vector<std::string> out;
  if (old_size == 0 || old_size == new_size) return out;
  if (absl::Status s = AppendSubproof(nodes, old_size, 0, new_size, true, out); !s.ok()) return s;
  return out;
}

}  // namespace tripdesk::eventstore::merkle
