#include "persistence/snapshot_codec.hpp"

#include <openssl/crypto.h>

#include <exception>

#include "persistence/byte_order.hpp"
#include "persistence/journal.hpp"

namespace bulwark::persistence {
namespace {

constexpr std::size_t checksum_offset = 41;

ChainHash compute_checksum(std::string_view header_before_checksum, std::string_view body) {
  std::string covered;
  covered.reserve(header_before_checksum.size() + body.size());
  covered.append(header_before_checksum);
  covered.append(body);
  return sha256(covered);
}

}  // namespace

Result<std::string> encode_snapshot(std::uint64_t seq, const ChainHash& chain_head,
                                    const nlohmann::json& state) {
  if (chain_head.size() != chain_hash_bytes) {
    return Error{
        ErrorKind::invalid_argument,
        "snapshot chain head has " + std::to_string(chain_head.size()) + " bytes, expected 32"};
  }
  std::string body;
  try {
    body = state.dump();
  } catch (const std::exception& e) {
    return Error{ErrorKind::invalid_argument,
                 std::string("snapshot state does not serialize: ") + e.what()};
  }

  std::string value;
  value.reserve(snapshot_header_bytes + body.size());
  value.push_back(static_cast<char>(snapshot_format_version));
  put_u64(value, seq);
  value.append(chain_head);
  value.append(compute_checksum(value, body));
  value.append(body);
  return value;
}

Result<Snapshot> decode_snapshot(std::string_view value) {
  if (value.size() < snapshot_header_bytes) {
    return Error{ErrorKind::corruption,
                 "snapshot value is truncated: " + std::to_string(value.size()) +
                     " bytes, shorter than the 73-byte header"};
  }
  auto format_version = static_cast<std::uint8_t>(value[0]);
  if (format_version != snapshot_format_version) {
    return Error{ErrorKind::corruption,
                 "unknown snapshot format version " + std::to_string(format_version)};
  }
  std::string_view body = value.substr(snapshot_header_bytes);
  ChainHash expected = compute_checksum(value.substr(0, checksum_offset), body);
  if (CRYPTO_memcmp(expected.data(), value.data() + checksum_offset, chain_hash_bytes) != 0) {
    return Error{ErrorKind::corruption, "snapshot checksum mismatch"};
  }

  Snapshot snapshot;
  snapshot.seq = get_u64(value.data() + 1);
  snapshot.chain_head = ChainHash(value.substr(9, chain_hash_bytes));
  try {
    snapshot.state = nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    return Error{ErrorKind::corruption, std::string("snapshot body is not JSON: ") + e.what()};
  }
  return snapshot;
}

}  // namespace bulwark::persistence
