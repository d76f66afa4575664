#pragma once
// Data types of the outbox, the alert target and the market regime: their events (type ids 16-21),
// the commands that produce them and the part of the tenant state they fold into. Plain data only,
// so events.hpp and commands.hpp can include this file; the logic lives in domain/outbox.hpp.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "domain/money.hpp"

namespace bulwark::domain {

// A side effect recorded in the journal. The idempotency key is "<tenant>:<seq of this event>",
// stamped by the tenant actor when it numbers the event, so it is unique and stable across
// restarts and receivers can deduplicate on it.
struct OutboxEnqueued {
  std::string idempotency_key;
  std::string target;  // http:// URL the body is POSTed to
  std::int64_t attempts =
      0;             // always 0 here; the audit vocabulary carries it on every outbox event
  std::string kind;  // what the body describes, e.g. "regime_changed"
  nlohmann::json body = nlohmann::json::object();
};

struct OutboxDelivered {
  std::string idempotency_key;
  std::string target;
  std::int64_t attempts = 0;  // attempts made, this successful one included
};

struct OutboxAttemptFailed {
  std::string idempotency_key;
  std::string target;
  std::int64_t attempts = 0;  // attempts made, this failed one included
  std::string reason;
};

struct AlertsTargetSet {
  std::string url;
};

// Thresholds of one series, in the series' minor units (cents for USD prices). A value at or above
// shortage_above_minor means scarce supply, at or below excess_below_minor ample supply. Leaving a
// regime needs the value to move band_minor back past its threshold, so noise cannot flap it.
struct RegimeSettings {
  std::string series;
  MinorUnits excess_below_minor = 0;
  MinorUnits shortage_above_minor = 0;
  MinorUnits band_minor = 0;

  bool operator==(const RegimeSettings& other) const {
    return series == other.series && excess_below_minor == other.excess_below_minor &&
           shortage_above_minor == other.shortage_above_minor && band_minor == other.band_minor;
  }
};

struct RegimeSet {
  RegimeSettings settings;
};

struct RegimeChanged {
  std::string series;
  std::string from;
  std::string to;
  std::int64_t observation_version = 0;
  std::string observation_date;  // "YYYY-MM-DD"
  MinorUnits value_minor = 0;
};

// Commands. They travel as one IntegrationCommand alternative of domain::Command.
struct SetAlertsTarget {
  std::string url;
};

struct SetRegime {
  RegimeSettings settings;
};

// A market observation published by the market-data feed. Versions grow with the date, so an
// observation at or below the version of the last regime change is old and changes nothing.
struct ApplyObservation {
  std::string series;
  std::int64_t version = 0;
  std::string date;
  MinorUnits value_minor = 0;
};

struct RecordOutboxDelivery {
  std::string idempotency_key;
  std::int64_t attempts = 0;
};

struct RecordOutboxFailure {
  std::string idempotency_key;
  std::int64_t attempts = 0;
  std::string reason;
};

struct IntegrationCommand {
  std::variant<SetAlertsTarget, SetRegime, ApplyObservation, RecordOutboxDelivery,
               RecordOutboxFailure>
      command;
};

// State.
enum class OutboxStatus : std::uint8_t { pending, delivered };

struct OutboxEntry {
  std::string idempotency_key;
  std::string target;
  std::string kind;
  nlohmann::json body = nlohmann::json::object();
  std::int64_t attempts = 0;
  OutboxStatus status = OutboxStatus::pending;
  std::string last_error;
  std::uint64_t enqueued_seq = 0;
};

struct TenantRegime {
  RegimeSettings settings;
  std::string current = "balanced";
  std::int64_t last_version = 0;  // version of the observation behind the last change
};

struct IntegrationState {
  std::string alerts_url;
  std::map<std::string, OutboxEntry> outbox;  // by idempotency key
  std::optional<TenantRegime> regime;
};

}  // namespace bulwark::domain
