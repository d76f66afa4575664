#include "gateway/integration_parsing.hpp"

#include <initializer_list>
#include <limits>
#include <string>

#include "domain/outbox.hpp"

namespace bulwark::gateway {
namespace {

using nlohmann::json;

RequestError invalid(std::string field, std::string message) {
  RequestError error;
  error.message = std::move(message);
  error.details = {{"field", std::move(field)}};
  return error;
}

// Returns the first member of `object` that is not in `known` and not a tenant field.
std::optional<RequestError> reject_unknown(const json& object, const char* where,
                                           std::initializer_list<const char*> known) {
  for (const auto& [name, value] : object.items()) {
    if (name == "tenant" || name == "tenant_id") continue;
    bool listed = false;
    for (const char* field : known) listed = listed || name == field;
    if (!listed) {
      return invalid(name, std::string("unknown field '") + name + "' in " + where);
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> integer_field(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return it->get<std::int64_t>();
}

}  // namespace

Parsed<domain::Command> parse_set_alerts_target(const json& body) {
  if (auto unknown = reject_unknown(body, "the body", {"url"})) return *unknown;
  auto url = body.find("url");
  if (url == body.end() || !url->is_string()) {
    return invalid("url", "url is required and must be a string such as http://127.0.0.1:9000/a");
  }
  return domain::Command{
      domain::IntegrationCommand{domain::SetAlertsTarget{url->get<std::string>()}}};
}

Parsed<domain::Command> parse_set_regime(const json& body) {
  if (auto unknown = reject_unknown(body, "the body", {"series", "thresholds", "hysteresis"})) {
    return *unknown;
  }
  domain::RegimeSettings settings;
  auto series = body.find("series");
  if (series == body.end() || !series->is_string()) {
    return invalid("series", "series is required and must be a string such as \"wti\"");
  }
  settings.series = series->get<std::string>();

  auto thresholds = body.find("thresholds");
  if (thresholds == body.end() || !thresholds->is_object()) {
    return invalid("thresholds",
                   "thresholds is required and must be an object with "
                   "excess_below_minor and shortage_above_minor");
  }
  if (auto unknown = reject_unknown(*thresholds, "thresholds",
                                    {"excess_below_minor", "shortage_above_minor"})) {
    return *unknown;
  }
  auto excess = integer_field(*thresholds, "excess_below_minor");
  auto shortage = integer_field(*thresholds, "shortage_above_minor");
  if (!excess) return invalid("excess_below_minor", "excess_below_minor must be an integer");
  if (!shortage) return invalid("shortage_above_minor", "shortage_above_minor must be an integer");
  settings.excess_below_minor = *excess;
  settings.shortage_above_minor = *shortage;

  auto hysteresis = body.find("hysteresis");
  if (hysteresis != body.end()) {
    if (!hysteresis->is_object()) {
      return invalid("hysteresis", "hysteresis must be an object such as {\"band_minor\": 300}");
    }
    if (auto unknown = reject_unknown(*hysteresis, "hysteresis", {"band_minor"})) return *unknown;
    auto band = integer_field(*hysteresis, "band_minor");
    if (!band) return invalid("band_minor", "band_minor must be an integer");
    settings.band_minor = *band;
  }
  return domain::Command{domain::IntegrationCommand{domain::SetRegime{settings}}};
}

Parsed<Query> parse_outbox_query(const QueryParams& params) {
  for (const auto& [name, value] : params) {
    if (name == "tenant" || name == "tenant_id") continue;
    return invalid(name, "unknown query parameter '" + name + "'");
  }
  return Query{OutboxQuery{}};
}

}  // namespace bulwark::gateway
