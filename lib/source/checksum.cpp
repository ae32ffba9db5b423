#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "dbsafe/error.hpp"
#include "dbsafe/source.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

struct Digest {
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
};

// Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its
// provider registry (under a lock) on every digest, which cost more than
// hashing a short text (every finding's fingerprint is one).
const EVP_MD *sha256_md() {
  static const EVP_MD *md = [] {
    const EVP_MD *fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : EVP_sha256();
  }();
  return md;
}

Digest sha256(std::string_view data) {
  Digest d;
  if (EVP_Digest(data.data(), data.size(), d.bytes, &d.size, sha256_md(), nullptr) != 1)
    throw Error(ErrorCode::Internal, "OpenSSL could not compute a SHA-256 digest");
  return d;
}

std::string hex(const Digest &d, bool zero_padded) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size * 2);
  for (unsigned i = 0; i < d.size; ++i) {
    unsigned char b = d.bytes[i];
    // Early Prisma versions printed each byte with {:x}, dropping the
    // leading zero of bytes below 0x10; such checksums still exist.
    if (zero_padded || b >= 0x10) out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  std::size_t pos = 0;
  while (true) {
    auto hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

bool digest_matches(std::string_view script, std::string_view stored) {
  auto d = sha256(script);
  constexpr std::size_t kPaddedLength = 64;
  bool padded = stored.size() == kPaddedLength || stored.empty();
  return hex(d, padded) == stored;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  return hex(sha256(data), true);
}

bool checksum_matches(std::string_view script, std::string_view stored_checksum) {
  if (digest_matches(script, stored_checksum)) return true;
  // Git may have changed line endings since the checksum was recorded.
  if (script.find("\r\n") != std::string_view::npos &&
      digest_matches(replace_all(script, "\r\n", "\n"), stored_checksum))
    return true;
  return script.find('\n') != std::string_view::npos &&
         digest_matches(replace_all(script, "\n", "\r\n"), stored_checksum);
}

}  // namespace v1
}  // namespace dbsafe
