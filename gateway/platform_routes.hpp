#pragma once
// Platform routes for job leases and fenced retention work. Both reach the reserved system tenant,
// so operators and external job runners share the fencing tokens of the node's own jobs:
//   POST /v1/platform/leases/{job}     {"op": "acquire"|"renew"|"release", "owner", "token",
//                                       "ttl_ms"}
//   POST /v1/platform/retention/{tenant} {"job", "owner", "token", "first_retained_seq"}
#include <nlohmann/json.hpp>
#include <string>

#include "domain/commands.hpp"
#include "gateway/request_parsing.hpp"

namespace bulwark::gateway {

[[nodiscard]] Parsed<domain::Command> parse_lease_request(const std::string& job,
                                                          const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_retention_request(const std::string& tenant,
                                                              const nlohmann::json& body);

}  // namespace bulwark::gateway
