#pragma once
// Byte format of a snapshot value, as drawn in persistence/journal.hpp. The checksum covers the
// seq and chain head as well as the body, so a flipped byte anywhere in the value is found.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "persistence/event_codec.hpp"
#include "persistence/result.hpp"

namespace bulwark::persistence {

inline constexpr std::uint8_t snapshot_format_version = 1;
inline constexpr std::size_t snapshot_header_bytes = 73;

struct Snapshot;

// Encodes a snapshot. Returns invalid_argument when chain_head is not 32 bytes or the state does
// not serialize (invalid UTF-8 makes nlohmann::json::dump throw).
[[nodiscard]] Result<std::string> encode_snapshot(std::uint64_t seq, const ChainHash& chain_head,
                                                  const nlohmann::json& state);

// Decodes and verifies a snapshot value. Returns corruption, instead of throwing, on a short value,
// an unknown format version, a checksum mismatch or a body that is not JSON.
[[nodiscard]] Result<Snapshot> decode_snapshot(std::string_view value);

}  // namespace bulwark::persistence
