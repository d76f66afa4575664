#pragma once
// Strict translation of request bodies, paths and query strings into domain commands and backend
// queries. Malformed JSON, unknown fields, wrong types, amounts outside 1..10^15 and ids outside
// their character set become a RequestError naming the field. The domain's own validate() runs
// afterwards and checks the semantic ranges.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/commands.hpp"
#include "gateway/backend.hpp"

namespace bulwark::gateway {

struct RequestError {
  unsigned status = 400;
  std::string code = "invalid_request";
  std::string message;
  nlohmann::json details = nlohmann::json::object();
};

template <class T>
using Parsed = std::variant<T, RequestError>;

using QueryParams = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t events_page_limit_max = 1000;
inline constexpr std::size_t events_page_limit_default = 100;

// Splits "a=1&b=x%20y" into decoded pairs. Rejects duplicate names and bad percent escapes.
[[nodiscard]] Parsed<QueryParams> parse_query_string(std::string_view query);
// Reads a journal sequence number: decimal digits only, no sign, at most 2^64 - 1.
[[nodiscard]] std::optional<std::uint64_t> parse_sequence_number(const std::string& text);

// Parses a request body that must be a JSON object. An empty body becomes {} unless `required`.
[[nodiscard]] Parsed<nlohmann::json> parse_body_object(std::string_view body, bool required);

// Returns a 403 tenant_mismatch error when a top-level "tenant" or "tenant_id" field of the body
// (or query parameter of that name) names a tenant other than `tenant`.
[[nodiscard]] std::optional<RequestError> check_tenant_fields(const nlohmann::json& body,
                                                              const std::string& tenant);
[[nodiscard]] std::optional<RequestError> check_tenant_params(const QueryParams& params,
                                                              const std::string& tenant);
// Applies check_tenant_fields to the body of a read. Reads take no input from their body, so a
// body that is empty or not a JSON object is ignored rather than rejected.
[[nodiscard]] std::optional<RequestError> check_read_body_tenant(std::string_view body,
                                                                 const std::string& tenant);

// Lowercase hex SHA-256 of payload.dump(): nlohmann's compact form with keys sorted, so the same
// object always hashes the same whatever key order the client sent.
[[nodiscard]] std::string payload_sha256(const nlohmann::json& payload);
// Lowercase hex SHA-256 of raw bytes, such as a webhook body exactly as delivered.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

[[nodiscard]] Parsed<domain::Command> parse_set_budget(const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_reserve(const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_commit(const std::string& reservation_id,
                                                   const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_release(const std::string& reservation_id,
                                                    const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_set_safe_mode(const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_propose_action(const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_approve_action(const std::string& action_id,
                                                           const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_reject_action(const std::string& action_id,
                                                          const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_execute_action(const std::string& action_id,
                                                           const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_set_guardrail(const std::string& guardrail_id,
                                                          const nlohmann::json& body);

// Query strings of the read routes. Unknown parameters are rejected like unknown body fields.
[[nodiscard]] Parsed<Query> parse_tenant_query(const QueryParams& params);
[[nodiscard]] Parsed<Query> parse_actions_query(const QueryParams& params);
[[nodiscard]] Parsed<Query> parse_guardrails_query(const QueryParams& params);
[[nodiscard]] Parsed<Query> parse_events_query(const QueryParams& params);

}  // namespace bulwark::gateway
