#pragma once
// Request parsing for the alert target, the regime settings and the outbox list.
//
// PUT /v1/tenant/alerts  {"url": "http://127.0.0.1:9000/alerts"}
// PUT /v1/tenant/regime  {"series": "wti",
//                         "thresholds": {"excess_below_minor": 2000, "shortage_above_minor": 8000},
//                         "hysteresis": {"band_minor": 300}}
// Thresholds and the band are JSON integers in the series' minor units (cents); thresholds may be
// negative because some series can be. "hysteresis" may be left out for a band of 0.
// GET /v1/outbox takes no query parameters.
#include <nlohmann/json.hpp>

#include "gateway/request_parsing.hpp"

namespace bulwark::gateway {

[[nodiscard]] Parsed<domain::Command> parse_set_alerts_target(const nlohmann::json& body);
[[nodiscard]] Parsed<domain::Command> parse_set_regime(const nlohmann::json& body);
[[nodiscard]] Parsed<Query> parse_outbox_query(const QueryParams& params);

}  // namespace bulwark::gateway
