#include "gateway/request_parsing.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <limits>
#include <set>

#include "domain/hex.hpp"
#include "domain/ids.hpp"
#include "domain/money.hpp"

namespace bulwark::gateway {
namespace {

using nlohmann::json;

// Fields a client may send on any body to state its tenant; checked against the token instead of
// being treated as unknown.
constexpr std::array<const char*, 2> tenant_field_names = {"tenant", "tenant_id"};

bool is_tenant_field(std::string_view name) {
  for (const char* field : tenant_field_names) {
    if (name == field) return true;
  }
  return false;
}

RequestError invalid(std::string field, std::string message) {
  RequestError error;
  error.message = std::move(message);
  error.details = {{"field", std::move(field)}};
  return error;
}

// Reads typed fields from a JSON object and keeps the first error. Every read marks the field as
// known, so finish() can reject the fields that no read asked for.
class FieldReader {
 public:
  explicit FieldReader(const json& body) : body_(body) {}

  std::optional<std::string> entity_id(const char* field) {
    auto value = string(field, domain::entity_id_length_max, true);
    if (value && !domain::is_valid_entity_id(*value)) {
      fail(field, std::string(field) + " must match [A-Za-z0-9_.:-]{1,128}");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> string(const char* field, std::size_t length_max, bool required) {
    const json* value = find(field, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      fail(field, std::string(field) + " must be a string");
      return std::nullopt;
    }
    const auto& text = value->get_ref<const std::string&>();
    if (text.size() > length_max) {
      fail(field, std::string(field) + " is longer than " + std::to_string(length_max) + " bytes");
      return std::nullopt;
    }
    return text;
  }

  // Amounts are JSON integers from 1 to 10^15; floats (even 5.0), strings and booleans fail.
  std::optional<domain::MinorUnits> amount(const char* field, bool required) {
    const json* value = find(field, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) {
      fail(field, std::string(field) + " must be an integer amount in minor units");
      return std::nullopt;
    }
    bool in_range = value->is_number_unsigned()
                        ? value->get<std::uint64_t>() <= std::uint64_t{domain::amount_minor_max}
                        : domain::is_valid_amount(value->get<std::int64_t>());
    if (!in_range || value->get<std::int64_t>() < domain::amount_minor_min) {
      fail(field, std::string(field) + " must be from 1 to 10^15 minor units");
      return std::nullopt;
    }
    return value->get<std::int64_t>();
  }

  // Integers whose range the domain checks; here only the JSON type and the int64 range.
  std::optional<std::int64_t> integer(const char* field, bool required) {
    const json* value = find(field, required);
    if (value == nullptr) return std::nullopt;
    bool fits = value->is_number_integer() &&
                (!value->is_number_unsigned() ||
                 value->get<std::uint64_t>() <=
                     static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    if (!fits) {
      fail(field, std::string(field) + " must be an integer");
      return std::nullopt;
    }
    return value->get<std::int64_t>();
  }

  std::optional<bool> boolean(const char* field, bool required) {
    const json* value = find(field, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean()) {
      fail(field, std::string(field) + " must be true or false");
      return std::nullopt;
    }
    return value->get<bool>();
  }

  std::optional<std::vector<std::string>> strings(const char* field, std::size_t count_max,
                                                  bool required) {
    const json* value = find(field, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_array() || value->size() > count_max) {
      fail(field, std::string(field) + " must be an array of at most " + std::to_string(count_max) +
                      " strings");
      return std::nullopt;
    }
    std::vector<std::string> items;
    for (const auto& item : *value) {
      if (!item.is_string()) {
        fail(field, std::string(field) + " must contain only strings");
        return std::nullopt;
      }
      items.push_back(item.get<std::string>());
    }
    return items;
  }

  std::optional<json> object(const char* field, bool required) {
    const json* value = find(field, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_object()) {
      fail(field, std::string(field) + " must be a JSON object");
      return std::nullopt;
    }
    return *value;
  }

  // Marks a field as known without reading it, for fields that must be absent in some variants.
  [[nodiscard]] bool has(const char* field) {
    known_.insert(field);
    return body_.contains(field);
  }

  void fail(std::string field, std::string message) {
    if (!error_) error_ = invalid(std::move(field), std::move(message));
  }

  // Returns the first error, or the first field of the body that no read asked for.
  [[nodiscard]] std::optional<RequestError> finish() {
    if (error_) return error_;
    for (const auto& [name, value] : body_.items()) {
      if (known_.count(name) != 0 || is_tenant_field(name)) continue;
      return invalid(name, "unknown field '" + name + "'");
    }
    return std::nullopt;
  }

 private:
  const json* find(const char* field, bool required) {
    known_.insert(field);
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) {
      if (required) fail(field, std::string(field) + " is required");
      return nullptr;
    }
    return &*it;
  }

  const json& body_;
  std::set<std::string> known_;
  std::optional<RequestError> error_;
};

std::optional<RequestError> check_path_id(const char* field, const std::string& id) {
  // An executed action's reservation is "action:" + action id, up to 7 characters longer.
  bool reservation = std::string_view(field) == "reservation_id";
  if (reservation ? domain::is_valid_reservation_ref(id) : domain::is_valid_entity_id(id)) {
    return std::nullopt;
  }
  return invalid(field, std::string(field) + " in the path must match [A-Za-z0-9_.:-]{1,128}");
}

template <class Command>
Parsed<domain::Command> finish_command(FieldReader& reader, Command command) {
  if (auto error = reader.finish()) return *error;
  return domain::Command{std::move(command)};
}

// For routes that take no fields: {} or an empty body, plus the optional tenant fields.
Parsed<domain::Command> parse_empty(const char* id_field, const std::string& id, const json& body,
                                    domain::Command command) {
  if (auto error = check_path_id(id_field, id)) return *error;
  FieldReader reader(body);
  if (auto error = reader.finish()) return *error;
  return command;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string output;
  output.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      output.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      output.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      output.push_back(c);
    }
  }
  return output;
}

std::optional<RequestError> reject_unknown_params(const QueryParams& params,
                                                  std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : params) {
    bool allowed = is_tenant_field(name);
    for (auto k : known) allowed = allowed || name == k;
    if (!allowed) return invalid(name, "unknown query parameter '" + name + "'");
  }
  return std::nullopt;
}

const std::string* find_param(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

// Decimal digits only: no sign, no spaces, no hex, and no value above `max`.
std::optional<std::uint64_t> parse_decimal(const std::string& text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

std::optional<std::uint64_t> parse_sequence_number(const std::string& text) {
  return parse_decimal(text, std::numeric_limits<std::uint64_t>::max());
}

Parsed<QueryParams> parse_query_string(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    std::size_t end = query.find('&');
    std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    if (pair.empty()) continue;

    std::size_t equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals));
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view{}
                                                                 : pair.substr(equals + 1));
    if (!name || !value) {
      return invalid("query", "the query string has an invalid percent escape");
    }
    if (find_param(params, *name) != nullptr) {
      return invalid(*name, "query parameter '" + *name + "' is repeated");
    }
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

Parsed<json> parse_body_object(std::string_view body, bool required) {
  if (body.empty()) {
    if (!required) return json::object();
    return invalid("body", "the request body is missing; send a JSON object");
  }
  json value = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return invalid("body", "the request body is not valid JSON");
  if (!value.is_object()) return invalid("body", "the request body must be a JSON object");
  return value;
}

std::optional<RequestError> check_tenant_fields(const json& body, const std::string& tenant) {
  for (const char* field : tenant_field_names) {
    auto it = body.find(field);
    if (it == body.end()) continue;
    if (it->is_string() && it->get_ref<const std::string&>() == tenant) continue;
    RequestError error;
    error.status = 403;
    error.code = "tenant_mismatch";
    error.message = std::string(field) + " does not match the token's tenant";
    error.details = {{"field", field}};
    return error;
  }
  return std::nullopt;
}

std::optional<RequestError> check_tenant_params(const QueryParams& params,
                                                const std::string& tenant) {
  for (const char* field : tenant_field_names) {
    const std::string* value = find_param(params, field);
    if (value == nullptr || *value == tenant) continue;
    RequestError error;
    error.status = 403;
    error.code = "tenant_mismatch";
    error.message = std::string(field) + " does not match the token's tenant";
    error.details = {{"field", field}};
    return error;
  }
  return std::nullopt;
}

std::optional<RequestError> check_read_body_tenant(std::string_view body,
                                                  const std::string& tenant) {
  if (body.empty()) return std::nullopt;
  json value = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return check_tenant_fields(value, tenant);
}

std::string payload_sha256(const json& payload) { return sha256_hex(payload.dump()); }

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &digest_length, EVP_sha256(),
                 nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return domain::to_hex(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest_length));
}

Parsed<domain::Command> parse_set_budget(const json& body) {
  FieldReader reader(body);
  domain::SetBudget command;
  command.daily_limit_minor = reader.amount("daily_limit_minor", true).value_or(0);
  command.currency = reader.string("currency", domain::currency_length, true).value_or("");
  command.time_zone = reader.string("time_zone", 64, true).value_or("");
  return finish_command(reader, std::move(command));
}

Parsed<domain::Command> parse_reserve(const json& body) {
  FieldReader reader(body);
  domain::Reserve command;
  command.reservation_id = reader.entity_id("reservation_id").value_or("");
  command.amount_minor = reader.amount("amount_minor", true).value_or(0);
  command.ttl_s = reader.integer("ttl_s", true).value_or(0);
  return finish_command(reader, std::move(command));
}

Parsed<domain::Command> parse_commit(const std::string& reservation_id, const json& body) {
  if (auto error = check_path_id("reservation_id", reservation_id)) return *error;
  FieldReader reader(body);
  domain::Commit command;
  command.reservation_id = reservation_id;
  command.amount_minor = reader.amount("amount_minor", true).value_or(0);
  return finish_command(reader, std::move(command));
}

Parsed<domain::Command> parse_release(const std::string& reservation_id, const json& body) {
  return parse_empty("reservation_id", reservation_id, body, domain::Release{reservation_id});
}

Parsed<domain::Command> parse_set_safe_mode(const json& body) {
  FieldReader reader(body);
  domain::SetSafeMode command;
  command.enabled = reader.boolean("enabled", true).value_or(false);
  command.reason = reader.string("reason", domain::reason_length_max, false).value_or("");
  command.high_stakes_kinds =
      reader.strings("high_stakes_kinds", domain::high_stakes_kinds_count_max, false);
  return finish_command(reader, std::move(command));
}

Parsed<domain::Command> parse_propose_action(const json& body) {
  FieldReader reader(body);
  domain::ProposeAction command;
  command.action_id = reader.entity_id("action_id").value_or("");
  command.kind = reader.string("kind", domain::action_kind_length_max, true).value_or("");
  command.amount_minor = reader.amount("amount_minor", true).value_or(0);
  command.payload = reader.object("payload", false).value_or(json::object());
  command.payload_sha256 = payload_sha256(command.payload);
  return finish_command(reader, std::move(command));
}

Parsed<domain::Command> parse_approve_action(const std::string& action_id, const json& body) {
  if (auto error = check_path_id("action_id", action_id)) return *error;
  FieldReader reader(body);
  domain::ApproveAction command;
  command.action_id = action_id;
  command.expected_amount_minor = reader.amount("amount_minor", false);
  command.expected_payload_sha256 = reader.string("payload_sha256", 64, false);
  return finish_command(reader, std::move(command));
}

Parsed<domain::Command> parse_reject_action(const std::string& action_id, const json& body) {
  return parse_empty("action_id", action_id, body, domain::RejectAction{action_id});
}

Parsed<domain::Command> parse_execute_action(const std::string& action_id, const json& body) {
  return parse_empty("action_id", action_id, body, domain::ExecuteAction{action_id});
}

Parsed<domain::Command> parse_set_guardrail(const std::string& guardrail_id, const json& body) {
  if (auto error = check_path_id("guardrail_id", guardrail_id)) return *error;
  FieldReader reader(body);
  domain::SetGuardrail command;
  command.guardrail_id = guardrail_id;
  domain::GuardrailRule& rule = command.rule;

  auto rule_name = reader.string("rule", 64, true);
  auto enforcement_name = reader.string("enforcement", 64, true);
  auto kind = rule_name ? domain::rule_kind_from_string(*rule_name) : std::nullopt;
  auto enforcement =
      enforcement_name ? domain::enforcement_from_string(*enforcement_name) : std::nullopt;
  if (rule_name && !kind) {
    reader.fail("rule", "rule must be max_amount, max_actions_per_hour or allowed_kinds");
  }
  if (enforcement_name && !enforcement) {
    reader.fail("enforcement", "enforcement must be warn, block or escalate");
  }
  if (!kind || !enforcement) {
    // A failed read above has recorded the error for whichever of the two is missing.
    return reader.finish().value_or(invalid("rule", "rule and enforcement are required"));
  }
  rule.kind = *kind;
  rule.enforcement = *enforcement;

  // Each rule takes exactly its own limit field; a field of another rule is a client mistake
  // that would otherwise be silently dropped.
  using Kind = domain::GuardrailRuleKind;
  struct RuleField {
    const char* name;
    Kind kind;
  };
  for (RuleField field : {RuleField{"max_amount_minor", Kind::max_amount},
                          RuleField{"max_actions", Kind::max_actions_per_hour},
                          RuleField{"kinds", Kind::allowed_kinds}}) {
    if (field.kind != rule.kind && reader.has(field.name)) {
      reader.fail(field.name, std::string(field.name) + " does not apply to rule " + *rule_name);
    }
  }
  switch (rule.kind) {
    case Kind::max_amount:
      rule.max_amount_minor = reader.amount("max_amount_minor", true).value_or(0);
      break;
    case Kind::max_actions_per_hour:
      rule.max_actions = reader.integer("max_actions", true).value_or(0);
      break;
    case Kind::allowed_kinds:
      rule.allowed_kinds = reader.strings("kinds", domain::allowed_kinds_count_max, true)
                               .value_or(std::vector<std::string>{});
      break;
  }

  bool escalates = rule.enforcement == domain::Enforcement::escalate;
  if (escalates) {
    rule.escalation_threshold = reader.integer("escalation_threshold", true).value_or(0);
  } else if (reader.has("escalation_threshold")) {
    reader.fail("escalation_threshold", "escalation_threshold applies only to escalate");
  }
  return finish_command(reader, std::move(command));
}

Parsed<Query> parse_tenant_query(const QueryParams& params) {
  if (auto error = reject_unknown_params(params, {})) return *error;
  return Query{TenantSummaryQuery{}};
}

Parsed<Query> parse_actions_query(const QueryParams& params) {
  if (auto error = reject_unknown_params(params, {"status"})) return *error;
  ActionsQuery query;
  if (const std::string* status = find_param(params, "status")) {
    query.status = domain::action_status_from_string(*status);
    if (!query.status) {
      return invalid("status",
                     "status must be queued, pending_approval, approved, rejected, executing, "
                     "executed or failed");
    }
  }
  return Query{query};
}

Parsed<Query> parse_guardrails_query(const QueryParams& params) {
  if (auto error = reject_unknown_params(params, {})) return *error;
  return Query{GuardrailsQuery{}};
}

Parsed<Query> parse_events_query(const QueryParams& params) {
  if (auto error = reject_unknown_params(params, {"after", "limit"})) return *error;
  EventsQuery query;
  if (const std::string* after = find_param(params, "after")) {
    auto value = parse_decimal(*after, std::numeric_limits<std::uint64_t>::max());
    if (!value) return invalid("after", "after must be a sequence number (decimal digits)");
    query.after_seq = *value;
  }
  query.limit = events_page_limit_default;
  if (const std::string* limit = find_param(params, "limit")) {
    auto value = parse_decimal(*limit, events_page_limit_max);
    if (!value || *value < 1) {
      return invalid("limit", "limit must be from 1 to " + std::to_string(events_page_limit_max));
    }
    query.limit = static_cast<std::size_t>(*value);
  }
  return Query{query};
}

}  // namespace bulwark::gateway
