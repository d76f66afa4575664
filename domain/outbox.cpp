#include "domain/outbox.hpp"

#include <algorithm>
#include <stdexcept>

#include "domain/decide.hpp"
#include "domain/market_data.hpp"
#include "domain/regime.hpp"
#include "domain/state.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

constexpr std::size_t idempotency_key_length_max = 256;
constexpr std::int64_t attempts_max = 1'000'000'000;

Rejection invalid(const char* field, std::string message) {
  return Rejection{RejectionCode::invalid_request, std::move(message), {{"field", field}}};
}

const OutboxEntry* find_entry(const IntegrationState& state, const std::string& key) {
  auto it = state.outbox.find(key);
  return it == state.outbox.end() ? nullptr : &it->second;
}

Decision entry_not_found(const std::string& key) {
  return Decision{{},
                  Rejection{RejectionCode::not_found,
                            "outbox entry '" + key + "' not found",
                            {{"idempotency_key", key}}}};
}

json regime_alert_body(const RegimeChanged& change) {
  return {{"type", regime_alert_kind},
          {"series", change.series},
          {"from", change.from},
          {"to", change.to},
          {"observation_version", change.observation_version},
          {"observation_date", change.observation_date},
          {"value_minor", change.value_minor}};
}

struct Validator {
  std::optional<Rejection> operator()(const SetAlertsTarget& c) const {
    if (auto reason = check_http_url(c.url)) return invalid("url", *reason);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const SetRegime& c) const {
    if (auto reason = check_regime_settings(c.settings)) return invalid("regime", *reason);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ApplyObservation& c) const {
    if (!is_valid_series_name(c.series)) return invalid("series", "invalid series name");
    if (c.version <= 0) return invalid("version", "version must be positive");
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const RecordOutboxDelivery& c) const {
    return check_record(c.idempotency_key, c.attempts);
  }
  std::optional<Rejection> operator()(const RecordOutboxFailure& c) const {
    if (c.reason.size() > outbox_reason_length_max) {
      return invalid("reason", "reason is longer than 512 bytes");
    }
    return check_record(c.idempotency_key, c.attempts);
  }
  static std::optional<Rejection> check_record(const std::string& key, std::int64_t attempts) {
    if (key.empty() || key.size() > idempotency_key_length_max) {
      return invalid("idempotency_key", "idempotency_key must be 1 to 256 bytes");
    }
    if (attempts < 1 || attempts > attempts_max) {
      return invalid("attempts", "attempts must be 1 to 10^9");
    }
    return std::nullopt;
  }
};

struct Decider {
  const TenantState& state;
  const IntegrationState& integrations;

  Decision operator()(const SetAlertsTarget& c) const {
    if (integrations.alerts_url == c.url) return Decision{};
    return Decision{{AlertsTargetSet{c.url}}, {}};
  }
  Decision operator()(const SetRegime& c) const {
    if (integrations.regime && integrations.regime->settings == c.settings) return Decision{};
    return Decision{{RegimeSet{c.settings}}, {}};
  }
  // Old and repeated observations are ignored, so a replayed series or a feed restarted
  // mid-series never changes the regime twice for one observation.
  Decision operator()(const ApplyObservation& c) const {
    const auto& regime = integrations.regime;
    if (!regime || regime->settings.series != c.series) return Decision{};
    if (c.version <= regime->last_version) return Decision{};
    std::string next = next_regime(regime->current, c.value_minor, regime->settings);
    if (next == regime->current) return Decision{};

    RegimeChanged change{c.series, regime->current, next, c.version, c.date, c.value_minor};
    std::vector<EventData> events{change};
    if (!integrations.alerts_url.empty()) {
      events.push_back(OutboxEnqueued{"", integrations.alerts_url, 0, regime_alert_kind,
                                      regime_alert_body(change)});
    }
    return Decision{std::move(events), {}};
  }
  Decision operator()(const RecordOutboxDelivery& c) const {
    const OutboxEntry* entry = find_entry(integrations, c.idempotency_key);
    if (entry == nullptr) return entry_not_found(c.idempotency_key);
    if (entry->status == OutboxStatus::delivered) return Decision{};
    return Decision{{OutboxDelivered{entry->idempotency_key, entry->target,
                                     std::max(c.attempts, entry->attempts)}},
                    {}};
  }
  Decision operator()(const RecordOutboxFailure& c) const {
    const OutboxEntry* entry = find_entry(integrations, c.idempotency_key);
    if (entry == nullptr) return entry_not_found(c.idempotency_key);
    if (entry->status == OutboxStatus::delivered || c.attempts <= entry->attempts) {
      return Decision{};
    }
    return Decision{
        {OutboxAttemptFailed{entry->idempotency_key, entry->target, c.attempts, c.reason}}, {}};
  }
};

OutboxEntry& known_entry(IntegrationState& state, const std::string& key) {
  auto it = state.outbox.find(key);
  if (it == state.outbox.end()) {
    throw std::logic_error("event names unknown outbox entry '" + key + "'");
  }
  return it->second;
}

struct Applier {
  IntegrationState& state;
  std::uint64_t seq;

  void operator()(const OutboxEnqueued& e) const {
    if (e.idempotency_key.empty() || state.outbox.count(e.idempotency_key) != 0) {
      throw std::logic_error("outbox entry with an empty or repeated idempotency key");
    }
    OutboxEntry entry;
    entry.idempotency_key = e.idempotency_key;
    entry.target = e.target;
    entry.kind = e.kind;
    entry.body = e.body;
    entry.attempts = e.attempts;
    entry.enqueued_seq = seq;
    state.outbox.emplace(entry.idempotency_key, std::move(entry));
  }
  void operator()(const OutboxDelivered& e) const {
    OutboxEntry& entry = known_entry(state, e.idempotency_key);
    entry.status = OutboxStatus::delivered;
    entry.attempts = e.attempts;
  }
  void operator()(const OutboxAttemptFailed& e) const {
    OutboxEntry& entry = known_entry(state, e.idempotency_key);
    entry.attempts = e.attempts;
    entry.last_error = e.reason;
  }
  void operator()(const AlertsTargetSet& e) const { state.alerts_url = e.url; }
  void operator()(const RegimeSet& e) const {
    // A new series starts over as balanced; new thresholds for the same series keep the regime.
    if (state.regime && state.regime->settings.series == e.settings.series) {
      state.regime->settings = e.settings;
      return;
    }
    state.regime = TenantRegime{e.settings, std::string(regime_balanced), 0};
  }
  void operator()(const RegimeChanged& e) const {
    if (!state.regime || state.regime->settings.series != e.series) {
      throw std::logic_error("regime_changed for series '" + e.series + "' that is not configured");
    }
    state.regime->current = e.to;
    state.regime->last_version = e.observation_version;
  }
  template <typename Other>
  void operator()(const Other&) const {}
};

struct ToJson {
  std::optional<json> operator()(const OutboxEnqueued& e) const {
    return json{{"idempotency_key", e.idempotency_key},
                {"target", e.target},
                {"attempts", e.attempts},
                {"kind", e.kind},
                {"body", e.body}};
  }
  std::optional<json> operator()(const OutboxDelivered& e) const {
    return json{
        {"idempotency_key", e.idempotency_key}, {"target", e.target}, {"attempts", e.attempts}};
  }
  std::optional<json> operator()(const OutboxAttemptFailed& e) const {
    return json{{"idempotency_key", e.idempotency_key},
                {"target", e.target},
                {"attempts", e.attempts},
                {"reason", e.reason}};
  }
  std::optional<json> operator()(const AlertsTargetSet& e) const { return json{{"url", e.url}}; }
  std::optional<json> operator()(const RegimeSet& e) const {
    return json{{"series", e.settings.series},
                {"excess_below_minor", e.settings.excess_below_minor},
                {"shortage_above_minor", e.settings.shortage_above_minor},
                {"band_minor", e.settings.band_minor}};
  }
  std::optional<json> operator()(const RegimeChanged& e) const {
    return json{{"series", e.series},
                {"from", e.from},
                {"to", e.to},
                {"observation_version", e.observation_version},
                {"observation_date", e.observation_date},
                {"value_minor", e.value_minor}};
  }
  template <typename Other>
  std::optional<json> operator()(const Other&) const {
    return std::nullopt;
  }
};

template <typename T>
T field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) {
    throw std::invalid_argument(std::string("missing event field '") + name + "'");
  }
  bool typed = false;
  if constexpr (std::is_same_v<T, std::string>) {
    typed = it->is_string();
  } else {
    typed = it->is_number_integer();
  }
  if (!typed) throw std::invalid_argument(std::string("field '") + name + "' has the wrong type");
  return it->get<T>();
}

RegimeSettings settings_from(const json& j) {
  return RegimeSettings{field<std::string>(j, "series"), field<MinorUnits>(j, "excess_below_minor"),
                        field<MinorUnits>(j, "shortage_above_minor"),
                        field<MinorUnits>(j, "band_minor")};
}

json settings_json(const RegimeSettings& s) {
  return {{"series", s.series},
          {"excess_below_minor", s.excess_below_minor},
          {"shortage_above_minor", s.shortage_above_minor},
          {"band_minor", s.band_minor}};
}

}  // namespace

std::optional<std::string> check_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.size() > alerts_url_length_max) return "url is longer than 2048 bytes";
  if (url.substr(0, scheme.size()) != scheme) return "url must start with http://";
  std::string_view rest = url.substr(scheme.size());
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) return "url must name a host";
  for (char c : url) {
    if (c <= ' ' || c == 0x7f || c == '"' || c == '\\' || c == '@' || c == '#') {
      return "url contains a character that is not allowed (space, control, quote, @ or #)";
    }
  }
  std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (colon == 0 || port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0) {
      return "url has an invalid port";
    }
  }
  return std::nullopt;
}

std::optional<Rejection> validate_integration(const IntegrationCommand& command) {
  return std::visit(Validator{}, command.command);
}

Decision decide_integration(const TenantState& state, const IntegrationCommand& command,
                            TimePoint now) {
  if (auto invalid = validate_integration(command)) return Decision{{}, std::move(invalid)};
  return std::visit(Decider{state, state.integrations}, command.command);
}

json integration_outcome_view(const TenantState& state, const IntegrationCommand& command) {
  const IntegrationState& integrations = state.integrations;
  if (std::holds_alternative<SetAlertsTarget>(command.command)) {
    return {{"url", integrations.alerts_url}};
  }
  if (std::holds_alternative<SetRegime>(command.command)) return regime_view(integrations);
  return json::object();
}

void stamp_idempotency_key(EventData& data, const std::string& tenant, std::uint64_t seq) {
  if (auto* enqueued = std::get_if<OutboxEnqueued>(&data); enqueued != nullptr) {
    if (enqueued->idempotency_key.empty()) {
      enqueued->idempotency_key = tenant + ":" + std::to_string(seq);
    }
  }
}

void apply_integration(IntegrationState& state, const EventData& data, std::uint64_t seq) {
  std::visit(Applier{state, seq}, data);
}

json integration_event_to_json(const EventData& data) {
  auto out = std::visit(ToJson{}, data);
  if (!out) throw std::logic_error("not an outbox, alert or regime event");
  return *out;
}

std::optional<EventData> integration_event_from_json(EventType type, const json& d) {
  switch (type) {
    case EventType::outbox_enqueued: {
      OutboxEnqueued e;
      e.idempotency_key = field<std::string>(d, "idempotency_key");
      e.target = field<std::string>(d, "target");
      e.attempts = field<std::int64_t>(d, "attempts");
      e.kind = field<std::string>(d, "kind");
      e.body = d.contains("body") ? d.at("body") : json::object();
      return e;
    }
    case EventType::outbox_delivered:
      return OutboxDelivered{field<std::string>(d, "idempotency_key"),
                             field<std::string>(d, "target"), field<std::int64_t>(d, "attempts")};
    case EventType::outbox_attempt_failed:
      return OutboxAttemptFailed{
          field<std::string>(d, "idempotency_key"), field<std::string>(d, "target"),
          field<std::int64_t>(d, "attempts"), field<std::string>(d, "reason")};
    case EventType::alerts_target_set:
      return AlertsTargetSet{field<std::string>(d, "url")};
    case EventType::regime_set:
      return RegimeSet{settings_from(d)};
    case EventType::regime_changed:
      return RegimeChanged{field<std::string>(d, "series"),
                           field<std::string>(d, "from"),
                           field<std::string>(d, "to"),
                           field<std::int64_t>(d, "observation_version"),
                           field<std::string>(d, "observation_date"),
                           field<MinorUnits>(d, "value_minor")};
    default:
      return std::nullopt;
  }
}

const char* to_string(OutboxStatus status) {
  switch (status) {
    case OutboxStatus::pending:
      return "pending";
    case OutboxStatus::delivered:
      return "delivered";
  }
  return "unknown";
}

json integration_state_to_json(const IntegrationState& state) {
  json outbox = json::array();
  for (const auto& [key, e] : state.outbox) {
    outbox.push_back({{"idempotency_key", e.idempotency_key},
                      {"target", e.target},
                      {"kind", e.kind},
                      {"body", e.body},
                      {"attempts", e.attempts},
                      {"status", to_string(e.status)},
                      {"last_error", e.last_error},
                      {"enqueued_seq", e.enqueued_seq}});
  }
  json regime = nullptr;
  if (state.regime) {
    regime = {{"settings", settings_json(state.regime->settings)},
              {"current", state.regime->current},
              {"last_version", state.regime->last_version}};
  }
  return {{"alerts_url", state.alerts_url}, {"outbox", std::move(outbox)}, {"regime", regime}};
}

IntegrationState integration_state_from_json(const json& j) {
  IntegrationState state;
  state.alerts_url = j.at("alerts_url").get<std::string>();
  for (const json& item : j.at("outbox")) {
    OutboxEntry e;
    e.idempotency_key = item.at("idempotency_key").get<std::string>();
    e.target = item.at("target").get<std::string>();
    e.kind = item.at("kind").get<std::string>();
    e.body = item.at("body");
    e.attempts = item.at("attempts").get<std::int64_t>();
    e.status = item.at("status").get<std::string>() == "delivered" ? OutboxStatus::delivered
                                                                   : OutboxStatus::pending;
    e.last_error = item.at("last_error").get<std::string>();
    e.enqueued_seq = item.at("enqueued_seq").get<std::uint64_t>();
    state.outbox.emplace(e.idempotency_key, std::move(e));
  }
  const json& regime = j.at("regime");
  if (!regime.is_null()) {
    state.regime =
        TenantRegime{settings_from(regime.at("settings")), regime.at("current").get<std::string>(),
                     regime.at("last_version").get<std::int64_t>()};
  }
  return state;
}

json outbox_view(const IntegrationState& state) {
  std::vector<const OutboxEntry*> entries;
  for (const auto& [key, entry] : state.outbox) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->enqueued_seq < b->enqueued_seq; });
  json out = json::array();
  for (const OutboxEntry* e : entries) {
    out.push_back({{"idempotency_key", e->idempotency_key},
                   {"target", e->target},
                   {"kind", e->kind},
                   {"attempts", e->attempts},
                   {"state", to_string(e->status)},
                   {"last_error", e->last_error},
                   {"enqueued_seq", e->enqueued_seq}});
  }
  return {{"entries", std::move(out)}};
}

json regime_view(const IntegrationState& state) {
  if (!state.regime) return nullptr;
  const TenantRegime& r = *state.regime;
  return {{"series", r.settings.series},
          {"current", r.current},
          {"observation_version", r.last_version},
          {"thresholds",
           {{"excess_below_minor", r.settings.excess_below_minor},
            {"shortage_above_minor", r.settings.shortage_above_minor}}},
          {"hysteresis", {{"band_minor", r.settings.band_minor}}}};
}

std::chrono::milliseconds retry_delay(std::int64_t attempts, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap, double jitter_unit) {
  auto delay = base;
  for (std::int64_t i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  double factor = 0.5 + 0.5 * std::clamp(jitter_unit, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(delay.count()) * factor));
}

}  // namespace bulwark::domain
