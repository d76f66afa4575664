#pragma once
// Byte format of one journaled event, its key, and the SHA-256 hash chain over stored values.
//
// Key in the `events` column family (tenant ids never contain NUL, so the separator is
// unambiguous, and the big-endian seq makes byte order equal numeric order within a tenant):
//
//   +----------------------+------+----------------------+
//   | tenant id (n bytes)  | 0x00 | seq, u64 big-endian  |
//   +----------------------+------+----------------------+
//
// Value (all integers big-endian):
//
//   offset  size  field
//   0       1     format version, currently 1
//   1       2     event type id (domain::EventType, hand-assigned, never reused)
//   3       2     schema version of the data (domain::event_schema_version when written)
//   5       8     seq (u64), equal to the seq in the key
//   13      8     ts, unix milliseconds (i64, two's complement)
//   21      32    prev_hash: SHA-256 of the previous stored value of the same tenant,
//                 or 32 zero bytes (genesis) for seq 1
//   53      4     principal length P (u32)
//   57      4     causation id length C (u32)
//   61      4     data length D (u32)
//   65      P     principal, UTF-8
//   65+P    C     causation id, UTF-8
//   65+P+C  D     data: compact JSON from domain::event_data_to_json
//
// The value ends exactly after the data, so trailing bytes make it invalid. The hash of an event is
// SHA-256 over its whole stored value, so changing any byte, including prev_hash, breaks the chain
// at the next event.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/events.hpp"
#include "persistence/result.hpp"

namespace bulwark::persistence {

// 32 raw bytes of SHA-256. Kept as std::string because it crosses actor messages unchanged.
using ChainHash = std::string;

inline constexpr std::size_t chain_hash_bytes = 32;
inline constexpr std::uint8_t event_format_version = 1;
inline constexpr std::size_t event_header_bytes = 65;

// The prev_hash of a tenant's first event: 32 zero bytes.
[[nodiscard]] const ChainHash& genesis_hash();

[[nodiscard]] ChainHash sha256(std::string_view bytes);

// Lowercase hex, for logs and error messages.
[[nodiscard]] std::string to_hex(std::string_view bytes);

// Encodes the key of event `seq` of `tenant`. The tenant must not contain NUL.
[[nodiscard]] std::string encode_event_key(std::string_view tenant, std::uint64_t seq);

struct EventKey {
  std::string tenant;
  std::uint64_t seq = 0;
};

// Returns corruption when the key has no separator or the seq is not exactly 8 bytes.
[[nodiscard]] Result<EventKey> decode_event_key(std::string_view key);

// Encodes one event. `prev_hash` must be 32 bytes. Returns invalid_argument when prev_hash has the
// wrong size, a field is longer than 4 GiB, or the data does not serialize (invalid UTF-8 in a
// string field makes nlohmann::json::dump throw).
[[nodiscard]] Result<std::string> encode_event(const domain::Event& event,
                                               const ChainHash& prev_hash);

struct DecodedEvent {
  domain::Event event;
  ChainHash prev_hash;
  std::uint16_t schema_version = 0;
};

// Decodes one stored value. Returns corruption, instead of throwing, on a truncated or oversized
// value, an unknown format version, an unknown event type id, a schema version newer than this
// build, or data that does not parse for its type.
[[nodiscard]] Result<DecodedEvent> decode_event(std::string_view value);

}  // namespace bulwark::persistence
