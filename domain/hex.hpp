#pragma once
// Lowercase hexadecimal of raw bytes, for digests, ids and log lines.
#include <string>
#include <string_view>

namespace bulwark::domain {

[[nodiscard]] inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    hex.push_back(digits[byte >> 4]);
    hex.push_back(digits[byte & 0x0f]);
  }
  return hex;
}

}  // namespace bulwark::domain
