#include "gateway/platform_routes.hpp"

#include <initializer_list>

namespace bulwark::gateway {
namespace {

using nlohmann::json;

RequestError invalid_field(const std::string& field, std::string message) {
  RequestError error;
  error.message = std::move(message);
  error.details = {{"field", field}};
  return error;
}

std::optional<RequestError> check_known(const json& body, std::initializer_list<const char*> known) {
  for (const auto& [name, value] : body.items()) {
    bool listed = false;
    for (const char* field : known) listed = listed || name == field;
    if (!listed) return invalid_field(name, "unknown field '" + name + "' in the body");
  }
  return std::nullopt;
}

std::optional<std::string> string_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::uint64_t> unsigned_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

}  // namespace

Parsed<domain::Command> parse_lease_request(const std::string& job, const json& body) {
  if (auto unknown = check_known(body, {"op", "owner", "token", "ttl_ms"})) return *unknown;
  auto op = string_field(body, "op");
  auto owner = string_field(body, "owner");
  if (!owner) return invalid_field("owner", "owner is required and must be a string");
  auto token = unsigned_field(body, "token");
  auto ttl_ms = unsigned_field(body, "ttl_ms");

  if (op == "acquire" || op == "renew") {
    if (!ttl_ms) return invalid_field("ttl_ms", "ttl_ms is required: a positive integer");
    auto ttl = static_cast<std::int64_t>(std::min<std::uint64_t>(*ttl_ms, INT64_MAX));
    if (op == "acquire") return domain::Command{domain::LeaseCommand{domain::AcquireLease{job, *owner, ttl}}};
    if (!token) return invalid_field("token", "token is required: the fencing token you hold");
    return domain::Command{domain::LeaseCommand{domain::RenewLease{job, *owner, *token, ttl}}};
  }
  if (op == "release") {
    if (!token) return invalid_field("token", "token is required: the fencing token you hold");
    return domain::Command{domain::LeaseCommand{domain::ReleaseLease{job, *owner, *token}}};
  }
  return invalid_field("op", "op must be acquire, renew or release");
}

Parsed<domain::Command> parse_retention_request(const std::string& tenant, const json& body) {
  if (auto unknown = check_known(body, {"job", "owner", "token", "first_retained_seq"})) {
    return *unknown;
  }
  auto job = string_field(body, "job");
  auto owner = string_field(body, "owner");
  auto token = unsigned_field(body, "token");
  auto first_retained = unsigned_field(body, "first_retained_seq");
  if (!job) return invalid_field("job", "job is required and must be a string");
  if (!owner) return invalid_field("owner", "owner is required and must be a string");
  if (!token) return invalid_field("token", "token is required: the fencing token you hold");
  if (!first_retained) {
    return invalid_field("first_retained_seq",
                         "first_retained_seq is required: the lowest seq to keep");
  }
  domain::RetentionApplied record{*job, *owner, *token, tenant, 0, *first_retained, 0};
  return domain::Command{domain::LeaseCommand{domain::RecordRetention{record}}};
}

}  // namespace bulwark::gateway
