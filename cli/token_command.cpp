#include <chrono>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/durations.hpp"
#include "gateway/token.hpp"

namespace bulwark::cli {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value > 1'000'000'000) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value <= 0) return std::nullopt;
  switch (text.back()) {
    case 's': return std::chrono::seconds(value);
    case 'm': return std::chrono::minutes(value);
    case 'h': return std::chrono::hours(value);
    case 'd': return std::chrono::hours(24 * value);
    default: return std::nullopt;
  }
}

Runner add_token_command(CLI::App& app) {
  struct Args {
    std::string secret_file;
    std::string tenant;
    std::string principal;
    std::string role;
    std::string ttl = "1h";
  };
  auto args = std::make_shared<Args>();
  app.add_option("--secret-file", args->secret_file, "File with the node's HMAC secret")
      ->required();
  app.add_option("--tenant", args->tenant, "Tenant id (not for the platform role)");
  app.add_option("--principal", args->principal, "Principal id, the token's subject")->required();
  app.add_option("--role", args->role, "viewer, operator, approver, admin or platform")
      ->required();
  app.add_option("--ttl", args->ttl, "Lifetime: 30s, 15m, 1h or 7d")->capture_default_str();

  return [args] {
    auto role = gateway::role_from_string(args->role);
    if (!role) {
      std::cerr << "invalid --role '" << args->role
                << "': use viewer, operator, approver, admin or platform\n";
      return 2;
    }
    if (*role != gateway::Role::platform && args->tenant.empty()) {
      std::cerr << "missing --tenant: every role except platform needs one\n";
      return 2;
    }
    auto ttl = parse_duration(args->ttl);
    if (!ttl) {
      std::cerr << "invalid --ttl '" << args->ttl << "': use a number with s, m, h or d\n";
      return 2;
    }
    std::string key;
    try {
      key = gateway::read_secret_file(args->secret_file);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    gateway::TokenClaims claims{args->principal, args->tenant, *role, now, now + ttl->count()};
    std::cout << gateway::sign_token(claims, key) << "\n";
    return 0;
  };
}

}  // namespace bulwark::cli
