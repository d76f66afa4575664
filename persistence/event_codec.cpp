#include "persistence/event_codec.hpp"

#include <openssl/sha.h>

#include <exception>
#include <limits>

#include "domain/hex.hpp"
#include "persistence/byte_order.hpp"

namespace bulwark::persistence {
namespace {

constexpr std::size_t field_length_max = std::numeric_limits<std::uint32_t>::max();

Error corrupt(std::string message) { return Error{ErrorKind::corruption, std::move(message)}; }

}  // namespace

const ChainHash& genesis_hash() {
  static const ChainHash genesis(chain_hash_bytes, '\0');
  return genesis;
}

ChainHash sha256(std::string_view bytes) {
  ChainHash digest(chain_hash_bytes, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

std::string to_hex(std::string_view bytes) { return domain::to_hex(bytes); }

std::string encode_event_key(std::string_view tenant, std::uint64_t seq) {
  std::string key;
  key.reserve(tenant.size() + 1 + 8);
  key.append(tenant);
  key.push_back('\0');
  put_u64(key, seq);
  return key;
}

Result<EventKey> decode_event_key(std::string_view key) {
  auto separator = key.find('\0');
  if (separator == std::string_view::npos || key.size() - separator - 1 != 8) {
    return corrupt("invalid event key " + to_hex(key) + ": expected tenant, NUL and an 8-byte seq");
  }
  return EventKey{std::string(key.substr(0, separator)), get_u64(key.data() + separator + 1)};
}

Result<std::string> encode_event(const domain::Event& event, const ChainHash& prev_hash) {
  if (prev_hash.size() != chain_hash_bytes) {
    return Error{ErrorKind::invalid_argument, "prev_hash of seq " + std::to_string(event.seq) +
                                                  " has " + std::to_string(prev_hash.size()) +
                                                  " bytes, expected 32"};
  }

  std::string data;
  try {
    data = domain::event_data_to_json(event.data).dump();
  } catch (const std::exception& e) {
    return Error{ErrorKind::invalid_argument,
                 "data of seq " + std::to_string(event.seq) + " does not serialize: " + e.what()};
  }
  if (event.principal.size() > field_length_max || event.causation_id.size() > field_length_max ||
      data.size() > field_length_max) {
    return Error{ErrorKind::invalid_argument,
                 "a field of seq " + std::to_string(event.seq) + " is longer than 4 GiB"};
  }

  std::string value;
  value.reserve(event_header_bytes + event.principal.size() + event.causation_id.size() +
                data.size());
  value.push_back(static_cast<char>(event_format_version));
  put_u16(value, static_cast<std::uint16_t>(domain::type_of(event.data)));
  put_u16(value, domain::event_schema_version);
  put_u64(value, event.seq);
  put_u64(value, static_cast<std::uint64_t>(domain::to_unix_ms(event.ts)));
  value.append(prev_hash);
  put_u32(value, static_cast<std::uint32_t>(event.principal.size()));
  put_u32(value, static_cast<std::uint32_t>(event.causation_id.size()));
  put_u32(value, static_cast<std::uint32_t>(data.size()));
  value.append(event.principal);
  value.append(event.causation_id);
  value.append(data);
  return value;
}

Result<DecodedEvent> decode_event(std::string_view value) {
  if (value.size() < event_header_bytes) {
    return corrupt("event value is truncated: " + std::to_string(value.size()) +
                   " bytes, shorter than the 65-byte header");
  }
  const char* bytes = value.data();

  auto format_version = static_cast<std::uint8_t>(bytes[0]);
  if (format_version != event_format_version) {
    return corrupt("unknown event format version " + std::to_string(format_version));
  }
  std::uint16_t type_id = get_u16(bytes + 1);
  std::uint16_t schema_version = get_u16(bytes + 3);
  std::uint64_t seq = get_u64(bytes + 5);
  auto ts_ms = static_cast<std::int64_t>(get_u64(bytes + 13));
  std::string_view prev_hash = value.substr(21, chain_hash_bytes);
  std::uint64_t principal_size = get_u32(bytes + 53);
  std::uint64_t causation_size = get_u32(bytes + 57);
  std::uint64_t data_size = get_u32(bytes + 61);
  const std::string at_seq = " at seq " + std::to_string(seq);

  auto type = domain::event_type_from_id(type_id);
  if (!type) return corrupt("unknown event type id " + std::to_string(type_id) + at_seq);
  if (schema_version > domain::event_schema_version) {
    return corrupt("event schema version " + std::to_string(schema_version) + at_seq +
                   " is newer than this build supports (" +
                   std::to_string(domain::event_schema_version) + ")");
  }
  // The three lengths are at most 2^32 each, so their sum cannot overflow 64 bits.
  std::uint64_t expected_size = event_header_bytes + principal_size + causation_size + data_size;
  if (expected_size != value.size()) {
    return corrupt("event value" + at_seq + " has " + std::to_string(value.size()) +
                   " bytes but its header describes " + std::to_string(expected_size));
  }

  DecodedEvent decoded;
  decoded.schema_version = schema_version;
  decoded.prev_hash = ChainHash(prev_hash);
  decoded.event.seq = seq;
  decoded.event.ts = domain::from_unix_ms(ts_ms);
  std::size_t offset = event_header_bytes;
  decoded.event.principal = std::string(value.substr(offset, principal_size));
  offset += principal_size;
  decoded.event.causation_id = std::string(value.substr(offset, causation_size));
  offset += causation_size;
  try {
    auto data = nlohmann::json::parse(value.substr(offset, data_size));
    decoded.event.data = domain::event_data_from_json(*type, data);
  } catch (const std::exception& e) {
    return corrupt(std::string("data of ") + domain::type_name(*type) + at_seq +
                   " does not decode: " + e.what());
  }
  return decoded;
}

}  // namespace bulwark::persistence
