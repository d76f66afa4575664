#pragma once
// Big-endian integer encoding for keys and values, so that stored bytes sort and read the same on
// every host. Internal to persistence/.
#include <cstdint>
#include <string>

namespace bulwark::persistence {

inline void put_u16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

inline void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

inline void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

inline std::uint64_t get_big_endian(const char* bytes, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

inline std::uint16_t get_u16(const char* bytes) {
  return static_cast<std::uint16_t>(get_big_endian(bytes, 2));
}
inline std::uint32_t get_u32(const char* bytes) {
  return static_cast<std::uint32_t>(get_big_endian(bytes, 4));
}
inline std::uint64_t get_u64(const char* bytes) { return get_big_endian(bytes, 8); }

}  // namespace bulwark::persistence
